/**
 * AWS CloudFormation Guard, the engine of AWS Config's custom policy rules, for the tests that
 * hold the Lambda coverage rule to it.
 *
 * No npm package can be a dependency for it: the one that ships the binary,
 * `@cdklabs/cdk-validator-cfnguard`, wants `aws-cdk-lib` (and a newer `constructs`) beside it.
 * Its tarball carries Guard's release binaries, though, so the binary is taken out of that
 * tarball, pinned by version and sha512, into a cache that outlives the run
 * (`node_modules/.cache/mavik-test-tools/`). MAVIK_CFN_GUARD or a `cfn-guard` on PATH win.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const PACKAGE = "@cdklabs/cdk-validator-cfnguard@0.0.62";
const INTEGRITY = "sha512-Sg2k8067B0AIJ82QFSLhHTUIqxOYTKABvVrTHiyc6j0rE2NHli2diIYqf+w+DkuDKCYYgMIOga3OrYMOHUw0mQ==";
/** The binary's path inside the tarball for this machine, when Guard ships one for it. */
const BINARIES: Record<string, string> = {
  "linux-x64": "package/bin/ubuntu/x86_64/cfn-guard",
  "linux-arm64": "package/bin/ubuntu/aarch64/cfn-guard",
  "darwin-x64": "package/bin/macos/x86_64/cfn-guard",
  "darwin-arm64": "package/bin/macos/aarch64/cfn-guard",
};
const CACHE = path.resolve(__dirname, "..", "..", "node_modules", ".cache", "mavik-test-tools", "cfn-guard-0.0.62");

const works = (binary: string) => spawnSync(binary, ["--version"], { encoding: "utf8" }).status === 0;

/** The cfn-guard binary to run, or why there is none. */
export function findCfnGuard(): { binary: string } | { missing: string } {
  if (process.env.MAVIK_CFN_GUARD) return works(process.env.MAVIK_CFN_GUARD) ? { binary: process.env.MAVIK_CFN_GUARD } : { missing: `MAVIK_CFN_GUARD=${process.env.MAVIK_CFN_GUARD} does not run` };
  if (works("cfn-guard")) return { binary: "cfn-guard" };
  const inTarball = BINARIES[`${process.platform}-${process.arch}`];
  if (inTarball === undefined) return { missing: `Guard ships no binary for ${process.platform}-${process.arch}` };
  const cached = path.join(CACHE, "cfn-guard");
  if (works(cached)) return { binary: cached };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "mavik-cfn-guard-"));
  const pack = spawnSync("npm", ["pack", PACKAGE, "--json", "--prefer-offline", "--pack-destination", work], { encoding: "utf8" });
  if (pack.status !== 0) return { missing: `npm pack ${PACKAGE} failed: ${pack.stderr.trim().split("\n").pop()}` };
  const [packed] = JSON.parse(pack.stdout) as { filename: string; integrity: string }[];
  if (packed.integrity !== INTEGRITY) return { missing: `${PACKAGE} has integrity ${packed.integrity}, not the pinned ${INTEGRITY}` };
  const untar = spawnSync("tar", ["-xzf", path.join(work, packed.filename), "-C", work, inTarball], { encoding: "utf8" });
  if (untar.status !== 0) return { missing: `could not unpack ${inTarball}: ${untar.stderr.trim()}` };
  fs.mkdirSync(CACHE, { recursive: true });
  // Written beside the cache entry and renamed: a concurrent run sees all of the binary or none.
  const partial = `${cached}.${process.pid}`;
  fs.copyFileSync(path.join(work, inTarball), partial);
  fs.chmodSync(partial, 0o755);
  fs.renameSync(partial, cached);
  fs.rmSync(work, { recursive: true, force: true });
  return works(cached) ? { binary: cached } : { missing: `${cached} does not run` };
}
