import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { listEnvironments } from "../config";
import { environmentStackName } from "../core/names";
import { differingBlocks, writeAnchorApp } from "./anchor-app";
import { alternatingRuns, median, ProcessRun, timeProcess } from "./process-timer";

/**
 * `npm run bench:synth`: moat's synth of every environment stack beside its anchor, in the same
 * run, as compiled JavaScript. The anchor (bench/anchor-app.ts) is a plain cdktf app generated
 * from moat's own cdk.tf.json that declares the same resources with the provider's classes and
 * literal values, and is checked to write the same blocks: moat / anchor is what moat's config,
 * constructs and review at synth add to what cdktf charges for these resources (goal <= 1.15x).
 * A one-resource app is printed for context (cdktf's cold start). Then what a user waits for end
 * to end on a warm machine: `npx cdktf synth` and `npm start`.
 *
 * BENCH_INSTRUCTIONS=1 also counts the instructions each app executes (valgrind's cachegrind,
 * all threads, V8 in --predictable mode), which the machine's load does not change: the anchor's
 * count repeats within 0.1%, moat's within about 2% (its runs still differ in ways not traced yet),
 * so it tells effects larger than that from load noise. It is a proxy: wall time also pays for
 * memory, caches and I/O, which cost moat more than its instruction count.
 */
const ROOT = path.join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const END_TO_END_RUNS = Number(process.env.BENCH_E2E_RUNS ?? 3);
const TARGET = 1.15;
// Everything the bench writes lives under one directory, removed when the bench ends. Outside the
// tree, so that tsc and eslint of the project never see the generated code.
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), "moat-bench-synth-"));
process.on("exit", () => fs.rmSync(WORK, { recursive: true, force: true }));
const GEN = path.join(fs.mkdtempSync(path.join(WORK, "anchor-")), "anchor-app.ts");

const build = fs.mkdtempSync(path.join(WORK, "build-"));
// Only the entry points and what they import: the numbers are for what a user's synth loads.
const compile = (files: string[], outDir = build, rootDir = ".") =>
  execFileSync(
    path.join(ROOT, "node_modules", ".bin", "tsc"),
    [
      ...files,
      "--outDir",
      outDir,
      "--rootDir",
      rootDir,
      "--target",
      "ES2022",
      "--module",
      "commonjs",
      "--esModuleInterop",
      "--resolveJsonModule",
      "--skipLibCheck",
      "--strict",
    ],
    { cwd: ROOT, stdio: "inherit" },
  );
compile(["stacks/main.ts", "bench/one-resource-app.ts"]);

// dev's CA is made per machine by `npm start`; so that the bench also runs on a clean checkout,
// dev reads the committed test store (public certificates only) unless MOAT_PKI_DIR says
// otherwise. prod reads its committed certificates (pki.publicDir) either way.
const pkiDir = process.env.MOAT_PKI_DIR ?? path.join(ROOT, "test", "fixtures", "pki");
const outdir = (name: string) => fs.mkdtempSync(path.join(WORK, `${name}-`));
const env = (out: string, extra: NodeJS.ProcessEnv = {}) => ({
  ...process.env,
  CHECKPOINT_DISABLE: "1",
  NODE_PATH: path.join(ROOT, "node_modules"),
  CDKTF_OUTDIR: out,
  ...extra,
});
const node = (script: string, out: string, extra?: NodeJS.ProcessEnv) =>
  timeProcess(["node", path.join(build, script)], { cwd: ROOT, env: env(out, extra) });
const moatRun = (out = outdir("moat")) => node(path.join("stacks", "main.js"), out, { MOAT_PKI_DIR: pkiDir });

// The anchor follows moat's output: synthesize moat once, generate the app from what it wrote,
// and refuse to time an anchor that does not write the same blocks.
const environments = listEnvironments();
const stackNames = environments.map(environmentStackName);
const reference = outdir("reference");
moatRun(reference);
writeAnchorApp(Object.fromEntries(stackNames.map((s) => [s, path.join(reference, "stacks", s, "cdk.tf.json")])), GEN);
// Its packages resolve through NODE_PATH at run time, as for the other two apps.
compile([GEN], path.join(build, "anchor"), path.dirname(GEN));
const anchorJs = path.join("anchor", "anchor-app.js");
const anchorCheck = outdir("anchor-check");
node(anchorJs, anchorCheck);
const stackJson = (dir: string, stack: string) => path.join(dir, "stacks", stack, "cdk.tf.json");
const differing = stackNames.flatMap((s) => differingBlocks(stackJson(reference, s), stackJson(anchorCheck, s)).map((b) => `${s}: ${b}`));
if (differing.length) throw new Error(`the anchor app does not declare what moat declares (${GEN}):\n${differing.join("\n")}`);
const count = (section: string) =>
  stackNames.reduce(
    (n, s) =>
      n +
      Object.values((JSON.parse(fs.readFileSync(stackJson(reference, s), "utf8"))[section] ?? {}) as Record<string, object>).reduce(
        (m, blocks) => m + Object.keys(blocks).length,
        0,
      ),
    0,
  );

