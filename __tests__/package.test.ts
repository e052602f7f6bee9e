/**
 * The cdktf flavour, `@mavik/data-key`, as another team gets it: built and packed from modules/,
 * installed with npm's strict peers into a fresh CDKTF app outside the repository on the AWS
 * provider 5 (`@cdktf/provider-aws` 20.x, the repository's own packages) and one on the AWS
 * provider 6 (21.x, the aws21 framework environment), every example of its README compiled and
 * synthesized exactly as written there, and planned by Terraform, offline, where the provider
 * binary is there (5.100.0 here; 6.x is a loud, named skip). The CDK Terrain flavour is
 * flavours.test.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { buildAndPack, consumerApp, installTarball, npm, Packed, workDir } from "./support/consumer";
import { describeConsumer, describeTarball } from "./support/flavour-suite";
import { REPO } from "./support/synth";

const work = workDir("package");
// Built once (what the package's prepack runs), packed once: the file list and the consumers read the same tarball.
const packed: Packed = buildAndPack("cdktf", work);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describeTarball("cdktf", () => packed);
describeConsumer("aws20", { packed: () => packed, work: () => work, plan: true });
describeConsumer("aws21", { packed: () => packed, work: () => work, plan: true });

test("the manifest before the AWS provider 6 (peer @cdktf/provider-aws ^20.1.0) is what npm refused in an app of provider 21.x", async () => {
  // The control for the install above: with the old peer range, npm's strict peers refuse the app.
  const old = path.join(work, "old-manifest");
  fs.mkdirSync(old);
  fs.writeFileSync(path.join(old, "package.json"), JSON.stringify({ ...packed.manifest, peerDependencies: { ...packed.manifest.peerDependencies, "@cdktf/provider-aws": "^20.1.0" } }));
  const tarball = path.join(work, JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work, old], REPO))[0].filename);
  const app = consumerApp(work, "app-aws21-old", "aws21");
  const result = await installTarball(app, tarball, { dryRun: true });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain("ERESOLVE");
  expect(result.stderr).toContain('peer @cdktf/provider-aws@"^20.1.0" from @mavik/data-key@');
});

test("main.ts, the app and the CLIs use the constructs only through their public API (modules/index.ts)", () => {
  const sources = (dir: string): string[] =>
    fs.readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []));
  const files = ["main.ts", ...sources("app"), ...sources("cli")];
  const deep = files.flatMap((file) =>
    [...fs.readFileSync(path.join(REPO, file), "utf8").matchAll(/from "([^"]*modules[^"]*)"/g)]
      .map((m) => m[1])
      // "…/modules" alone would load modules/package.json's main (the built package), not the sources.
      .filter((spec) => !/^(\.\/|(\.\.\/)+)modules\/index$/.test(spec))
      .map((spec) => `${file}: ${spec}`),
  );
  expect(files.length).toBeGreaterThan(10);
  expect(deep).toEqual([]);
});
