import type { DynamodbTable } from "../../platform";
import { effectiveAttributes } from "../../platform";
import { Rule } from "../finding";
import { EncryptionSubject, first, keyProblem, list, ofType, replicaProblem, unencrypted } from "./subject";

/** DynamoDB tables use the data key (checkov CKV_AWS_119 for this key), overrides included. */
export const dynamodbTableCmk: Rule<EncryptionSubject> = {
  id: "dynamodb-table-cmk",
  severity: "error",
  description: "Every DynamoDB table is encrypted at rest with the data key's ARN (CKV_AWS_119).",
  check(subject) {
    return ofType<DynamodbTable>(subject, "aws_dynamodb_table").flatMap((table) => {
      const args = effectiveAttributes(table);
      const sse = first(args.server_side_encryption);
      const enabled = sse !== undefined && (sse.enabled === true || sse.enabled === "true");
      const problem = !enabled ? "it uses the AWS owned key (server_side_encryption is off)" : keyProblem(sse.kms_key_arn, subject, "aws/dynamodb");
      if (problem) return [unencrypted(this.id, table, problem, "dataKey.encryptTable(table)")];
      // A multi-Region strongly consistent table's witness (AWS provider 6, global_table_witness)
      // holds the table's replicated writes in its region too.
      const witnesses = list(args.global_table_witness).map((w) => `${String(w.region_name)} (witness)`);
      const replicas = replicaProblem([...list(args.replica).map((r) => String(r.region_name)), ...witnesses]);
      const fix = witnesses.length > 0 ? "keep the table in the key's region without replica or global_table_witness blocks" : "keep the table in the key's region without replica blocks";
      return replicas ? [unencrypted(this.id, table, replicas, fix)] : [];
    });
  },
};
