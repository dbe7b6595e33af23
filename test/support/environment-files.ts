import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { scratchDir } from "./scratch";

/** The shipped dev environment as a plain object, to derive broken variants from. */
export function devDocument(): Record<string, any> {
  return yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "environments", "dev.yaml"), "utf8")) as Record<string, any>;
}

/** Writes `files` (name -> YAML object or raw text) into a fresh directory and returns it. */
export function environmentsDir(files: Record<string, unknown>): string {
  const dir = scratchDir("moat-envs-");
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, `${name}.yaml`), typeof content === "string" ? content : yaml.dump(content));
  }
  return dir;
}
