/**
 * A second copy of the framework on disk, as an app gets one when its own `cdktf` or
 * `@cdktf/provider-aws` sits beside the one this package was built with: `cdktf`, `constructs`
 * and a few provider classes copied into a `node_modules` of this run's temporary root, and
 * loaded from there. Its classes are other objects than the test's (`instanceof` fails across
 * the two); only what Terraform sees, and the framework's own cross-copy markers, are shared.
 *
 * Under the aws21 and cdktn Jest projects (package.json, jest.projects) the copy is of that
 * project's framework environment (scripts/flavours.js): CDK Terrain's `cdktn` and
 * `@cdktn/provider-aws` for cdktn, under their own names. Its files are loaded by path, which the
 * projects' moduleNameMapper (bare "cdktf", "@cdktf/provider-aws/...") leaves alone, and the
 * copied provider classes import the copy's framework by path.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ENVIRONMENTS, packageDir, RENAMES } = require("../../scripts/flavours");

declare const MAVIK_FLAVOUR_ENV: string | undefined;
const ENV = ENVIRONMENTS[typeof MAVIK_FLAVOUR_ENV === "string" ? MAVIK_FLAVOUR_ENV : "aws20"];
const RENAMED: Record<string, string> = RENAMES[ENV.flavour];
const PROVIDER_CLASSES = ["provider", "s3-bucket", "s3-bucket-server-side-encryption-configuration", "dynamodb-table", "secretsmanager-secret", "lambda-function", "iam-role"];

export interface SecondCopy {
  /** The copy's `node_modules`. */
  readonly dir: string;
  /** `require` of a module of the copy by the name the tests use: `"cdktf"`, `"@cdktf/provider-aws/lib/s3-bucket"`. */
  load<T = any>(id: string): T;
  /** The file of the copy that `load(id)` loads. */
  resolve(id: string): string;
}

let made: SecondCopy | undefined;

/** The environment's name for a package the tests call by its cdktf name. */
const own = (name: string) => RENAMED[name] ?? name;

/** The copy, made once per test file. */
export function secondCopy(): SecondCopy {
  if (made) return made;
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-second-copy-")), "node_modules");
  const core = own("cdktf");
  const provider = own("@cdktf/provider-aws");
  const copy = (pkg: string, file: string) => fs.cpSync(path.join(packageDir(ENV.id, pkg), file), path.join(dir, pkg, file), { recursive: true });
  copy(core, "package.json");
  copy(core, "lib");
  // Its bundled dependencies (archiver, semver, ...) may be shared: they hold no framework classes.
  const bundled = path.join(packageDir(ENV.id, core), "node_modules");
  if (fs.existsSync(bundled)) fs.symlinkSync(bundled, path.join(dir, core, "node_modules"), "dir");
  copy("constructs", "");
  copy(provider, "package.json");
  for (const name of PROVIDER_CLASSES) {
    copy(provider, `lib/${name}/index.js`);
    // The copy's classes import the copy's framework by path: a project that maps the bare name
    // (aws21: "cdktf" to its environment) would hand them the test's own copy instead.
    const file = path.join(dir, provider, "lib", name, "index.js");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(new RegExp(`require\\("${core}"\\)`, "g"), `require(${JSON.stringify(path.join(dir, core))})`));
  }
  const resolve = (id: string) => {
    const [pkg, rest] = id === "cdktf" ? [core, ""] : id.startsWith("@cdktf/provider-aws/") ? [provider, id.slice("@cdktf/provider-aws/".length)] : [id, ""];
    const base = path.join(dir, pkg, rest);
    const main = rest === "" ? JSON.parse(fs.readFileSync(path.join(base, "package.json"), "utf8")).main ?? "index.js" : "index.js";
    const file = path.join(base, main);
    return fs.existsSync(file) ? file : `${file}.js`;
  };
  made = { dir, resolve, load: (id) => require(resolve(id)) };
  return made;
}
