/**
 * The Terraform tier: the synthesized JSON of every environment goes through the real
 * Terraform CLI and the real hashicorp/aws provider, offline.
 */
import { buildKeyPolicy, eventsStatement, loadEnvironments, normalizePolicy, partitionOf } from "../modules";
import * as path from "path";
import { MULTI_CONFIG, REPO, SEED_POLICY, SHIPPED_CONFIG, synthApp } from "./support/synth";
import { offlineCopy, PlanJson, stateWithKey, terraformAvailable, TerraformSandbox, TerraformWorkspace } from "./support/terraform";

const KEY = "aws_kms_key.mavik_data_key";
const ALIAS = "aws_kms_alias.mavik_data_key";
const SEED_KEY_ID = "cb424700-0dd0-4dcb-a77d-13af16579270";

const runTier = terraformAvailable("Terraform tier (terraform validate / plan)");
const describeTerraform = runTier ? describe : describe.skip;

/** Every environment of the shipped file and of the multi-environment fixture. */
const CASES = [
  { label: "shipped", file: SHIPPED_CONFIG },
  { label: "fixture", file: MULTI_CONFIG },
  { label: "resources", file: path.join(REPO, "__tests__", "fixtures", "environments.resources.json") },
  { label: "audit", file: path.join(REPO, "__tests__", "fixtures", "environments.audit.json") },
].flatMap(({ label, file }) => {
  const stacks = synthApp(file).json;
  return loadEnvironments(file).map((env) => ({ id: `${label}-${env.name}`, env, stack: stacks[env.name] }));
});

