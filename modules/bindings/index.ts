export { addressOf, terraformName } from "./binding";
export type { Binder, BoundService, EncryptionKey, KeyBinding } from "./binding";
export { dynamodbBinder } from "./dynamodb";
export { lambdaBinder } from "./lambda";
export { s3Binder } from "./s3";
export type { BucketTarget } from "./s3";
export { secretsmanagerBinder } from "./secretsmanager";
