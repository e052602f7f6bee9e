/**
 * The Terraform tier: the synthesized JSON of every environment goes through the real
 * Terraform CLI and the real hashicorp/aws provider, offline.
 *
 * Each environment's stack is one module of a combined root (module.<case>), so one `validate`,
 * one `plan` and one `show` cover every environment; a second root holds every key in state
 * for the refusals (`prevent_destroy`). Same assertions per environment, a fifth of the CPU.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { alarmsStatement, buildKeyPolicy, eventsStatement, normalizePolicy, partitionOf } from "../modules/index";
import { loadEnvironments } from "../app";
import { build as adoptExisting } from "../examples/adopt-existing/main";
import { build as minimalKey } from "../examples/minimal-key/main";
import { build as severalEnvironments } from "../examples/several-environments/main";
import { buildBootstrapApp } from "../cli/bootstrap";
import { MULTI_CONFIG, REPO, SEED_POLICY, SHIPPED_CONFIG, synthApp, synthExample } from "./support/synth";
import {
  keyStateResource,
  ModuleView,
  moduleView,
  offlineCopy,
  PlanJson,
  RunResult,
  SEED_KEY_ID,
  terraformAvailable,
  TerraformSandbox,
} from "./support/terraform";

const KEY = "aws_kms_key.mavik_data_key";
const ALIAS = "aws_kms_alias.mavik_data_key";

const describeTerraform = terraformAvailable("Terraform tier (terraform validate / plan)") ? describe : describe.skip;

/** Every environment of the shipped file and of the fixtures. */
const CASES = [
  { label: "shipped", file: SHIPPED_CONFIG },
  { label: "fixture", file: MULTI_CONFIG },
  { label: "resources", file: path.join(REPO, "__tests__", "fixtures", "environments.resources.json") },
  { label: "audit", file: path.join(REPO, "__tests__", "fixtures", "environments.audit.json") },
  // AWS Config coverage, and the resources block `verify --discover` prints (discover-wire.test.ts).
  { label: "coverage", file: path.join(REPO, "__tests__", "fixtures", "environments.coverage.json") },
  { label: "adopted", file: path.join(REPO, "__tests__", "fixtures", "environments.adopted.json") },
].flatMap(({ label, file }) => {
  const stacks = synthApp(file).json;
  return loadEnvironments(file).map((env) => ({ id: `${label}-${env.name}`, env, stack: stacks[env.name] }));
});
const seed = CASES.find((c) => c.id === "shipped-prod")!;

/** Every stack of every example (examples.test.ts checks what they synthesize). */
const EXAMPLE_STACKS = Object.entries({ "minimal-key": minimalKey, "several-environments": severalEnvironments, "adopt-existing": adoptExisting }).flatMap(
  ([example, build]) => Object.entries(synthExample(build)).map(([stack, json]) => ({ id: `example-${example}-${stack}`, example, stack: json })),
);

/** Every account's bootstrap, of the shipped file and of the two-account fixture (bootstrap.test.ts checks what they synthesize). */
const BOOTSTRAP_STACKS = [SHIPPED_CONFIG, path.join(REPO, "__tests__", "fixtures", "environments.bootstrap.json")].flatMap((configFile, i) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-bootstrap-tf-"));
  const { app, stacks } = buildBootstrapApp({ configFile, outdir });
  app.synth();
  return stacks.map((s) => ({
    id: `bootstrap${i}-${s.account.accountId}`,
    account: s.account,
    stack: JSON.parse(fs.readFileSync(path.join(outdir, "stacks", s.account.stackName, "cdk.tf.json"), "utf8")),
  }));
});

/** Terraform wraps its messages at 78 columns when not on a terminal. */
const oneLine = (text: string) => text.replace(/\s+/g, " ");

