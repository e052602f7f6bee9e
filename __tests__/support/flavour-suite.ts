/**
 * The tests every flavour of the package passes (package.test.ts for cdktf, flavours.test.ts for
 * CDK Terrain): its tarball, and an app of each framework environment it is for, consuming it as
 * its README shows.
 */
import * as fs from "fs";
import * as path from "path";
import { AwsWire, emptyWorld } from "./aws-wire";
import {
  ALIAS_REFERENCE,
  CDKTN_REFUSES_CDKTF,
  compileAndRun,
  ConsumerApp,
  consumerApp,
  EnvironmentId,
  expectedTarballFiles,
  FlavourId,
  foreignBucket,
  FOREIGN_MESSAGE,
  forFlavour,
  installedPackages,
  installTarball,
  linkForeign,
  Packed,
  ProgramResult,
  readmeExamples,
  UNENCRYPTED_BUCKET,
  UNENCRYPTED_MESSAGE,
} from "./consumer";
import { REPO } from "./synth";
import { localRemoteState, offlineCopy, providerAvailable, stateFile, TerraformSandbox } from "./terraform";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const flavours = require("../../scripts/flavours");

const root = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
const base = JSON.parse(fs.readFileSync(path.join(REPO, "modules", "package.json"), "utf8"));

/** The framework packages a flavour's JavaScript may require, by its own names. */
function peersOf(flavour: FlavourId): string[] {
  const renames: Record<string, string> = flavours.RENAMES[flavour];
  return ["@cdktf/provider-aws", "cdktf", "constructs"].map((p) => renames[p] ?? p).sort();
}

/** The tarball of one flavour: exactly the files it should hold, its manifest, its documents. */
export function describeTarball(flavour: FlavourId, packed: () => Packed): void {
  const name = flavours.FLAVOURS[flavour].name;

  describe(`${name}: the tarball (npm pack)`, () => {
    test("ships exactly the compiled sources, their declarations, the manifest and the documents; npm pack --dry-run lists the same", () => {
      expect(packed().dryRunFiles).toEqual(expectedTarballFiles());
      expect(packed().files).toEqual(packed().dryRunFiles);
    });

    test("its manifest: the flavour's name and peers, the version and everything else of modules/package.json, no dependencies", () => {
      const { manifest } = packed();
      const { scripts: _scripts, name: _name, description: _description, peerDependencies: _peers, ...shared } = base;
      expect(manifest).toMatchObject({ ...shared, name, version: root.version, main: "dist/index.js", types: "dist/index.d.ts", license: "Apache-2.0" });
      expect(manifest.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
      expect(manifest.dependencies ?? {}).toEqual({});
      expect(manifest.bin).toBeUndefined();
      expect(Object.keys(manifest.peerDependencies).sort()).toEqual(peersOf(flavour));
    });

    test("its JavaScript requires only its peers and its own files", () => {
      const required = new Set<string>();
      const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, e.name);
          if (e.isDirectory()) walk(full);
          else if (e.name.endsWith(".js")) for (const m of fs.readFileSync(full, "utf8").matchAll(/require\("([^".][^"]*)"\)/g)) required.add(m[1].split("/").slice(0, m[1].startsWith("@") ? 2 : 1).join("/"));
        }
      };
      walk(path.join(packed().unpacked, "dist"));
      expect([...required].sort()).toEqual(peersOf(flavour));
    });

    test("every document its README and API.md link is in it", () => {
      const links = ["README.md", "API.md"].flatMap((doc) =>
        [...packed().read(doc).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((target) => !/^[a-z]+:/.test(target)).map((target) => ({ doc, target })),
      );
      expect(links.map((l) => l.target)).toEqual(expect.arrayContaining(["API.md", "CHANGELOG.md"]));
      expect(links.filter((l) => !packed().files.includes(path.posix.normalize(l.target)))).toEqual([]);
    });

    test("its README's examples and install line name the flavour's packages", () => {
      const readme = packed().read("README.md");
      expect(readme).toContain(`npm install ${name}\n`);
      const imports = readmeExamples(readme).flatMap((code) => [...code.matchAll(/from "([^"]+)"/g)].map((m) => m[1].split("/").slice(0, m[1].startsWith("@") ? 2 : 1).join("/")));
      expect([...new Set(imports)].sort()).toEqual([...peersOf(flavour).filter((p) => p !== "constructs"), name].sort());
    });
  });
}

export interface ConsumerOptions {
  /** The packed flavour to install. */
  readonly packed: () => Packed;
  /** Where the apps go (this run's temp root). */
  readonly work: () => string;
  /** Terraform plans the README's stacks when a provider binary of the environment's AWS provider is there. */
  readonly plan: boolean;
}

