import { DynamodbTable } from "../platform";
import { addressOf, Binder, expectResource, literal } from "./binding";

/**
 * DynamoDB (seed §4.3): `server_side_encryption { enabled = true, kms_key_arn = <key ARN> }`.
 * Always the key ARN: with the alias ARN the provider plans a change on every run.
 */
export const dynamodbBinder: Binder<DynamodbTable> = {
  service: "dynamodb",
  call: "encryptTable",
  identify: (table) => {
    expectResource<DynamodbTable>("encryptTable", table, "aws_dynamodb_table", "a DynamodbTable of this app");
    return `dynamodb:${literal(table.nameInput) ?? addressOf(table)}`;
  },
  construct: (table) => table,
  apply(key, table, existing) {
    table.putServerSideEncryption({ enabled: true, kmsKeyArn: key.keyArn });
    const address = addressOf(table);
    return { service: "dynamodb", name: literal(table.nameInput) ?? address, address, existing, resource: table };
  },
};
