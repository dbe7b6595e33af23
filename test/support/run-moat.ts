import { spawnSync, SpawnSyncOptions } from "node:child_process";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { sharedBuild } from "./built-package";

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

/** The compiled CLI of this source tree (test/support/built-package.ts), to run with plain node. */
export function builtCli(): string {
  return path.join(sharedBuild(), "dist", "bin", "moat.js");
}

export interface RunMoatOptions extends SpawnSyncOptions {
  /**
   * Run bin/moat.ts through tsx, as `npm start` and `npx moat` in a checkout do, instead of the
   * compiled package. For tests about that way of running; the others run the build of the same
   * source (test/support/built-package.ts), which starts without compiling TypeScript each time.
   */
  readonly source?: boolean;
}

/** Runs the real CLI as a process (true exit codes and streams): `moat <args>`. */
export function runMoat(args: string[], options: RunMoatOptions = {}): RunResult {
  const { source, ...spawnOptions } = options;
  // Jest gives tests a copy of process.env; a child only sees what is passed explicitly
  // (MOAT_PKI_DIR from test/setup.ts among it).
  const [node, ...loader] = TSX_NODE;
  const command = source ? [...loader, path.join(ROOT, "bin", "moat.ts")] : [builtCli()];
  const result = spawnSync(node, [...command, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env },
    ...spawnOptions,
  });
  return { code: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A stack trace line, which bad input must never produce. */
export const STACK_TRACE = /^\s+at .+\(.+:\d+:\d+\)$/m;