const synth = alternatingRuns(
  {
    moat: () => moatRun(),
    anchor: () => node(anchorJs, outdir("anchor")),
    oneResource: () => node(path.join("bench", "one-resource-app.js"), outdir("one")),
  },
  RUNS,
);

/** Instructions executed by `node --predictable script` (GC and compilation on the main thread, so repeatable). */
const instructions = (script: string, out: string, extra?: NodeJS.ProcessEnv): number => {
  const result = spawnSync(
    "valgrind",
    ["--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", "node", "--predictable", path.join(build, script)],
    { cwd: ROOT, env: env(out, extra), encoding: "utf8" },
  );
  const count = /I\s+refs:\s+([\d,]+)/.exec(result.stderr ?? "")?.[1];
  if (result.status !== 0 || !count) throw new Error(`valgrind ${script} exited ${result.status}:\n${result.stderr}`);
  return Number(count.replace(/,/g, ""));
};
const counted = process.env.BENCH_INSTRUCTIONS
  ? {
      moat: instructions(path.join("stacks", "main.js"), outdir("moat-ir"), { MOAT_PKI_DIR: pkiDir }),
      anchor: instructions(anchorJs, outdir("anchor-ir")),
    }
  : undefined;

// End to end, as a user runs them, in the checkout (cdktf.out, .pki are git-ignored). npm start
// makes dev's CA on its first run (the warm-up) and reuses it after, so cdktf synth finds it.
const npm = (args: string[]) => () => timeProcess(["npm", ...args], { cwd: ROOT, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
const endToEnd = alternatingRuns(
  {
    start: npm(["start", "--silent"]),
    cdktfSynth: () => timeProcess(["npx", "cdktf", "synth"], { cwd: ROOT, env: { ...process.env, CHECKPOINT_DISABLE: "1" } }),
  },
  END_TO_END_RUNS,
);

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const row = (label: string, runs: ProcessRun[]) =>
  `  ${label.padEnd(66)} ${fmt(median(runs.map((r) => r.wallSeconds)))} s   peak ${fmt(median(runs.map((r) => r.peakMiB)), 0)} MiB`;
const ratios = (a: ProcessRun[], b: ProcessRun[]) => a.map((r, i) => r.wallSeconds / b[i].wallSeconds);
const ratioLine = (label: string, values: number[], target?: number) =>
  `  ${label}: ${fmt(median(values))}x (median of rounds; min ${fmt(Math.min(...values))}x, max ${fmt(Math.max(...values))}x)` +
  (target ? `; goal <= ${target}x: ${median(values) <= target ? "met" : "NOT MET"}` : "");

process.stdout.write(
  [
    `synth benchmark: ${RUNS} alternating rounds after a warm-up, compiled JS, medians (${os.cpus().length} cores, node ${process.version}, load average ${os
      .loadavg()
      .map((l) => fmt(l))
      .join(" ")}; PKI store ${path.relative(ROOT, pkiDir) || "."})`,
    row(`moat: ${stackNames.length} stacks (${stackNames.join(", ")}), config + constructs + review`, synth.moat),
    row(`anchor: the same ${count("resource")} resources, ${count("data")} data sources, plain classes`, synth.anchor),
    row("context: one-resource cdktf app (cdktf's cold start)", synth.oneResource),
    ratioLine("moat / anchor", ratios(synth.moat, synth.anchor), TARGET),
    ratioLine("moat / one-resource app (context)", ratios(synth.moat, synth.oneResource)),
    ...(counted
      ? [
          `  instructions (cachegrind, node --predictable): moat ${fmt(counted.moat / 1e9, 3)} G, anchor ${fmt(counted.anchor / 1e9, 3)} G, ` +
            `moat / anchor ${fmt(counted.moat / counted.anchor, 3)}x`,
        ]
      : []),
    `end to end, warm, ${END_TO_END_RUNS} alternating rounds after a warm-up (CHECKPOINT_DISABLE=1), medians:`,
    row("npm start (pki init --if-missing, synth dev, review dev)", endToEnd.start),
    row("npx cdktf synth (cdktf.json app, every stack)", endToEnd.cdktfSynth),
    "",
  ].join("\n"),
);