describeTerraform("Terraform tier: real terraform validate and offline plan", () => {
  let sandbox: TerraformSandbox;
  const plans = new Map<string, PlanJson>();
  const workspaces = new Map<string, TerraformWorkspace>();

  beforeAll(() => {
    sandbox = new TerraformSandbox("tf");
    for (const c of CASES) {
      const ws = sandbox.workspace(c.id, offlineCopy(c.stack));
      ws.ok(["init", "-input=false", "-no-color", "-backend=false"]);
      workspaces.set(c.id, ws);
    }
  });
  afterAll(() => sandbox?.dispose());

  describe.each(CASES)("$id", ({ id, env, stack }) => {
    test("terraform validate accepts the configuration", () => {
      const result = JSON.parse(workspaces.get(id)!.run(["validate", "-json", "-no-color"]).stdout);
      expect(result).toMatchObject({ valid: true, error_count: 0 });
    });

    test("terraform plan computes the key, the alias and the policy", () => {
      const ws = workspaces.get(id)!;
      ws.ok(["plan", "-input=false", "-no-color", "-lock=false", "-out=plan.bin"]);
      const plan = ws.showPlan("plan.bin");
      plans.set(id, plan);
      const byAddress = Object.fromEntries(plan.planned_values.root_module.resources!.map((r) => [r.address, r.values]));
      expect(Object.keys(byAddress).filter((a) => a.startsWith("aws_kms_")).sort()).toEqual([ALIAS, KEY]);
      expect(byAddress[KEY]).toMatchObject({
        customer_master_key_spec: "SYMMETRIC_DEFAULT",
        key_usage: "ENCRYPT_DECRYPT",
        is_enabled: true,
        enable_key_rotation: true,
        rotation_period_in_days: 365,
        deletion_window_in_days: env.deletionWindowInDays ?? 30,
      });
      expect(byAddress[ALIAS]).toMatchObject({ name: env.alias ?? "alias/mavik-data-kms-key" });

      const planned = JSON.parse(byAddress[KEY].policy as string);
      const built = buildKeyPolicy({ ...env, partition: partitionOf(env.region) });
      // An encrypted alert topic adds the events statement, made with the rule.
      const ruleArn = `arn:${partitionOf(env.region)}:events:${env.region}:${env.accountId}:rule/mavik-data-key-${env.name}-alerts`;
      const audited = env.audit?.alerts !== undefined && env.audit.alerts.encryptTopic !== false;
      const expected = audited ? { ...built, Statement: [...built.Statement, eventsStatement(ruleArn)] } : built;
      expect(normalizePolicy(planned)).toEqual(normalizePolicy(expected));
      if (env.accountId === "167067248318" && env.existingKeyId === SEED_KEY_ID) {
        // The seed's environment: the policy Terraform computes is the seed's JSON.
        expect(planned).toEqual(SEED_POLICY);
        expect(normalizePolicy(planned)).toEqual(normalizePolicy(SEED_POLICY));
      }
    });

    test("prevent_destroy is in the configuration Terraform reads, and stops a destroy plan", () => {
      expect(stack.resource.aws_kms_key.mavik_data_key.lifecycle).toEqual({ prevent_destroy: true });
      const ws = workspaces.get(id)!;
      ws.writeState(stateWithKey({}));
      const result = ws.run(["plan", "-destroy", "-refresh=false", "-lock=false", "-input=false", "-no-color"]);
      ws.writeState({ version: 4, terraform_version: "1.11.4", serial: 2, lineage: "0b7e1f0c-5d8a-4a51-9c1e-6f3b2d4a7e90", outputs: {}, resources: [] });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("Instance cannot be destroyed");
      expect(result.stderr).toContain(`Resource ${KEY} has lifecycle.prevent_destroy set`);
    });
  });

  test("every binding, new and existing, plans with a reference to the key ARN", () => {
    const plan = plans.get("resources-ssot")!;
    expect(plan).toBeDefined();
    const expressions = Object.fromEntries(
      (plan.configuration.root_module.resources as { address: string; expressions: Record<string, any> }[]).map((r) => [r.address, r.expressions]),
    );
    const keyArn = (value: any) => value?.references ?? [];
    const bound = {
      "aws_s3_bucket_server_side_encryption_configuration.mavik-ssot-files": (e: any) => e.rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id,
      "aws_s3_bucket_server_side_encryption_configuration.mavik-ssot-legacy-exports": (e: any) => e.rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id,
      "aws_dynamodb_table.mavik-ssot-records": (e: any) => e.server_side_encryption[0].kms_key_arn,
      "aws_dynamodb_table.mavik-ssot-audit": (e: any) => e.server_side_encryption[0].kms_key_arn,
      "aws_secretsmanager_secret.mavik_ssot_api-token": (e: any) => e.kms_key_id,
      "aws_secretsmanager_secret.mavik_ssot_db": (e: any) => e.kms_key_id,
      "aws_lambda_function.mavik-ssot-api": (e: any) => e.kms_key_arn,
      "aws_lambda_function.mavik-ssot-sync": (e: any) => e.kms_key_arn,
    };
    for (const [address, pick] of Object.entries(bound)) {
      expect([address, keyArn(pick(expressions[address]))]).toEqual([address, expect.arrayContaining([`${KEY}.arn`])]);
    }
    const changes = plan.resource_changes!.filter((c) => !c.address.startsWith("aws_kms_"));
    expect(changes).toHaveLength(9);
    expect(changes.every((c) => c.change.actions.join() === "create")).toBe(true);
  });

  test("the audit resources plan: rule, target, encrypted topic, its policy, subscriptions, Config rule", () => {
    const plan = plans.get("audit-audited")!;
    expect(plan).toBeDefined();
    const creates = plan.resource_changes!.filter((c) => c.change.actions.join() === "create").map((c) => c.address).sort();
    expect(creates).toEqual([
      "aws_cloudwatch_event_rule.mavik_data_key_alerts",
      "aws_cloudwatch_event_target.mavik_data_key_alerts",
      "aws_config_config_rule.mavik_data_key_rotation",
      "aws_kms_alias.mavik_data_key",
      "aws_kms_key.mavik_data_key",
      "aws_sns_topic.mavik_data_key_alerts",
      "aws_sns_topic_policy.mavik_data_key_alerts",
      "aws_sns_topic_subscription.mavik_data_key_alerts_0",
      "aws_sns_topic_subscription.mavik_data_key_alerts_1",
    ]);
    const values = Object.fromEntries(plan.planned_values.root_module.resources!.map((r) => [r.address, r.values]));
    expect(values["aws_config_config_rule.mavik_data_key_rotation"].source).toEqual([
      expect.objectContaining({ owner: "AWS", source_identifier: "CMK_BACKING_KEY_ROTATION_ENABLED" }),
    ]);
    expect(values["aws_cloudwatch_event_rule.mavik_data_key_alerts"].name).toBe("mavik-data-key-audited-alerts");
  });

  describe("the seed's environment", () => {
    const seed = CASES.find((c) => c.id === "shipped-prod")!;

    test("adopting the live key changes nothing in its policy or rotation", () => {
      const ws = sandbox.workspace("adopt", offlineCopy(seed.stack));
      ws.ok(["init", "-input=false", "-no-color", "-backend=false"]);
      ws.writeState(stateWithKey({}));
      ws.ok(["plan", "-refresh=false", "-lock=false", "-input=false", "-no-color", "-out=adopt.bin"]);
      const change = ws.showPlan("adopt.bin").resource_changes!.find((c) => c.address === KEY)!.change;
      expect(change.actions).not.toContain("delete");
      expect(change.actions).not.toContain("create");
      // The provider compares policies by meaning: the pretty-printed live policy equals ours.
      expect(change.after!.policy).toBe(change.before!.policy);
      expect(change.after!.rotation_period_in_days).toBe(365);
    });

    test("a change that would replace the key fails the plan instead", () => {
      const ws = sandbox.workspace("replace", offlineCopy(seed.stack));
      ws.ok(["init", "-input=false", "-no-color", "-backend=false"]);
      // customer_master_key_spec forces a new key: state says RSA, config says SYMMETRIC_DEFAULT.
      ws.writeState(stateWithKey({ customer_master_key_spec: "RSA_2048" }));
      const result = ws.run(["plan", "-refresh=false", "-lock=false", "-input=false", "-no-color"]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("Instance cannot be destroyed");
    });
  });
});
