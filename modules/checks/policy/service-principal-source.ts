import { EVENTS_SID } from "../../audit/sids";
import { servicePrincipals } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { PolicySubject } from "./subject";

const SOURCE_KEYS = ["aws:sourceaccount", "aws:sourcearn"];

/**
 * Service principal without a source condition (warning). DynamoDB, S3, Secrets Manager and
 * Lambda call KMS on behalf of the caller (`kms:ViaService`), so a statement for their service
 * principals does not grant what it seems to; and without `aws:SourceAccount` or
 * `aws:SourceArn` it is the confused-deputy pattern IAM Access Analyzer flags. The hardened
 * variant (`serviceAccess: "via-service"`) grants account principals through those services
 * instead, as AWS managed keys do.
 */
export const servicePrincipalSource: Rule<PolicySubject> = {
  id: "service-principal-source",
  severity: "warning",
  description: "Statements for AWS service principals are limited by aws:SourceAccount or aws:SourceArn.",
  check({ policy }) {
    const findings: Finding[] = [];
    policy.Statement.forEach((s, i) => {
      const services = servicePrincipals(s);
      if (s.Effect !== "Allow" || services.length === 0) return;
      // KeyAudit's statement for EventBridge-to-encrypted-SNS delivery: AWS does not support the
      // source keys there (SNS developer guide, "Key management"); the topic policy limits who publishes.
      if (s.Sid === EVENTS_SID) return;
      const keys = Object.values(s.Condition ?? {}).flatMap((byKey) => Object.keys(byKey).map((k) => k.toLowerCase()));
      if (keys.some((k) => SOURCE_KEYS.includes(k))) return;
      const path = `policy.Statement[${i}]`;
      findings.push({
        rule: this.id,
        severity: this.severity,
        path,
        message:
          `${path} (${JSON.stringify(s.Sid ?? "")}) allows ${services.join(", ")} without aws:SourceAccount or aws:SourceArn. ` +
          "These services call KMS on behalf of the caller (kms:ViaService), so the statement does not grant what it seems to, " +
          "and an unconditioned service principal is the confused-deputy pattern IAM Access Analyzer flags. " +
          'Consider serviceAccess: "via-service" (account principals with kms:ViaService and kms:CallerAccount, as AWS managed keys do).',
      });
    });
    return findings;
  },
};