/**
 * An app of environment `env` installs the packed flavour with npm's strict peers, compiles and
 * synthesizes the README's examples and a reference by alias, and refuses an unencrypted bucket
 * of its own framework's classes and of the other framework's.
 */
export function describeConsumer(env: EnvironmentId, options: ConsumerOptions): () => { readonly app: ConsumerApp; readonly results: Record<string, ProgramResult> } {
  const e = flavours.ENVIRONMENTS[env];
  const flavour: FlavourId = e.flavour;
  const name = flavours.FLAVOURS[flavour].name;
  // The other framework, where one can share this app (the same constructs minor).
  const foreignEnv: EnvironmentId | undefined = e.foreign;
  const foreignProvider = flavour === "cdktf" ? "@cdktn/provider-aws" : "@cdktf/provider-aws";
  const foreignCore = flavour === "cdktf" ? "cdktn" : "cdktf";

  let state: { app: ConsumerApp; results: Record<string, ProgramResult> } = { app: undefined as unknown as ConsumerApp, results: {} };
  describe(`${name} in an app of ${env} (AWS provider ${e.aws})`, () => {
    let app: ConsumerApp;
    let installed: { code: number; stdout: string; stderr: string };
    let added: string[] = [];
    let results: Record<string, ProgramResult> = {};
    const stacks: Record<string, Record<string, any>> = {};

    beforeAll(async () => {
      flavours.ensure(env);
      if (foreignEnv !== undefined) flavours.ensure(foreignEnv);
      app = consumerApp(options.work(), `app-${env}`, env);
      installed = await installTarball(app, options.packed().tarball);
      if (installed.code !== 0) return;
      added = installedPackages(path.join(app.dir, "node_modules"));
      if (foreignEnv !== undefined) {
        linkForeign(app, [
          [foreignEnv, foreignProvider],
          [foreignEnv, foreignCore],
        ]);
      }
      const examples = readmeExamples(options.packed().read("README.md"));
      const programs: Record<string, string> = Object.fromEntries(examples.map((code, i) => [`example${i + 1}`, code]));
      programs[`example${examples.length + 1}`] = forFlavour(ALIAS_REFERENCE, flavour);
      programs.unencrypted = forFlavour(UNENCRYPTED_BUCKET, flavour);
      if (foreignEnv !== undefined) {
        programs.foreign = foreignBucket(flavour, "aspect");
        programs.foreignCall = foreignBucket(flavour, "call");
      }
      results = await compileAndRun(app, programs);
      state = { app, results };
      for (const [program, result] of Object.entries(results)) {
        if (program.startsWith("example")) for (const [stack, json] of Object.entries(result.stacks ?? {})) stacks[`${program.slice("example".length)}/${stack}`] = json;
      }
    }, 300_000);

    test("npm install of the tarball succeeds with npm's strict peers and adds the package alone (the count is printed)", () => {
      expect(installed.stderr.match(/ERESOLVE[\s\S]*/)?.[0] ?? "").toBe("");
      expect(installed.code).toBe(0);
      process.stdout.write(`\n  npm install ${name} into an app of ${env} added ${added.length} package(s): ${added.join(", ")}\n`);
      expect(added).toEqual([name]);
    });

    test("the README's three examples synthesize (one stack; platform and orders; reports), and the alias reference", () => {
      const failed = Object.entries(results).filter(([p, r]) => p.startsWith("example") && r.error !== undefined);
      expect(failed).toEqual([]);
      expect(Object.keys(stacks).sort()).toEqual(["1/example", "2/orders", "2/platform", "3/reports", "4/by-alias"]);
      for (const json of Object.values(stacks)) expect(json.terraform.required_providers.aws.version).toBe(e.aws);
    });

    test(`an unencrypted bucket of ${flavour}'s classes fails synth`, () => {
      expect(results.unencrypted).toEqual({ error: expect.stringContaining(UNENCRYPTED_MESSAGE) });
    });

    if (foreignEnv !== undefined) {
      test(`an unencrypted bucket of the other framework's classes (${foreignProvider} of ${foreignEnv}) in a ${flavour} stack is seen by enforceEncryption`, () => {
        expect(results.foreignCall).toEqual({ error: expect.stringContaining(FOREIGN_MESSAGE) });
      });

      test(`... and fails the synth of a ${flavour} app with EncryptionEnforcement: ${flavour === "cdktf" ? "enforcement's error" : "cdktn refuses cdktf's classes before any aspect runs"}`, () => {
        expect(results.foreign).toEqual({ error: expect.stringContaining(flavour === "cdktf" ? FOREIGN_MESSAGE : CDKTN_REFUSES_CDKTF) });
      });
    }

    const suite = `terraform plan of the README's stacks as ${name} in an app of ${env}`;
    if (options.plan) {
      (providerAvailable(e.aws, suite) ? test : test.skip)(`${suite} (hashicorp/aws ${e.aws})`, async () => planReadmeStacks(stacks, e.aws), 300_000);
    }
  });
  // The app and what its programs did, for more tests of the same app (after this describe's).
  return () => ({ app: state.app, results: state.results });
}

