/**
 * verify against mocked AWS APIs (aws-sdk-client-mock); response shapes follow AWS's API
 * reference for each operation. verify-wire.test.ts runs the real clients against a local server
 * speaking the services' wire protocols.
 */
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetBucketEncryptionCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { actionAccessLevel } from "./support/iam-data";
import { mockClient } from "aws-sdk-client-mock";
import { spawnSync } from "child_process";
import * as path from "path";
import { runVerify, table } from "../cli/verify";
import { createClients, READ_ONLY_COMMANDS, send } from "../cli/verify/commands";
import { composeKeyPolicy } from "../modules/index";
import { loadEnvironments } from "../app";
import { REPO, SEED_POLICY, SHIPPED_CONFIG } from "./support/synth";

const CONFIG = path.join(REPO, "__tests__", "fixtures", "environments.resources.json");
const ENV = loadEnvironments(CONFIG)[0];
const ACCOUNT = "167067248318";
const KEY_ID = "cb424700-0dd0-4dcb-a77d-13af16579270";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`;
const ALIAS_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/mavik-data-kms-key`;
const OTHER_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const NOW = new Date("2026-11-28T12:00:00Z");

const kms = mockClient(KMSClient);
const secrets = mockClient(SecretsManagerClient);
const s3 = mockClient(S3Client);
const dynamodb = mockClient(DynamoDBClient);
const lambda = mockClient(LambdaClient);
const cloudtrail = mockClient(CloudTrailClient);
const MOCKS = [kms, secrets, s3, dynamodb, lambda, cloudtrail];

