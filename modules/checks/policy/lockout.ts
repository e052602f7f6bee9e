import { describeClause } from "../../access/conditions";
import { directCallContext } from "../../access/context";
import { Decision, evaluate } from "../../access/evaluate";
import { OTHER_PRINCIPAL } from "../../access/matrix";
import { requestPrincipal } from "../../access/principals";
import { awsPrincipals } from "../../key-policy/document";
import { Finding, Rule } from "../finding";
import { accountRoot, keyFacts, PolicySubject } from "./subject";

const PUT = "kms:PutKeyPolicy";

/**
 * Lockout, as AWS's policy lockout safety check tests it: after the change, the principal that
 * runs `cdktf deploy` must still be able to call kms:PutKeyPolicy (directly, or through the
 * account root's delegation to IAM), or AWS refuses the policy; and some principal of the
 * account must be, or the key can never be managed again. Both are answered by the evaluator,
 * Denies, NotPrincipal, conditions and KMS's cross-account refusal included.
 *
 * Without a named deployer, the deployer is "a principal of the account whose IAM policies allow
 * it": the check then needs the root statement's delegation. Where only conditions on what a
 * deploy's context decides (its IP, MFA) allow it, the finding is a warning: AWS accepts the
 * policy when the deploy meets them.
 */
export const lockout: Rule<PolicySubject> = {
  id: "lockout",
  severity: "error",
  description: "The deployer, and some principal of the account, may still call kms:PutKeyPolicy.",
  check(subject) {
    const key = keyFacts(subject);
    const now = subject.now;
    const root = accountRoot(subject);
    const ask = (principal: string) => evaluate(subject.policy, key, { principal, action: PUT, context: directCallContext(requestPrincipal(principal), key, now) });
    const findings: Finding[] = [];
    const finding = (severity: Finding["severity"], message: string) => findings.push({ rule: this.id, severity, path: "policy", message: `policy: ${message}` });

    const deployer = subject.deployer ?? root;
    const who = subject.deployer
      ? `the deployer ${JSON.stringify(subject.deployer)}`
      : `the deployer (not named: a principal of account ${subject.accountId}, through its IAM policies)`;
    const fix = subject.deployer
      ? "Keep kms:PutKeyPolicy for the deployer: the root statement (enableIamUserPermissions), or kms:Put* for it among the administrators."
      : 'Keep the root statement (enableIamUserPermissions), or name the principal that runs cdktf deploy in "deployer" and keep kms:PutKeyPolicy for it.';
    const mine = ask(deployer);
    if (mine.effect === "deny" && mine.conditionalGrants.length === 0) {
      finding("error", `${who} could not call ${PUT}: ${why(mine)}. AWS's policy lockout safety check refuses a key policy that takes ${PUT} from the principal applying it. ${fix}`);
    } else if (mine.effect === "deny") {
      finding("warning", `${who} may call ${PUT} only when ${alternatives(mine.conditionalGrants)}. A deploy that does not meet this is refused by AWS's lockout safety check.`);
    } else if (mine.conditionalDenies.length > 0) {
      finding("warning", `${who} loses ${PUT} when ${alternatives(mine.conditionalDenies)}. A deploy that meets this is refused by AWS's lockout safety check.`);
    }

    // Could anyone of the account still change the policy? Every user, role and federated user of
    // the account the policy names, its root, and any other principal of the account.
    const candidates = new Set([deployer, root, OTHER_PRINCIPAL(key)]);
    for (const statement of subject.policy.Statement) {
      for (const p of awsPrincipals(statement)) if (p.includes(`::${subject.accountId}:`) && /:(user|role|federated-user)\//.test(p)) candidates.add(p);
    }
    const answers = [...candidates].filter((p) => p.includes(`::${subject.accountId}:`)).map(ask);
    if (answers.every((d) => d.effect === "deny" && d.conditionalGrants.length === 0)) {
      finding(
        "error",
        `no principal of account ${subject.accountId} could call ${PUT}, so nobody could ever change this key policy again (AWS support cannot recover a KMS key). Keep the root statement (enableIamUserPermissions), or kms:PutKeyPolicy for an administrator of the account.`,
      );
    }
    return findings;
  },
};

function why(decision: Decision): string {
  if (decision.reason === "explicit") return `denied by ${decision.sids.map((s) => JSON.stringify(s)).join(", ")}`;
  if (decision.reason === "cross-account") return "KMS refuses it from another account";
  return "no statement allows it";
}

function alternatives(statements: Decision["conditionalGrants"]): string {
  return statements.map((s) => `${s.when.map(describeClause).join(" and ")} (${JSON.stringify(s.sid)})`).join(", or ");
}
