import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./run-moat";

/** The folders and files tsconfig.build.json compiles. */
function buildInputs(): string[] {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8")) as { include: string[] };
  const files: string[] = [];
  const walk = (rel: string) => {
    const full = path.join(ROOT, rel);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) for (const entry of fs.readdirSync(full)) walk(path.join(rel, entry));
    else if (rel.endsWith(".ts")) files.push(rel);
  };
  for (const entry of config.include) walk(entry);
  return files.sort();
}

/**
 * `tsc -p tsconfig.build.json` into `outDir`: the package's dist/ as `npm run build` makes it.
 * The compiler runs incrementally on a build kept under node_modules/.cache, so an unchanged
 * tree is not compiled again. The cache is per set of source files (with both tsconfigs): a file
 * added, removed or renamed starts a clean build, so no output of a deleted source can linger.
 */
export function buildPackage(outDir: string): void {
  const inputs = buildInputs();
  const key = createHash("sha256")
    .update(inputs.join("\0"))
    .update(fs.readFileSync(path.join(ROOT, "tsconfig.json")))
    .update(fs.readFileSync(path.join(ROOT, "tsconfig.build.json")))
    .digest("hex")
    .slice(0, 16);
  // One folder per checkout, as npm test's caches: worktrees that share node_modules keep their own.
  const checkout = createHash("sha1").update(ROOT).digest("hex").slice(0, 12);
  const caches = path.join(ROOT, "node_modules", ".cache", "moat-test", checkout, "package-build");
  const cache = path.join(caches, key);
  // Only the current tree's build is kept.
  if (fs.existsSync(caches)) {
    for (const entry of fs.readdirSync(caches)) if (entry !== key) fs.rmSync(path.join(caches, entry), { recursive: true, force: true });
  }
  fs.mkdirSync(cache, { recursive: true });
  execFileSync(
    path.join(ROOT, "node_modules", ".bin", "tsc"),
    [
      "-p",
      "tsconfig.build.json",
      "--outDir",
      path.join(cache, "dist"),
      "--incremental",
      "--tsBuildInfoFile",
      path.join(cache, "tsbuildinfo"),
    ],
    { cwd: ROOT },
  );
  fs.cpSync(path.join(cache, "dist"), outDir, { recursive: true });
}