/** An AWS SDK service error as the SDK raises it. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: 400 } });
}

/** A CloudTrail event record (LookupEvents → Events[]), with its CloudTrailEvent JSON. */
function trailEvent(name: string, identity: object, minutesAgo = 60) {
  const time = new Date(NOW.getTime() - minutesAgo * 60_000);
  return {
    EventId: `evt-${name}-${minutesAgo}`,
    EventName: name,
    ReadOnly: name.startsWith("Describe") ? "true" : "false",
    EventTime: time,
    EventSource: "kms.amazonaws.com",
    Resources: [{ ResourceType: "AWS::KMS::Key", ResourceName: KEY_ARN }],
    CloudTrailEvent: JSON.stringify({ eventVersion: "1.09", userIdentity: identity, eventTime: time.toISOString(), eventSource: "kms.amazonaws.com", eventName: name }),
  };
}
const LAMBDA_ROLE = { type: "AssumedRole", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/MavikLambdaRole/fn`, sessionContext: { sessionIssuer: { type: "Role", arn: `arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole` } } };
const VIA_S3 = { ...LAMBDA_ROLE, invokedBy: "s3.amazonaws.com" };
const DEPLOYER = { type: "IAMUser", arn: `arn:aws:iam::${ACCOUNT}:user/mavik-deployer`, userName: "mavik-deployer" };

/** Every API answers as a healthy, correctly bound environment would. */
function allGood(): void {
  MOCKS.forEach((m) => m.reset());
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: {
      AWSAccountId: ACCOUNT,
      KeyId: KEY_ID,
      Arn: KEY_ARN,
      CreationDate: new Date("2025-03-01T00:00:00Z"),
      Enabled: true,
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "Enabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
      KeySpec: "SYMMETRIC_DEFAULT",
      EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
      MultiRegion: false,
    },
  });
  kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true, KeyId: KEY_ARN, RotationPeriodInDays: 365, NextRotationDate: new Date("2027-03-01T00:00:00Z") });
  kms
    .on(ListAliasesCommand)
    .resolves({ Aliases: [{ AliasName: "alias/aws/s3", AliasArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/s3`, TargetKeyId: "aaaa" }], NextMarker: "page-2", Truncated: true })
    .on(ListAliasesCommand, { Marker: "page-2" })
    .resolves({ Aliases: [{ AliasName: "alias/mavik-data-kms-key", AliasArn: ALIAS_ARN, TargetKeyId: KEY_ID }], Truncated: false });
  kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify(SEED_POLICY, null, 2), PolicyName: "default" });
  secrets.on(DescribeSecretCommand).callsFake((input) => ({ ARN: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${input.SecretId}-AbCdEf`, Name: input.SecretId, KmsKeyId: KEY_ARN }));
  s3.on(GetBucketEncryptionCommand).resolves({
    ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: KEY_ARN }, BucketKeyEnabled: true }] },
  });
  dynamodb.on(DescribeTableCommand).callsFake((input) => ({
    Table: { TableName: input.TableName, TableStatus: "ACTIVE", SSEDescription: { Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: KEY_ARN } },
  }));
  lambda.on(GetFunctionConfigurationCommand).callsFake((input) => ({ FunctionName: input.FunctionName, KMSKeyArn: KEY_ARN, Runtime: "nodejs20.x" }));
  cloudtrail.on(LookupEventsCommand).resolves({ Events: [trailEvent("Decrypt", LAMBDA_ROLE), trailEvent("GenerateDataKey", VIA_S3, 30)] });
}

async function verify(args: string[] = ["--env", "ssot"], config = CONFIG) {
  let stdout = "";
  let stderr = "";
  const code = await runVerify(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now: NOW, clients: (o) => createClients({ ...o, maxAttempts: 1 }) }, config);
  const json = args.includes("--json") ? JSON.parse(stdout) : undefined;
  return { code, stdout, stderr, json };
}

async function results() {
  const { code, json } = await verify(["--env", "ssot", "--json"]);
  const byTarget = (check: string, target?: string) => json.results.find((r: any) => r.check === check && (target === undefined || r.target === target));
  return { code, json, byTarget };
}

beforeEach(allGood);

describe("all good", () => {
  test("every check passes and the exit code is 0", async () => {
    const { code, json } = await results();
    expect(json.results.filter((r: any) => r.status !== "pass")).toEqual([]);
    expect(json.results.map((r: any) => r.check)).toEqual([
      "key", "rotation", "alias", "policy",
      "bucket", "bucket", "table", "table", "secret", "secret", "function", "function",
      "usage", "destructive-events",
    ]);
    expect(code).toBe(0);
  });

  test("a readable table, one line per check, with progress on stderr", async () => {
    const { stdout, stderr } = await verify();
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^STATUS +CHECK +TARGET +REASON$/);
    expect(lines).toHaveLength(15);
    expect(lines[1]).toMatch(/^PASS +key +cb424700-0dd0-4dcb-a77d-13af16579270 +arn:aws:kms:us-east-1:167067248318:key\/cb424700-0dd0-4dcb-a77d-13af16579270: Enabled, SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, customer-managed$/);
    expect(stderr).toContain("  … DescribeKey cb424700-0dd0-4dcb-a77d-13af16579270\n");
    expect(stderr).toContain("  … CloudTrail LookupEvents " + KEY_ARN + "\n");
  });

  test("usage is summarized by event and by caller, the service it came through named", async () => {
    const { byTarget } = await results();
    expect(byTarget("usage").details).toMatchObject({
      events: 2,
      byEvent: { Decrypt: 1, GenerateDataKey: 1 },
      byCaller: { [`arn:aws:iam::${ACCOUNT}:role/MavikLambdaRole`]: 1, "via s3.amazonaws.com": 1 },
    });
    expect(cloudtrail.commandCalls(LookupEventsCommand)[0].args[0].input).toMatchObject({
      LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: KEY_ARN }],
      StartTime: new Date("2026-11-21T12:00:00Z"),
      EndTime: NOW,
    });
  });

  test("a bucket with DSSE-KMS under the key passes: on the key, and S3 Bucket Keys do not apply to it", async () => {
    s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms:dsse", KMSMasterKeyID: KEY_ARN }, BucketKeyEnabled: false }] } });
    const { code, byTarget } = await results();
    expect(byTarget("bucket", "mavik-ssot-files")).toMatchObject({ status: "pass", reason: `encrypted with ${KEY_ARN}` });
    expect(code).toBe(0);
  });

  test("the alias is found on the second page of ListAliases", async () => {
    const { byTarget } = await results();
    expect(byTarget("alias").reason).toBe(`targets ${KEY_ID}, the key of existingKeyId (page 2)`);
    expect(kms.commandCalls(ListAliasesCommand)).toHaveLength(2);
  });
});

describe("something is wrong: exit 1", () => {
  test.each<[string, () => void, string, string | undefined, string]>([
    ["a secret with another key", () => secrets.on(DescribeSecretCommand).resolves({ Name: "mavik/ssot/db", KmsKeyId: OTHER_KEY }), "secret", "mavik/ssot/db", `encrypted with ${OTHER_KEY}, not ${KEY_ARN}`],
    [
      "a bucket with another key",
      () => s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: OTHER_KEY }, BucketKeyEnabled: true }] } }),
      "bucket", "mavik-ssot-files", `encrypted with ${OTHER_KEY}, not ${KEY_ARN}`,
    ],
    [
      "a bucket with SSE-S3",
      () => s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } }),
      "bucket", "mavik-ssot-files", "default encryption is AES256, not aws:kms",
    ],
    [
      "a bucket without its bucket key",
      () => s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: KEY_ARN }, BucketKeyEnabled: false }] } }),
      "bucket", "mavik-ssot-files", "the S3 Bucket Key is off",
    ],
    [
      "a bucket without default encryption",
      () => s3.on(GetBucketEncryptionCommand).rejects(awsError("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found")),
      "bucket", "mavik-ssot-files", "the bucket has no default encryption configuration",
    ],
    [
      "a table with the AWS owned key",
      () => dynamodb.on(DescribeTableCommand).resolves({ Table: { TableName: "mavik-ssot-audit", TableStatus: "ACTIVE" } }),
      "table", "mavik-ssot-audit", "not encrypted with a customer-managed key (AWS owned or AWS managed key)",
    ],
    ["a function with another key", () => lambda.on(GetFunctionConfigurationCommand).resolves({ FunctionName: "mavik-ssot-api", KMSKeyArn: OTHER_KEY }), "function", "mavik-ssot-api", `encrypted with ${OTHER_KEY}, not ${KEY_ARN}`],
    [
      "the alias ARN instead of the key ARN",
      () => dynamodb.on(DescribeTableCommand).resolves({ Table: { TableName: "mavik-ssot-audit", SSEDescription: { Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: ALIAS_ARN } } }),
      "table", "mavik-ssot-audit", `names the alias ARN ${ALIAS_ARN}, not the key ARN`,
    ],
    ["a secret naming the key by its id", () => secrets.on(DescribeSecretCommand).resolves({ Name: "mavik/ssot/db", KmsKeyId: KEY_ID }), "secret", "mavik/ssot/db", `names the key by its id ${KEY_ID}, not the key ARN ${KEY_ARN}`],
    ["a secret naming the alias", () => secrets.on(DescribeSecretCommand).resolves({ Name: "mavik/ssot/db", KmsKeyId: "alias/mavik-data-kms-key" }), "secret", "mavik/ssot/db", "names the alias alias/mavik-data-kms-key, not the key ARN"],
    [
      "a bucket with DSSE-KMS under another key",
      () => s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms:dsse", KMSMasterKeyID: OTHER_KEY } }] } }),
      "bucket", "mavik-ssot-files", `encrypted with ${OTHER_KEY}, not ${KEY_ARN}`,
    ],
    ["rotation off", () => kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: false, KeyId: KEY_ARN }), "rotation", undefined, "automatic rotation is off"],
    ["rotation every two years", () => kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true, KeyId: KEY_ARN, RotationPeriodInDays: 730 }), "rotation", undefined, "rotates every 730 days, not 365"],
    [
      "a disabled key",
      () => kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN, KeyState: "Disabled", KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT", KeyManager: "CUSTOMER" } }),
      "key", undefined, "state is Disabled, not Enabled",
    ],
    [
      "another account's key, found by the alias with that account's credentials",
      () =>
        kms.on(DescribeKeyCommand).resolves({
          KeyMetadata: { KeyId: KEY_ID, Arn: `arn:aws:kms:eu-west-1:999988887777:key/${KEY_ID}`, KeyState: "Enabled", KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT", KeyManager: "CUSTOMER" },
        }),
      "key", undefined, `it is in account 999988887777, not the environment's ${ACCOUNT}; it is in region eu-west-1, not the environment's us-east-1`,
    ],
    [
      "a multi-Region key with imported key material",
      () =>
        kms.on(DescribeKeyCommand).resolves({
          KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN, KeyState: "Enabled", KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT", KeyManager: "CUSTOMER", MultiRegion: true, Origin: "EXTERNAL" },
        }),
      "key", undefined, "it is a multi-Region key, not the single-Region key of the configuration; its key material comes from EXTERNAL, not AWS_KMS (KMS neither generates nor rotates it)",
    ],
  ])("%s", async (_name, arrange, check, target, reason) => {
    arrange();
    const { code, byTarget } = await results();
    expect(byTarget(check, target)).toMatchObject({ status: "fail", reason });
    expect(code).toBe(1);
  });

  test("a live policy whose Statement is one object (IAM's grammar allows it) is read, and its drift reported", async () => {
    kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify({ Version: "2012-10-17", Statement: SEED_POLICY.Statement[0] }), PolicyName: "default" });
    const { code, byTarget } = await results();
    expect(byTarget("policy")).toMatchObject({
      status: "fail",
      details: ['Id is undefined, expected "key-consolepolicy-3"', ...SEED_POLICY.Statement.slice(1).map((s: { Sid?: string }) => `statement ${JSON.stringify(s.Sid)} is missing`)],
    });
    expect(code).toBe(1);
  });

  test("a drifted policy is reported statement by statement", async () => {
    const drifted = JSON.parse(JSON.stringify(SEED_POLICY));
    drifted.Statement[2].Action = ["kms:Decrypt"];
    drifted.Statement.push({ Sid: "Added by hand", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/intern` }, Action: "kms:Decrypt", Resource: "*" });
    kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify(drifted), PolicyName: "default" });
    const { code, byTarget } = await results();
    expect(byTarget("policy")).toMatchObject({
      status: "fail",
      details: ['statement "Allow use of the key" differs in Action', 'statement "Added by hand" is not in the synthesized policy'],
    });
    expect(code).toBe(1);
  });

  test("a destructive event in the window is flagged with who and when", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [trailEvent("Decrypt", LAMBDA_ROLE), trailEvent("ScheduleKeyDeletion", DEPLOYER, 5)] });
    const { code, byTarget } = await results();
    expect(byTarget("destructive-events")).toMatchObject({
      status: "fail",
      reason: `ScheduleKeyDeletion by arn:aws:iam::${ACCOUNT}:user/mavik-deployer at 2026-11-28T11:55:00.000Z`,
    });
    expect(code).toBe(1);
  });
});