/**
 * Terraform plans every stack the README's examples wrote, offline, the platform's outputs from
 * a local state and KMS from the wire server (DataKey.fromAlias): every binding and grant carries
 * the key ARN the platform's state holds.
 */
async function planReadmeStacks(stacks: Record<string, Record<string, any>>, providerVersion: string): Promise<void> {
  const sandbox = new TerraformSandbox("consumer");
  const KEY_ARN = "arn:aws:kms:us-east-1:167067248318:key/cb424700-0dd0-4dcb-a77d-13af16579270";
  try {
    // The state of the stacks the others read: the platform stack's cross-stack output, and the
    // outputs an environment's stack (DataKeyStack) writes.
    const platformState = path.join(sandbox.root, "platform.tfstate");
    fs.writeFileSync(
      platformState,
      JSON.stringify(
        stateFile([], {
          "cross-stack-output-aws_kms_keymavik_data_keyarn": KEY_ARN,
          key_arn: KEY_ARN,
          key_id: "cb424700-0dd0-4dcb-a77d-13af16579270",
          alias_name: "alias/mavik-data-kms-key",
          alias_arn: "arn:aws:kms:us-east-1:167067248318:alias/mavik-data-kms-key",
        }),
      ),
    );
    // DataKey.fromAlias reads the aws_kms_alias data source at plan: KMS answers from a local
    // server speaking its wire protocol (ListAliases, DescribeKey).
    const kms = await AwsWire.start(emptyWorld({ keys: [{ id: "cb424700-0dd0-4dcb-a77d-13af16579270" }], aliases: [{ name: "alias/mavik-data-kms-key", targetKeyId: "cb424700-0dd0-4dcb-a77d-13af16579270" }] }));
    let plan;
    try {
      const ws = sandbox.combined(
        "consumer",
        Object.entries(stacks).map(([name, json]) => {
          const config = localRemoteState(offlineCopy(json), platformState);
          if (name === "4/by-alias") config.provider.aws[0].endpoints = [{ kms: kms.url }];
          return { id: `example${name.replace("/", "_")}`, config };
        }),
        providerVersion,
      );
      await ws.init();
      plan = await ws.plan("plan.bin", ["-refresh=false"]);
    } finally {
      await kms.close();
    }
    expect(kms.received.map((r) => `${r.service}.${r.operation}`)).toEqual(expect.arrayContaining(["kms.ListAliases", "kms.DescribeKey"]));
    const after = (address: string) => plan.resource_changes!.find((c) => c.address === address)!.change.after!;
    const actions = Object.fromEntries(plan.resource_changes!.map((c) => [c.address, c.change.actions.join(",")]));
    expect(Object.values(actions).every((a) => a === "create")).toBe(true);

    // Two stacks: every binding and the grant carry the key ARN the platform's state holds.
    expect(after("module.example2_orders.aws_s3_bucket_server_side_encryption_configuration.files").rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id).toBe(KEY_ARN);
    expect(after("module.example2_orders.aws_dynamodb_table.records").server_side_encryption[0].kms_key_arn).toBe(KEY_ARN);
    expect(after("module.example2_orders.aws_secretsmanager_secret.token").kms_key_id).toBe(KEY_ARN);
    expect(after("module.example2_orders.aws_lambda_function.api").kms_key_arn).toBe(KEY_ARN);
    expect(JSON.parse(after("module.example2_orders.aws_iam_role_policy.mavik_data_key_api-role").policy).Statement).toEqual([
      { Effect: "Allow", Action: ["kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Decrypt"], Resource: KEY_ARN },
    ]);
    expect(Object.keys(actions).filter((a) => a.startsWith("module.example2_platform.")).sort()).toEqual(["module.example2_platform.aws_kms_alias.mavik_data_key", "module.example2_platform.aws_kms_key.mavik_data_key"]);

    // Another app: the reference from remote state, its binding and its grant through S3 only.
    expect(after("module.example3_reports.aws_s3_bucket_server_side_encryption_configuration.exports").rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id).toBe(KEY_ARN);
    expect(JSON.parse(after("module.example3_reports.aws_iam_role_policy.data_key_mavik-reports-reader").policy).Statement).toEqual([
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: KEY_ARN, Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } },
    ]);
    // One stack: the README's first example.
    expect(after("module.example1_example.aws_dynamodb_table.records").billing_mode).toBe("PAY_PER_REQUEST");
    // By alias: the key ARN the alias targets, as KMS answered it.
    expect(after("module.example4_by-alias.aws_secretsmanager_secret.token").kms_key_id).toBe(KEY_ARN);
  } finally {
    sandbox.dispose();
  }
}
