import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { scratchDir } from "../support/scratch";
import { main } from "../../bin/moat";

import { PASSPHRASE } from "./passphrase";

export { PASSPHRASE };

/** A scratch directory, removed by {@link cleanup} or, at the latest, after the suite's last test. */
export function scratch(prefix = "moat-pki-"): string {
  return scratchDir(prefix);
}

export const cleanup = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** Runs openssl; returns stdout, or throws with stderr. */
export function openssl(args: string[], input?: string): string {
  return execFileSync("openssl", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

/** Runs openssl and returns exit status and combined output (for expected failures). */
export function opensslResult(args: string[]): { status: number; output: string } {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** A CSR made by `openssl req` with a fresh key; `extraArgs` add -addext etc. Returns paths. */
export function opensslCsr(
  dir: string,
  name: string,
  subject: string,
  keyArgs = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
  extraArgs: string[] = [],
) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  openssl(["req", "-new", ...keyArgs, "-nodes", "-keyout", key, "-subj", subject, "-out", csr, ...extraArgs]);
  return { key, csr };
}

/**
 * Hash of everything in a directory tree (paths, modes, contents), to prove a refused command
 * left the store exactly as it was.
 */
export function treeHash(dir: string): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      const st = statSync(p);
      hash.update(`${p}\0${st.mode}\0`);
      if (st.isDirectory()) walk(p);
      else hash.update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest("hex");
}

/**
 * An environments directory with `lab` (allowLocalKeys true) and `prod` (false), built from the
 * repository's dev and prod files so the tests load real, validated configuration.
 */
export function environmentsDir(root: string, pki: Record<string, unknown> = {}): string {
  const dir = join(root, "environments");
  execFileSync("mkdir", ["-p", dir]);
  for (const [name, source, allow] of [
    ["lab", "dev", true],
    ["prod", "prod", false],
  ] as const) {
    const doc = yaml.load(readFileSync(join(__dirname, "../../environments", `${source}.yaml`), "utf8")) as Record<string, unknown>;
    doc.pki = { ...(doc.pki as object), allowLocalKeys: allow, ...pki };
    writeFileSync(join(dir, `${name}.yaml`), yaml.dump(doc));
  }
  return dir;
}

/** Output of one in-process `moat` run. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `moat pki ...` in-process with the given store and environments. */
export async function moatPki(
  args: string[],
  ctx: { pkiDir: string; environmentsDir: string; passphraseFile?: string },
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const [command, ...rest] = args;
  const full = [command, ...rest, "--pki-dir", ctx.pkiDir, "--environments-dir", ctx.environmentsDir];
  if (ctx.passphraseFile) full.push("--passphrase-file", ctx.passphraseFile);
  const code = await main(["pki", ...full], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** Writes the test passphrase to a file (trailing newline, as `echo` would write it). */
export function passphraseFile(dir: string, passphrase = PASSPHRASE): string {
  const path = join(dir, "passphrase");
  writeFileSync(path, passphrase + "\n", { mode: 0o600 });
  return path;
}