describe("could not check: exit 2, never a pass and never a failure of encryption", () => {
  test("AccessDenied on one check", async () => {
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: "mavik-ssot-api" }).rejects(awsError("AccessDeniedException", "User is not authorized to perform: lambda:GetFunctionConfiguration"));
    const { code, json, byTarget } = await results();
    expect(byTarget("function", "mavik-ssot-api")).toMatchObject({ status: "could-not-check", reason: "access denied: User is not authorized to perform: lambda:GetFunctionConfiguration" });
    expect(json.results.filter((r: any) => r.status !== "pass")).toHaveLength(1);
    expect(code).toBe(2);
  });

  test("a missing resource", async () => {
    dynamodb.on(DescribeTableCommand, { TableName: "mavik-ssot-records" }).rejects(awsError("ResourceNotFoundException", "Requested resource not found: Table: mavik-ssot-records not found"));
    const { code, byTarget } = await results();
    expect(byTarget("table", "mavik-ssot-records")).toMatchObject({ status: "could-not-check", reason: "not found: Requested resource not found: Table: mavik-ssot-records not found" });
    expect(code).toBe(2);
  });

  test("throttled past the SDK's retries", async () => {
    secrets.on(DescribeSecretCommand).rejects(awsError("ThrottlingException", "Rate exceeded"));
    const { code, byTarget } = await results();
    expect(byTarget("secret", "mavik/ssot/db")).toMatchObject({ status: "could-not-check", reason: "throttled past the SDK's retries: Rate exceeded" });
    expect(code).toBe(2);
  });

  test("no key: everything that depends on it is could-not-check, not fail", async () => {
    kms.on(DescribeKeyCommand).rejects(awsError("NotFoundException", "Alias arn:aws:kms:us-east-1:167067248318:alias/mavik-data-kms-key is not found."));
    const { code, json } = await results();
    expect(new Set(json.results.map((r: any) => r.status))).toEqual(new Set(["could-not-check"]));
    expect(code).toBe(2);
  });

  test("a failure wins over a could-not-check: exit 1", async () => {
    kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: false });
    secrets.on(DescribeSecretCommand).rejects(awsError("AccessDeniedException", "denied"));
    expect((await results()).code).toBe(1);
  });
});

