/**
 * The independent oracle for the evaluator: @cloud-copilot/iam-simulate (AGPL-3.0, a
 * devDependency of the tests only; nothing of it ships).
 *
 * Its public `runSimulation` validates every input again (~1 ms a call); the corpus asks it tens
 * of thousands of times, so this calls the same engine's `authorize` with each policy parsed once
 * (~0.15 ms). A test checks that both paths answer alike on a sample. (`runUnsafeSimulation`, its
 * own shortcut, fails on any resource policy: it loads it without the name the engine reads.)
 */
import * as path from "path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument, RequestContext } from "../../modules/index";
import { asList } from "../../modules/key-policy/document";
import { ACCOUNT, OTHER } from "../fixtures/policy-corpus";

const dir = path.dirname(require.resolve("@cloud-copilot/iam-simulate"));
/* eslint-disable @typescript-eslint/no-require-imports */
const { authorize } = require(path.join(dir, "core_engine", "CoreSimulatorEngine.js"));
const { AwsRequestImpl } = require(path.join(dir, "request", "request.js"));
const { RequestContextImpl } = require(path.join(dir, "requestContext.js"));
const { DiscoveryContextKeyConstraints } = require(path.join(dir, "context_keys", "discoveryContextKeyConstraints.js"));
const { loadPolicy } = require(require.resolve("@cloud-copilot/iam-policy", { paths: [dir] }));
/* eslint-enable @typescript-eslint/no-require-imports */

export type OracleEffect = "allow" | "iam" | "deny";

export interface OracleAnswer {
  readonly effect: OracleEffect;
  /** The key policy alone: ExplicitlyDenied, ImplicitlyDenied or Allowed. */
  readonly keyPolicyResult: string;
}

export type OracleContext = Readonly<Record<string, string | readonly string[]>>;

const IAM_ALLOW = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] };
const PARAMETERS = { simulationMode: "Strict", discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) };

/** A key policy loaded once, asked many requests. */
export class Oracle {
  private readonly policy: unknown;
  private readonly identity = [loadPolicy(IAM_ALLOW, { name: "allow-kms" })];

  constructor(
    policy: PolicyDocument,
    private readonly keyArn: string,
    private readonly keyAccount: string,
  ) {
    this.policy = loadPolicy(policy, { name: "key-policy" });
  }

  private result(principal: string, action: string, context: OracleContext, withIam: boolean): string {
    const request = new AwsRequestImpl(principal, { resource: this.keyArn, accountId: this.keyAccount }, action, new RequestContextImpl({ ...context }));
    return authorize({
      request,
      sessionPolicy: undefined,
      identityPolicies: withIam ? this.identity : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.policy,
      permissionBoundaries: undefined,
      vpcEndpointPolicies: undefined,
      simulationParameters: PARAMETERS,
      serviceSettings: { s3: {} },
    }).result;
  }

  /**
   * `allow`: the key policy alone allows it; `iam`: allowed once the principal's IAM policy
   * allows kms:* (service principals have none); `deny` otherwise.
   */
  ask(principal: string, action: string, context: OracleContext): OracleAnswer {
    const alone = this.result(principal, action, context, false);
    if (alone === "Allowed") return { effect: "allow", keyPolicyResult: alone };
    const service = !principal.startsWith("arn:");
    if (!service && this.result(principal, action, context, true) === "Allowed") return { effect: "iam", keyPolicyResult: alone };
    return { effect: "deny", keyPolicyResult: alone };
  }
}

/** The same question through iam-simulate's public, validating entry point. */
export async function askPublicly(policy: PolicyDocument, keyArn: string, keyAccount: string, principal: string, action: string, context: OracleContext): Promise<OracleEffect> {
  const run = async (withIam: boolean) => {
    const result = await runSimulation(
      {
        request: { principal, action, resource: { resource: keyArn, accountId: keyAccount }, contextVariables: context as Record<string, string | string[]> },
        identityPolicies: withIam ? [{ name: "allow-kms", policy: IAM_ALLOW }] : [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policy,
      },
      {},
    );
    if (result.resultType === "error") throw new Error(`iam-simulate refused the request: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
  };
  if ((await run(false)) === "Allowed") return "allow";
  if (principal.startsWith("arn:") && (await run(true)) === "Allowed") return "iam";
  return "deny";
}

/** The actions every corpus question asks about. */
export const ACTIONS = ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:GetKeyPolicy", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:DescribeKey"];

/** The principals to ask about a policy. */
export function principalsOf(policy: PolicyDocument): string[] {
  const out = new Set([`arn:aws:iam::${ACCOUNT}:root`, `arn:aws:iam::${ACCOUNT}:role/any-other-principal`, `arn:aws:iam::${OTHER}:role/any-principal`, "sqs.amazonaws.com"]);
  for (const s of policy.Statement) {
    for (const element of [s.Principal, s.NotPrincipal]) {
      if (element === undefined || element === "*") continue;
      for (const id of asList(element.AWS)) {
        if (id === "*") continue;
        if (/^\d{12}$/.test(id)) out.add(`arn:aws:iam::${id}:root`);
        else if (/:role\//.test(id)) {
          const [, account, name] = /::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(id)!;
          out.add(`arn:aws:sts::${account}:assumed-role/${name}/corpus-session`);
        } else out.add(id);
      }
      for (const id of asList(element.Service)) out.add(id);
    }
  }
  return [...out];
}

/** The keys present in a concrete context, as the oracle takes them. */
export function present(context: RequestContext): OracleContext {
  return Object.fromEntries(Object.entries(context.entries()).filter((e): e is [string, string | string[]] => e[1] !== null));
}