describeTerraform("Terraform tier: real terraform validate and offline plan", () => {
  let sandbox: TerraformSandbox;
  let validation: { valid: boolean; error_count: number; diagnostics: { summary: string; range?: { filename: string } }[] };
  let plan: PlanJson;
  /** A plan of the seed's stack against state holding the live key: what adoption looks like. */
  let adoption: ModuleView;
  /** Every key in state: a plan that would replace one, and a destroy plan of all. */
  let replaceRefusal: RunResult;
  let destroyRefusal: RunResult;

  beforeAll(async () => {
    sandbox = new TerraformSandbox("tf");
    const planned = sandbox.combined("all", [
      ...CASES.map((c) => ({ id: c.id, config: offlineCopy(c.stack) })),
      ...EXAMPLE_STACKS.map((c) => ({ id: c.id, config: offlineCopy(c.stack) })),
      ...BOOTSTRAP_STACKS.map((c) => ({ id: c.id, config: offlineCopy(c.stack) })),
      { id: "adopt", config: offlineCopy(seed.stack), state: [keyStateResource()] },
    ]);
    const refusals = sandbox.combined("refusals", [
      ...CASES.map((c) => ({ id: c.id, config: offlineCopy(c.stack), state: [keyStateResource()] })),
      // customer_master_key_spec forces a new key: state says RSA, config says SYMMETRIC_DEFAULT.
      { id: "replace", config: offlineCopy(seed.stack), state: [keyStateResource({ customer_master_key_spec: "RSA_2048" })] },
    ]);
    await Promise.all([planned.init(), refusals.init()]);
    const offline = ["-refresh=false", "-lock=false", "-input=false", "-no-color"];
    [validation, plan, replaceRefusal, destroyRefusal] = await Promise.all([
      planned.run(["validate", "-json", "-no-color"]).then((r) => JSON.parse(r.stdout)),
      planned.plan("plan.bin", ["-refresh=false"]),
      refusals.run(["plan", ...offline]),
      refusals.run(["plan", "-destroy", ...offline]),
    ]);
    adoption = moduleView(plan, "adopt");
  });
  afterAll(() => sandbox?.dispose());

  describe.each(CASES)("$id", ({ id, env, stack }) => {
    test("terraform validate accepts the configuration", () => {
      expect(validation).toMatchObject({ valid: true, error_count: 0 });
      expect(validation.diagnostics.filter((d) => d.range?.filename.startsWith(`${id}/`))).toEqual([]);
    });

    test("terraform plan computes the key, the alias and the policy", () => {
      const { values } = moduleView(plan, id);
      expect(Object.keys(values).filter((a) => a.startsWith("aws_kms_")).sort()).toEqual([ALIAS, KEY]);
      expect(values[KEY]).toMatchObject({
        customer_master_key_spec: "SYMMETRIC_DEFAULT",
        key_usage: "ENCRYPT_DECRYPT",
        is_enabled: true,
        enable_key_rotation: true,
        rotation_period_in_days: 365,
        deletion_window_in_days: env.deletionWindowInDays ?? 30,
      });
      expect(values[ALIAS]).toMatchObject({ name: env.alias ?? "alias/mavik-data-kms-key" });

      const planned = JSON.parse(values[KEY].policy as string);
      const built = buildKeyPolicy({ ...env, partition: partitionOf(env.region) });
      // An encrypted alert topic adds the events statement, and the Decrypt alarm its own, made with the alarm.
      const alarmArn = `arn:${partitionOf(env.region)}:cloudwatch:${env.region}:${env.accountId}:alarm:mavik-data-key-${env.name}-decrypt-volume`;
      const audited = env.audit?.alerts !== undefined && env.audit.alerts.encryptTopic !== false;
      const added = audited ? [eventsStatement(), ...(env.audit?.decryptAlarm ? [alarmsStatement(env.accountId, alarmArn)] : [])] : [];
      const expected = { ...built, Statement: [...built.Statement, ...added] };
      expect(normalizePolicy(planned)).toEqual(normalizePolicy(expected));
      if (env.accountId === "167067248318" && env.existingKeyId === SEED_KEY_ID && added.length === 0) {
        // The seed's environment (without an encrypted alerts topic): the policy Terraform computes is the seed's JSON.
        expect(planned).toEqual(SEED_POLICY);
        expect(normalizePolicy(planned)).toEqual(normalizePolicy(SEED_POLICY));
      }
    });

    test("prevent_destroy is in the configuration Terraform reads, and stops a destroy plan", () => {
      expect(stack.resource.aws_kms_key.mavik_data_key.lifecycle).toEqual({ prevent_destroy: true });
      expect(destroyRefusal.code).not.toBe(0);
      expect(destroyRefusal.stderr).toContain("Instance cannot be destroyed");
      expect(oneLine(destroyRefusal.stderr)).toContain(`Resource module.${id}.${KEY} has lifecycle.prevent_destroy set`);
    });
  });

  describe.each(["minimal-key", "several-environments", "adopt-existing"])("examples/%s", (example) => {
    const ids = EXAMPLE_STACKS.filter((c) => c.example === example).map((c) => c.id);

    test("terraform validate accepts every stack", () => {
      expect(ids.length).toBeGreaterThan(0);
      expect(validation).toMatchObject({ valid: true, error_count: 0 });
      expect(validation.diagnostics.filter((d) => ids.some((id) => d.range?.filename.startsWith(`${id}/`)))).toEqual([]);
    });

    test("terraform plan computes each stack's key with prevent_destroy", () => {
      for (const id of ids) {
        const { values } = moduleView(plan, id);
        expect([id, values[KEY]]).toEqual([id, expect.objectContaining({ customer_master_key_spec: "SYMMETRIC_DEFAULT", enable_key_rotation: true })]);
      }
    });
  });

  test("every binding, new and existing, plans with a reference to the key ARN", () => {
    const { expressions, changes } = moduleView(plan, "resources-ssot");
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
    const others = changes.filter((c) => !c.address.startsWith("aws_kms_"));
    expect(others).toHaveLength(9);
    expect(others.every((c) => c.change.actions.join() === "create")).toBe(true);
  });

  test("the audit resources plan: rules, targets, encrypted topic, its policy, subscriptions, Config rule, dashboard, metric filters, alarm", () => {
    const { changes, values } = moduleView(plan, "audit-audited");
    const creates = changes.filter((c) => c.change.actions.join() === "create").map((c) => c.address).sort();
    expect(creates).toEqual([
      "aws_cloudwatch_dashboard.mavik_data_key_dashboard",
      "aws_cloudwatch_event_rule.mavik_data_key_alerts",
      "aws_cloudwatch_event_rule.mavik_data_key_rotation_compliance",
      "aws_cloudwatch_event_target.mavik_data_key_alerts",
      "aws_cloudwatch_event_target.mavik_data_key_rotation_compliance",
      "aws_cloudwatch_log_metric_filter.mavik_data_key_creategrant",
      "aws_cloudwatch_log_metric_filter.mavik_data_key_decrypt",
      "aws_cloudwatch_log_metric_filter.mavik_data_key_encrypt",
      "aws_cloudwatch_log_metric_filter.mavik_data_key_generatedatakey",
      "aws_cloudwatch_log_metric_filter.mavik_data_key_reencrypt",
      "aws_cloudwatch_metric_alarm.mavik_data_key_decrypt",
      "aws_config_config_rule.mavik_data_key_rotation",
      "aws_kms_alias.mavik_data_key",
      "aws_kms_key.mavik_data_key",
      "aws_sns_topic.mavik_data_key_alerts",
      "aws_sns_topic_policy.mavik_data_key_alerts",
      "aws_sns_topic_subscription.mavik_data_key_alerts_0",
      "aws_sns_topic_subscription.mavik_data_key_alerts_1",
    ]);
    expect(values["aws_config_config_rule.mavik_data_key_rotation"].source).toEqual([
      expect.objectContaining({ owner: "AWS", source_identifier: "CMK_BACKING_KEY_ROTATION_ENABLED" }),
    ]);
    expect(values["aws_cloudwatch_event_rule.mavik_data_key_alerts"].name).toBe("mavik-data-key-audited-alerts");
    expect(values["aws_cloudwatch_dashboard.mavik_data_key_dashboard"].dashboard_name).toBe("mavik-data-key-audited");
    expect(values["aws_cloudwatch_metric_alarm.mavik_data_key_decrypt"]).toMatchObject({ threshold: 5000, period: 900, namespace: "Mavik/DataKey/mavik-data-key-audited", metric_name: "Decrypt" });
    expect(values["aws_cloudwatch_log_metric_filter.mavik_data_key_decrypt"]).toMatchObject({ log_group_name: "aws-cloudtrail-logs-167067248318-mgmt" });
  });

  test("coverage: the three managed rules and the Guard rule plan with the key's ARN, and notify the alerts topic", () => {
    const { changes, values, expressions } = moduleView(plan, "coverage-covered");
    const creates = changes.filter((c) => c.change.actions.join() === "create").map((c) => c.address);
    const rules = ["s3", "dynamodb", "secretsmanager", "lambda"].map((s) => `aws_config_config_rule.mavik_data_key_coverage_${s}`);
    expect(creates).toEqual(expect.arrayContaining([...rules, "aws_cloudwatch_event_rule.mavik_data_key_coverage_compliance", "aws_cloudwatch_event_target.mavik_data_key_coverage_compliance"]));
    const identifiers = rules.map((r) => [values[r].name, values[r].source[0].owner, values[r].source[0].source_identifier ?? null, values[r].scope[0].compliance_resource_types]);
    expect(identifiers).toEqual([
      ["mavik-data-key-covered-coverage-s3", "AWS", "S3_DEFAULT_ENCRYPTION_KMS", ["AWS::S3::Bucket"]],
      ["mavik-data-key-covered-coverage-dynamodb", "AWS", "DYNAMODB_TABLE_ENCRYPTED_KMS", ["AWS::DynamoDB::Table"]],
      ["mavik-data-key-covered-coverage-secretsmanager", "AWS", "SECRETSMANAGER_USING_CMK", ["AWS::SecretsManager::Secret"]],
      ["mavik-data-key-covered-coverage-lambda", "CUSTOM_POLICY", null, ["AWS::Lambda::Function"]],
    ]);
    // The key's ARN is known after apply: Terraform plans the parameters and the Guard text from it.
    for (const r of rules.slice(0, 3)) expect([r, expressions[r].input_parameters.references]).toEqual([r, expect.arrayContaining(["aws_kms_key.mavik_data_key.arn"])]);
    expect(expressions[rules[3]].source[0].custom_policy_details[0].policy_text.references).toEqual(expect.arrayContaining(["aws_kms_key.mavik_data_key.arn"]));
    expect(values[rules[3]].source[0].custom_policy_details[0].policy_runtime).toBe("guard-2.x.x");
    expect(expressions["aws_cloudwatch_event_target.mavik_data_key_coverage_compliance"].arn.references).toEqual(expect.arrayContaining(["aws_sns_topic.mavik_data_key_alerts.arn"]));
    expect(JSON.parse(values["aws_cloudwatch_event_rule.mavik_data_key_coverage_compliance"].event_pattern).detail.$or).toHaveLength(4);
  });

  test("the resources block verify --discover prints plans as an environment: every adopted resource on the key", () => {
    const { changes, expressions } = moduleView(plan, "adopted-adopted");
    const kinds = (type: string) => changes.filter((c) => c.type === type && c.change.actions.join() === "create").map((c) => c.address.slice(type.length + 1)).sort();
    expect(kinds("aws_s3_bucket_server_side_encryption_configuration")).toEqual(["mavik-ssot-aliased", "mavik-ssot-archive", "mavik-ssot-files", "mavik-ssot-legacy-exports", "mavik-ssot-managed", "mavik-ssot-uploads"]);
    expect(kinds("aws_dynamodb_table")).toEqual(["mavik-ssot-audit", "mavik-ssot-metrics", "mavik-ssot-records", "mavik-ssot-sessions"]);
    expect(kinds("aws_secretsmanager_secret")).toEqual(["mavik_ssot_api-token", "mavik_ssot_db", "mavik_ssot_legacy", "mavik_ssot_partner-feed"]);
    expect(kinds("aws_lambda_function")).toEqual(["mavik-ssot-api", "mavik-ssot-sync", "mavik-ssot-thumbnailer", "mavik-ssot-worker"]);
    for (const [address, pick] of [
      ["aws_dynamodb_table.mavik-ssot-sessions", (e: any) => e.server_side_encryption[0].kms_key_arn],
      ["aws_secretsmanager_secret.mavik_ssot_legacy", (e: any) => e.kms_key_id],
      ["aws_lambda_function.mavik-ssot-worker", (e: any) => e.kms_key_arn],
      ["aws_s3_bucket_server_side_encryption_configuration.mavik-ssot-uploads", (e: any) => e.rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id],
    ] as const) {
      expect([address, pick(expressions[address]).references]).toEqual([address, expect.arrayContaining([`${KEY}.arn`])]);
    }
  });

  describe.each(BOOTSTRAP_STACKS)("the bootstrap of every account plans with the real provider: $id", ({ id, account, stack }) => {
    test("terraform validate accepts it, with no warning", () => {
      expect(validation.diagnostics.filter((d) => d.range?.filename.startsWith(`${id}/`))).toEqual([]);
    });

    test("terraform plan creates the bucket and its settings, the lock tables, the OIDC provider, and each role with the policies synthesized", () => {
      const { values, changes } = moduleView(plan, id);
      // The import of an existing OIDC provider is left out offline: it plans as new here.
      expect(changes.every((c) => c.change.actions.join() === "create")).toBe(true);
      const expected = [
        ...["aws_s3_bucket", "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_public_access_block", "aws_s3_bucket_policy"].map((t) => `${t}.${account.bucket}`),
        ...(account.noncurrentVersionExpirationDays ? [`aws_s3_bucket_lifecycle_configuration.${account.bucket}`] : []),
        ...account.lockTables.map((t) => `aws_dynamodb_table.${t}`),
        "aws_iam_openid_connect_provider.github_actions",
        ...account.roles.flatMap((r) => [`aws_iam_role.${r.name}`, `aws_iam_role_policy.${r.name}`]),
      ];
      expect(changes.map((c) => c.address).sort()).toEqual(expected.sort());
      expect(values[`aws_s3_bucket_versioning.${account.bucket}`].versioning_configuration).toEqual([expect.objectContaining({ status: "Enabled" })]);
      for (const role of account.roles) {
        // The provider reads the policies as IAM will hold them: as synthesized, by meaning.
        expect(JSON.parse(values[`aws_iam_role.${role.name}`].assume_role_policy as string)).toEqual(JSON.parse(stack.resource.aws_iam_role[role.name].assume_role_policy));
        expect(JSON.parse(values[`aws_iam_role_policy.${role.name}`].policy as string)).toEqual(JSON.parse(stack.resource.aws_iam_role_policy[role.name].policy));
      }
    });
  });

  test("the shipped account's bootstrap is 12 to add, as docs/deploy.md says before its apply", () => {
    expect(moduleView(plan, "bootstrap0-167067248318").changes.filter((c) => c.change.actions.join() === "create")).toHaveLength(12);
    expect(fs.readFileSync(path.join(REPO, "docs", "deploy.md"), "utf8")).toContain("The apply shows its plan before it asks: 12 to add,");
  });

  describe("the seed's environment", () => {
    test("adopting the live key changes nothing in its policy or rotation", () => {
      const change = adoption.changes.find((c) => c.address === KEY)!.change;
      expect(change.actions).not.toContain("delete");
      expect(change.actions).not.toContain("create");
      // The provider compares policies by meaning: the pretty-printed live policy equals ours.
      expect(change.after!.policy).toBe(change.before!.policy);
      expect(change.after!.rotation_period_in_days).toBe(365);
    });

    test("a change that would replace the key fails the plan instead", () => {
      expect(replaceRefusal.code).not.toBe(0);
      expect(oneLine(replaceRefusal.stderr)).toContain(`Resource module.replace.${KEY} has lifecycle.prevent_destroy set`);
      // Only the replacement is refused: the same keys in state, unchanged, plan without error.
      expect(replaceRefusal.stderr.match(/Instance cannot be destroyed/g)).toHaveLength(1);
    });
  });
});