describe("CloudTrail pagination", () => {
  test("follows NextToken through every page", async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolves({ Events: [trailEvent("Decrypt", LAMBDA_ROLE, 10), trailEvent("Decrypt", LAMBDA_ROLE, 11)], NextToken: "t2" })
      .on(LookupEventsCommand, { NextToken: "t2" })
      .resolves({ Events: [trailEvent("Encrypt", VIA_S3, 12)], NextToken: "t3" })
      .on(LookupEventsCommand, { NextToken: "t3" })
      .resolves({ Events: [trailEvent("PutKeyPolicy", DEPLOYER, 13)] });
    const { byTarget } = await results();
    expect(byTarget("usage").details).toMatchObject({ events: 4, pages: 3, byEvent: { Decrypt: 2, Encrypt: 1, PutKeyPolicy: 1 } });
    expect(byTarget("destructive-events").status).toBe("fail");
    expect(cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(3);
  });
});

describe("the SDK's retry: throttling, then success", () => {
  test("a real KMS client retries a ThrottlingException from the wire and succeeds", async () => {
    kms.restore();
    try {
      let calls = 0;
      const { Readable } = require("stream");
      const body = (json: object) => Readable.from([Buffer.from(JSON.stringify(json))]);
      const requestHandler = {
        handle: async () => {
          calls++;
          const response =
            calls === 1
              ? { statusCode: 400, headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": "ThrottlingException" }, body: body({ __type: "ThrottlingException", message: "Rate exceeded" }) }
              : { statusCode: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: body({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN, KeyState: "Enabled" } }) };
          return { response };
        },
      };
      const client = new KMSClient({ region: "us-east-1", maxAttempts: 3, credentials: { accessKeyId: "test", secretAccessKey: "test" }, requestHandler: requestHandler as never });
      const out = await send<any>(client, new DescribeKeyCommand({ KeyId: "alias/mavik-data-kms-key" }));
      expect(out.KeyMetadata.Arn).toBe(KEY_ARN);
      expect(calls).toBe(2);
      expect(out.$metadata.attempts).toBe(2);
    } finally {
      mockClient(KMSClient);
    }
  });
});

