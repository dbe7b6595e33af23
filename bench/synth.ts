import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { listEnvironments } from "../config";
import { median, pairedRuns, timeProcess } from "./process-timer";

/**
 * `npm run bench:synth`: synthesis of every environment stack, as compiled JavaScript, beside a
 * one-resource cdktf app in the same run. The claim under test: deep provider imports keep
 * moat's full synth within 2x of the smallest possible cdktf app.
 */
const ROOT = path.join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

const build = fs.mkdtempSync(path.join(os.tmpdir(), "moat-bench-build-"));
// Only the two entry points and what they import: the numbers are for what a user's synth loads.
execFileSync(
  path.join(ROOT, "node_modules", ".bin", "tsc"),
  ["stacks/main.ts", "bench/one-resource-app.ts", "--outDir", build, "--rootDir", ".", "--target", "ES2022", "--module", "commonjs", "--esModuleInterop", "--resolveJsonModule", "--skipLibCheck", "--strict"],
  { cwd: ROOT, stdio: "inherit" },
);

// dev's CA is made per machine by `npm start`; so that the bench also runs on a clean checkout,
// dev reads the committed test store (public certificates only) unless MOAT_PKI_DIR says
// otherwise. prod reads its committed certificates (pki.publicDir) either way.
const pkiDir = process.env.MOAT_PKI_DIR ?? path.join(ROOT, "test", "fixtures", "pki");
const outdir = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `moat-bench-${name}-`));
const environments = listEnvironments();
const moat = () => timeProcess(["node", path.join(build, "stacks", "main.js")], { cwd: ROOT, env: { ...process.env, MOAT_PKI_DIR: pkiDir, NODE_PATH: path.join(ROOT, "node_modules"), CDKTF_OUTDIR: outdir("moat") } });
const anchor = () => timeProcess(["node", path.join(build, "bench", "one-resource-app.js")], { cwd: ROOT, env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules"), CDKTF_OUTDIR: outdir("anchor") } });

const result = pairedRuns(moat, anchor, RUNS);
const fmt = (n: number, digits = 2) => n.toFixed(digits);
const row = (label: string, runs: { wallSeconds: number; peakMiB: number }[]) =>
  `${label.padEnd(44)} ${fmt(median(runs.map((r) => r.wallSeconds)))} s   peak ${fmt(median(runs.map((r) => r.peakMiB)), 0)} MiB`;

process.stdout.write(
  [
    `synth benchmark: ${RUNS} paired runs after a warm-up, compiled JS, medians (${os.cpus().length} cores, node ${process.version}; PKI store ${path.relative(ROOT, pkiDir) || "."})`,
    row(`moat: ${environments.length} environment stacks (${environments.join(", ")})`, result.a),
    row("anchor: one-resource cdktf app", result.b),
    `ratio moat / anchor (median of pairs): ${fmt(median(result.ratios))}x  (min ${fmt(Math.min(...result.ratios))}x, max ${fmt(Math.max(...result.ratios))}x; target <= 2x)`,
    "",
  ].join("\n"),
);
