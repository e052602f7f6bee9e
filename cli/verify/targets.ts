/**
 * What verify checks of each resource bound to the key (seed §5.3): the call that reads its
 * "Encryption key" field, and the verdict. The resources are the bindings of the environment's
 * stack as the app builds it (bound from environments.json or in code), not a second list.
 */
import { DescribeTableCommandOutput } from "@aws-sdk/client-dynamodb";
import { GetFunctionConfigurationCommandOutput } from "@aws-sdk/client-lambda";
import { GetBucketEncryptionCommandOutput } from "@aws-sdk/client-s3";
import { DescribeSecretCommandOutput } from "@aws-sdk/client-secrets-manager";
import { environmentStack, EnvironmentConfig } from "../../app";
import { DEFAULT_ALIAS, KeyBinding, partitionOf } from "../../modules/index";
import { Clients, READ_ONLY_COMMANDS as C, send } from "./commands";
import { cannotCheck, CheckResult } from "./outcome";

export interface BoundTarget {
  /** secret, bucket, table, function */
  readonly check: string;
  readonly target: string;
  run(clients: Clients, keyArn: string, signal?: AbortSignal): Promise<CheckResult>;
}

const CHECK_OF: Record<KeyBinding["service"], string> = { s3: "bucket", dynamodb: "table", secretsmanager: "secret", lambda: "function" };

/** The bindings of the environment's stack, as the app builds it (nothing is synthesized or written). */
export function environmentBindings(env: EnvironmentConfig): KeyBinding[] {
  return environmentStack(env).dataKey.bindings;
}

/** One target per binding, in the order bound. */
export function bindingTargets(env: EnvironmentConfig, bindings: readonly KeyBinding[]): BoundTarget[] {
  const aliasArn = `arn:${partitionOf(env.region)}:kms:${env.region}:${env.accountId}:${env.alias ?? DEFAULT_ALIAS}`;
  return bindings.map((binding) => {
    const check = CHECK_OF[binding.service];
    // A binding's name is the resource's AWS name, or its address when the name is computed.
    if (binding.name === binding.address) {
      return {
        check,
        target: binding.address,
        run: async () => ({ check, target: binding.address, status: "could-not-check", reason: "its name is known only after apply" }),
      };
    }
    return target(check, binding.name, aliasArn, READERS[binding.service](binding.name));
  });
}

/** What a resource's "Encryption key" field says, or a verdict reached while reading it. */
type Reading = { readonly keyArn: string | undefined; readonly problem?: string } | { readonly fail: string };
type Reader = (clients: Clients, signal?: AbortSignal) => Promise<Reading>;

const READERS: Record<KeyBinding["service"], (name: string) => Reader> = {
  secretsmanager: (name) => async (c, signal) => {
    const d = await send<DescribeSecretCommandOutput>(c.secrets, new C.DescribeSecretCommand.command({ SecretId: name }), signal);
    return { keyArn: d.KmsKeyId };
  },
  s3: (name) => async (c, signal) => {
    let d: GetBucketEncryptionCommandOutput;
    try {
      d = await send<GetBucketEncryptionCommandOutput>(c.s3, new C.GetBucketEncryptionCommand.command({ Bucket: name }), signal);
    } catch (e) {
      if ((e as { name?: string }).name === "ServerSideEncryptionConfigurationNotFoundError") return { fail: "the bucket has no default encryption configuration" };
      throw e;
    }
    const rule = d.ServerSideEncryptionConfiguration?.Rules?.[0];
    const byDefault = rule?.ApplyServerSideEncryptionByDefault;
    const algorithm = byDefault?.SSEAlgorithm;
    // aws:kms:dsse (dual-layer) is on the key too, as the synth-time rule has it; S3 Bucket Keys
    // do not apply to it (S3 user guide, DSSE-KMS), so only aws:kms is held to the Bucket Key.
    if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") return { fail: `default encryption is ${algorithm ?? "none"}, not aws:kms` };
    return { keyArn: byDefault!.KMSMasterKeyID, problem: algorithm === "aws:kms" && !rule?.BucketKeyEnabled ? "the S3 Bucket Key is off" : undefined };
  },
  dynamodb: (name) => async (c, signal) => {
    const d = await send<DescribeTableCommandOutput>(c.dynamodb, new C.DescribeTableCommand.command({ TableName: name }), signal);
    return { keyArn: d.Table?.SSEDescription?.KMSMasterKeyArn };
  },
  lambda: (name) => async (c, signal) => {
    const d = await send<GetFunctionConfigurationCommandOutput>(c.lambda, new C.GetFunctionConfigurationCommand.command({ FunctionName: name }), signal);
    return { keyArn: d.KMSKeyArn };
  },
};

function target(check: string, name: string, aliasArn: string, read: Reader): BoundTarget {
  return {
    check,
    target: name,
    run: async (clients, keyArn, signal) => {
      try {
        const reading = await read(clients, signal);
        if ("fail" in reading) return { check, target: name, status: "fail", reason: reading.fail };
        return judge(check, name, reading.keyArn, keyArn, aliasArn, reading.problem);
      } catch (e) {
        return cannotCheck(check, name, e);
      }
    },
  };
}

/**
 * Passes only for the key ARN (seed §5.3). The key's bare id, its alias name or alias ARN fail,
 * each said as such: a service resolves an id or an alias in the caller's account, and an alias
 * can be moved to another key (S3 API reference, ServerSideEncryptionByDefault.KMSMasterKeyID).
 */
function judge(check: string, target: string, actual: string | undefined, keyArn: string, aliasArn: string, extra?: string): CheckResult {
  if (actual === keyArn && !extra) return { check, target, status: "pass", reason: `encrypted with ${keyArn}` };
  const keyId = keyArn.slice(keyArn.indexOf(":key/") + 5);
  const aliasName = aliasArn.slice(aliasArn.indexOf(":alias/") + 1);
  const reason =
    actual === undefined
      ? "not encrypted with a customer-managed key (AWS owned or AWS managed key)"
      : actual === aliasArn
        ? `names the alias ARN ${actual}, not the key ARN`
        : actual === aliasName
          ? `names the alias ${actual}, not the key ARN`
          : actual === keyId
            ? `names the key by its id ${actual}, not the key ARN ${keyArn}`
            : actual !== keyArn
              ? `encrypted with ${actual}, not ${keyArn}`
              : extra!;
  return { check, target, status: "fail", reason };
}
