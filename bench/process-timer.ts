import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** One finished run of a command, measured from outside. */
export interface ProcessRun {
  readonly wallSeconds: number;
  /** Peak resident set size of the process, in MiB (GNU time's %M). */
  readonly peakMiB: number;
}

/**
 * Runs `command` to completion under GNU time and returns its wall time and peak memory;
 * throws with the command's output when it fails, so a broken benchmark never prints numbers.
 */
export function timeProcess(command: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): ProcessRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moat-bench-time-"));
  try {
    const report = path.join(dir, "time.txt");
    const started = process.hrtime.bigint();
    const result = spawnSync("/usr/bin/time", ["-f", "%M", "-o", report, ...command], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      encoding: "utf8",
    });
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) {
      throw new Error(`${command.join(" ")} exited ${result.status}:\n${result.stdout}${result.stderr}`);
    }
    const peakKiB = Number(fs.readFileSync(report, "utf8").trim().split("\n").pop());
    return { wallSeconds, peakMiB: peakKiB / 1024 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs every command in turn, round after round (A B C A B C ...), after one warm-up each, so
 * drift in machine speed hits all alike; returns each command's runs in round order, so that
 * runs of the same index form a round and their ratio compares like with like.
 */
export function alternatingRuns<K extends string>(commands: Record<K, () => ProcessRun>, runs: number): Record<K, ProcessRun[]> {
  const names = Object.keys(commands) as K[];
  for (const name of names) commands[name]();
  const result = Object.fromEntries(names.map((name) => [name, [] as ProcessRun[]])) as Record<K, ProcessRun[]>;
  for (let i = 0; i < runs; i++) for (const name of names) result[name].push(commands[name]());
  return result;
}
