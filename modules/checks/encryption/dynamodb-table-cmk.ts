import { DynamodbTable } from "../../platform";
import { Rule } from "../finding";
import { EncryptionSubject, keyProblem, ofType, unencrypted } from "./subject";

/** DynamoDB tables use the data key (checkov CKV_AWS_119 for this key). */
export const dynamodbTableCmk: Rule<EncryptionSubject> = {
  id: "dynamodb-table-cmk",
  severity: "error",
  description: "Every DynamoDB table is encrypted at rest with the data key's ARN (CKV_AWS_119).",
  check(subject) {
    return ofType(subject, DynamodbTable).flatMap((table) => {
      const sse = table.serverSideEncryptionInput;
      const enabled = sse !== undefined && (sse.enabled === true || (sse.enabled as unknown) === "true");
      const problem = !enabled ? "it uses the AWS owned key (server_side_encryption is off)" : keyProblem(sse.kmsKeyArn, subject, "aws/dynamodb");
      if (problem) return [unencrypted(this.id, table, problem, "dataKey.encryptTable(table)")];
      // A global table's replica lives in another region, under a key of that region: a KMS key
      // serves one region, and the data key is single-region (seed §2.1), so no replica is on it.
      const replicas = Array.isArray(table.replicaInput) ? table.replicaInput : [];
      if (replicas.length === 0) return [];
      const regions = replicas.map((r) => r.regionName).join(", ");
      return [unencrypted(this.id, table, `its replicas (${regions}) are encrypted with keys of their own regions, never the data key (a KMS key serves one region)`, "keep the table in the key's region without replica blocks")];
    });
  },
};