describe("read-only", () => {
  test("every command verify may send is a Read or List action in AWS's service authorization data", () => {
    const levels = Object.values(READ_ONLY_COMMANDS).map(({ action }) => [action, actionAccessLevel(action)]);
    expect(levels.filter(([, level]) => level !== "Read" && level !== "List")).toEqual([]);
    expect(levels).toHaveLength(15);
  });

  test("a full run sends only those commands", async () => {
    await results();
    const allowed = new Set(Object.keys(READ_ONLY_COMMANDS));
    const sent = MOCKS.flatMap((m) => m.calls().map((c) => (c.args[0] as object).constructor.name));
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.filter((name) => !allowed.has(name))).toEqual([]);
  });

  test("send refuses a mutating command", () => {
    const { ScheduleKeyDeletionCommand } = require("@aws-sdk/client-kms");
    expect(() => send(new KMSClient({ region: "us-east-1" }), new ScheduleKeyDeletionCommand({ KeyId: KEY_ID }))).toThrow(
      "verify is read-only and may not send ScheduleKeyDeletionCommand",
    );
  });
});

describe("bad input: a clear error and exit 2", () => {
  test.each<[string, string[], string]>([
    ["an unknown environment", ["--env", "qa"], 'error: --env: "qa" is not allowed. Known environments: ssot.\n'],
    ["no environment", [], "error: --env: missing. Which environment? npm run verify -- --env <name> (--help for all options)\n"],
    ["a bad --since", ["--env", "ssot", "--since", "last week"], 'error: --since: "last week" is not allowed. Use a duration such as 7d, 12h or 90m, or a date such as 2026-11-01.\n'],
    ["a --since past CloudTrail's 90 days", ["--env", "ssot", "--since", "120d"], 'error: --since: "120d" is not allowed. CloudTrail\'s event history covers the last 90 days.\n'],
    ["a --since in the future", ["--env", "ssot", "--since", "2027-01-01"], 'error: --since: "2027-01-01" is not allowed. It is in the future.\n'],
  ])("%s", async (_name, args, message) => {
    const { code, stderr } = await verify(args);
    expect(stderr).toBe(message);
    expect(code).toBe(2);
  });

  // One run, one environment: verify uses one set of credentials (each environment's role, in
  // its account and region), so a list such as review's --env takes is refused, never read as its first name.
  test.each([["two environments", "prod,staging"], ["one environment twice", "prod,prod"], ["a trailing comma", "prod,"]])("a list for --env (%s) is refused, naming the option", async (_name, list) => {
    const { code, stderr, stdout } = await verify(["--env", list], path.join(REPO, "__tests__", "fixtures", "environments.multi.json"));
    expect([code, stderr, stdout]).toEqual([
      2,
      `error: --env: ${JSON.stringify(list)} is not allowed. verify checks one environment a run, with that environment's credentials: name one, and run verify once for each (the audit workflow runs a job per environment).\n`,
      "",
    ]);
  });

  test("--help says --env takes one environment", async () => {
    expect((await verify(["--help"])).stdout).toContain("  --env <name>            the one environment to check (required; a list such as a,b is refused)\n");
  });

  test("the command users type too (npm run verify, through scripts/run.js), and --since is honoured", async () => {
    const run = spawnSync(process.execPath, [path.join(REPO, "scripts", "run.js"), "verify", "--env", "qa"], { cwd: REPO, encoding: "utf8", env: { ...process.env, MAVIK_CONFIG: SHIPPED_CONFIG } });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('error: --env: "qa" is not allowed. Known environments: prod.\n');
    await verify(["--env", "ssot", "--since", "12h"]);
    expect(cloudtrail.commandCalls(LookupEventsCommand)[0].args[0].input.StartTime).toEqual(new Date("2026-11-28T00:00:00Z"));
  });

  test("the table lists could-not-check plainly", () => {
    expect(table([{ check: "key", target: "alias/x", status: "could-not-check", reason: "no AWS credentials" }])).toBe(
      "STATUS           CHECK  TARGET   REASON\nCOULD NOT CHECK  key    alias/x  no AWS credentials\n",
    );
  });
});

test("the synthesized policy the drift check compares against is the seed's", () => {
  expect(composeKeyPolicy({ ...ENV, partition: "aws" }).document).toEqual(SEED_POLICY);
});
