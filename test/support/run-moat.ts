import { spawnSync, SpawnSyncOptions } from "node:child_process";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

export const ROOT = path.join(__dirname, "..", "..");

/**
 * Node with tsx's loader: how bin/moat-cli.cjs runs the source in a checkout. One process, where
 * the `tsx` command starts a relaying parent and then this same command as its child.
 */
export const TSX_NODE: readonly [string, ...string[]] = [process.execPath, "--import", pathToFileURL(require.resolve("tsx")).href];

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI as a process (true exit codes and streams): `moat <args>`. */
export function runMoat(args: string[], options: SpawnSyncOptions = {}): RunResult {
  // Jest gives tests a copy of process.env; a child only sees what is passed explicitly
  // (MOAT_PKI_DIR from test/setup.ts among it).
  const [node, ...loader] = TSX_NODE;
  const result = spawnSync(node, [...loader, path.join(ROOT, "bin", "moat.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env },
    ...options,
  });
  return { code: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A stack trace line, which bad input must never produce. */
export const STACK_TRACE = /^\s+at .+\(.+:\d+:\d+\)$/m;
