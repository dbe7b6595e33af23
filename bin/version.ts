import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * moat's version, from its own package.json: the nearest one above this file that names moat
 * (bin/ in a checkout, dist/bin/ in an installed package).
 */
export function moatVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      // A cast of JSON.parse's any: both fields are checked before use.
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "moat" && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return "unknown";
  }
}
