/**
 * A second copy of the framework on disk, as an app gets one when its own `cdktf` or
 * `@cdktf/provider-aws` sits beside the one this package was built with: `cdktf`, `constructs`
 * and a few provider classes copied into a `node_modules` of this run's temporary root, and
 * loaded from there. Its classes are other objects than the test's (`instanceof` fails across
 * the two); only what Terraform sees, and the framework's own cross-copy markers, are shared.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REAL = path.resolve(__dirname, "..", "..", "node_modules");
const PROVIDER_CLASSES = ["provider", "s3-bucket", "s3-bucket-server-side-encryption-configuration", "dynamodb-table", "secretsmanager-secret", "lambda-function", "iam-role"];

export interface SecondCopy {
  /** The copy's `node_modules`. */
  readonly dir: string;
  /** `require` of a module of the copy: `"cdktf"`, `"@cdktf/provider-aws/lib/s3-bucket"`. */
  load<T = any>(id: string): T;
}

let made: SecondCopy | undefined;

/** The copy, made once per test file. */
export function secondCopy(): SecondCopy {
  if (made) return made;
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mavik-second-copy-")), "node_modules");
  const copy = (from: string, to: string) => fs.cpSync(path.join(REAL, from), path.join(dir, to), { recursive: true });
  copy("cdktf/package.json", "cdktf/package.json");
  copy("cdktf/lib", "cdktf/lib");
  // Its bundled dependencies (archiver, semver, ...) may be shared: they hold no framework classes.
  fs.symlinkSync(path.join(REAL, "cdktf", "node_modules"), path.join(dir, "cdktf", "node_modules"), "dir");
  copy("constructs", "constructs");
  copy("@cdktf/provider-aws/package.json", "@cdktf/provider-aws/package.json");
  for (const name of PROVIDER_CLASSES) copy(`@cdktf/provider-aws/lib/${name}/index.js`, `@cdktf/provider-aws/lib/${name}/index.js`);
  made = { dir, load: (id) => require(require.resolve(id, { paths: [dir] })) };
  return made;
}
