import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The checkout (run-moat.ts imports this file, so ROOT is not imported from there). */
const ROOT = path.join(__dirname, "..", "..");

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
  const args = [
    "-p",
    "tsconfig.build.json",
    "--outDir",
    path.join(cache, "dist"),
    "--incremental",
    "--tsBuildInfoFile",
    path.join(cache, "tsbuildinfo"),
  ];
  try {
    execFileSync(path.join(ROOT, "node_modules", ".bin", "tsc"), args, { cwd: ROOT, encoding: "utf8" });
  } catch (err) {
    // tsc writes its diagnostics to stdout, which execFileSync's message leaves out.
    const { status, signal, stdout, stderr } = err as { status: number | null; signal: string | null; stdout?: string; stderr?: string };
    throw new Error(`tsc ${args.join(" ")} failed (status ${status}, signal ${signal}):\n${stdout ?? ""}${stderr ?? ""}`);
  }
  fs.cpSync(path.join(cache, "dist"), outDir, { recursive: true });
}

/** The sources, configs and manifest a build is made from: changing any of them changes the key. */
function contentKey(): string {
  const hash = createHash("sha256");
  for (const file of [...buildInputs(), "tsconfig.json", "tsconfig.build.json", "package.json"]) {
    hash
      .update(file)
      .update("\0")
      .update(fs.readFileSync(path.join(ROOT, file)))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A folder made once per key and shared by every test file (every jest worker) that asks for it:
 * `$TMPDIR/moat-test-<kind>-<checkout>/<key>`. The first to ask makes it under a lock directory,
 * the others wait for it (a lock whose process died is taken over). Folders of earlier keys are
 * deleted an hour after they were made: a run may still use one.
 */
export function sharedOnce(kind: string, key: string, make: (dir: string) => void): string {
  const checkout = createHash("sha1").update(ROOT).digest("hex").slice(0, 12);
  const base = path.join(os.tmpdir(), `moat-test-${kind}-${checkout}`);
  const dir = path.join(base, key);
  const done = path.join(dir, "complete");
  const lock = `${dir}.lock`;
  fs.mkdirSync(base, { recursive: true });
  for (const started = Date.now(); !fs.existsSync(done);) {
    try {
      fs.mkdirSync(lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(path.join(lock, "pid"), "utf8")) || 0;
      } catch {
        // Not written yet, or the lock was just released: look again.
      }
      if (owner && !alive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - started > 300_000)
        throw new Error(`sharedOnce: ${lock} held for 5 minutes; delete it if no test run is making it`);
      else sleep(100);
      continue;
    }
    try {
      fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
      if (fs.existsSync(done)) break;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      make(dir);
      fs.writeFileSync(done, "");
      for (const entry of fs.readdirSync(base)) {
        const old = path.join(base, entry);
        if (old !== dir && !entry.endsWith(".lock") && Date.now() - fs.statSync(old).mtimeMs > 3_600_000)
          fs.rmSync(old, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
  return dir;
}

/**
 * The package as `npm run build` makes it, built once per source tree and shared by every test
 * file that runs the compiled CLI or the package: a folder with dist/, a copy of package.json
 * (so the CLI reports this checkout's version) and node_modules linked to the checkout's. The
 * folder is named by a hash of the build's inputs, so an edit anywhere in them makes a new build
 * and no test ever runs a stale one.
 */
export function sharedBuild(): string {
  return sharedOnce("build", contentKey(), (dir) => {
    buildPackage(path.join(dir, "dist"));
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  });
}

/** Every file under `rel` (relative to the checkout), sorted. */
function filesUnder(rel: string): string[] {
  const full = path.join(ROOT, rel);
  if (!fs.existsSync(full)) return [];
  if (!fs.statSync(full).isDirectory()) return [rel];
  return fs
    .readdirSync(full)
    .sort()
    .flatMap((entry) => filesUnder(path.join(rel, entry)));
}

/**
 * The shipped dev and prod stacks (`buildApp`, as `moat synth` makes them, with the CA store
 * MOAT_PKI_DIR names: the committed test CA under jest), synthesized once per set of inputs for
 * every test file that only reads them; the text of `iot-<env>`'s cdk.tf.json. The key covers
 * the sources, the environment files, the CA store and the versions of cdktf and the provider.
 */
export function sharedSynth(env: "dev" | "prod"): string {
  return fs.readFileSync(path.join(sharedSynthDir(), "stacks", `iot-${env}`, "cdk.tf.json"), "utf8");
}

/** The cdktf.out folder {@link sharedSynth} reads (stacks/iot-dev, stacks/iot-prod, manifest.json): shared, so only to read. */
export function sharedSynthDir(): string {
  const pkiDir = process.env.MOAT_PKI_DIR ?? "";
  const hash = createHash("sha256").update(contentKey()).update("\0").update(pkiDir).update("\0");
  const pkiFiles = pkiDir && fs.existsSync(pkiDir) ? filesUnder(path.relative(ROOT, pkiDir)) : [];
  for (const file of [...filesUnder("environments"), ...pkiFiles])
    hash
      .update(file)
      .update("\0")
      .update(fs.readFileSync(path.join(ROOT, file)));
  for (const pkg of ["cdktf", "@cdktf/provider-aws", "constructs"]) hash.update(fs.readFileSync(require.resolve(`${pkg}/package.json`)));
  const dir = sharedOnce("synth", hash.digest("hex").slice(0, 16), (out) => {
    // Loaded only here: a test file whose stacks are already synthesized never loads cdktf.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildApp } = require("../../stacks/app") as typeof import("../../stacks/app");
    buildApp({ environments: ["dev", "prod"], outdir: path.join(out, "cdktf.out") }).app.synth();
  });
  return path.join(dir, "cdktf.out");
}
