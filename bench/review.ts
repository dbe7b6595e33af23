/**
 * `npm run bench:review`: review of a generated 10,000-resource stack, beside the time to
 * JSON.parse the same text (the floor any reviewer of this file pays), in the same run. Two
 * stacks: the review tests' hand-written fixture repeated, and moat's own synthesized dev stack
 * repeated (what `moat review` meets in practice: larger bodies, cdktf metadata, JSON-template
 * IoT policies, one suppressed finding per copy). A third: the committed real plan of dev
 * (`terraform show -json`, test/fixtures/plans/iot-dev.first.json) repeated the same way, on one
 * line as Terraform writes it; a plan is larger than its cdk.tf.json, since it writes every
 * attribute of every resource.
 * Target: review within 3x of parsing, in steady state. The first review of a process also
 * pays for compiling the review code (JSON.parse is native), so it is printed on its own, and
 * measuring starts once the review time has stopped falling: V8 optimizes each rule function
 * only after it has run a number of times, and each runs once per review.
 *
 * Each side pays for its own garbage: parses and reviews are timed in alternating blocks, and
 * the first steps of a block, which collect what the other side left, are not counted. (Timing
 * them in alternation, one of each per round, let a parse pay for collecting the review's
 * garbage, which raised the floor and lowered the ratio: docs/benchmarks.md.)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { GCProfiler, getHeapStatistics } from "node:v8";
import { loadEnvironment } from "../config";
import { contextFromEnvironment, MOAT_PACK, parseStackText, ReviewContext, runRules } from "../review";
import { FIXTURE_CONTEXT, moatStack } from "../test/review/fixture-stack";
import { median } from "./process-timer";

const TARGET = Number(process.env.BENCH_RESOURCES ?? 10_000);
/** Blocks of each side, alternating (BENCH_BLOCKS), and steps per block, the first few not counted. */
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 6);
const BLOCK_STEPS = 8;
const UNCOUNTED_STEPS = 3;
/**
 * Warm-up rounds, not counted: at least MIN_WARMUP, then until the median review time of the
 * last STEADY_WINDOW rounds is within STEADY_TOLERANCE of the window before it (steady state),
 * at most MAX_WARMUP. BENCH_WARMUP=N fixes the count instead.
 */
const FIXED_WARMUP = process.env.BENCH_WARMUP === undefined ? undefined : Number(process.env.BENCH_WARMUP);
const MIN_WARMUP = 20;
const MAX_WARMUP = 80;
const STEADY_WINDOW = 5;
const STEADY_TOLERANCE = 0.03;

/**
 * At least TARGET resources: `base` (a stack as cdktf writes it) repeated whole with renamed
 * addresses, every reference rewritten to its own copy, so each copy reviews as the base does.
 */
function repeatStack(base: Record<string, any>): { text: string; resources: number } {
  const addresses = Object.entries(base.resource as Record<string, Record<string, unknown>>).flatMap(([type, byName]) =>
    Object.keys(byName).map((name) => [type, name] as const),
  );
  const baseText = JSON.stringify(base.resource);
  const resource: Record<string, Record<string, unknown>> = {};
  let count = 0;
  for (let copy = 0; count < TARGET; copy++) {
    let text = baseText;
    // References appear as `${aws_vpc.vpc.id}` and, inside jsonencode, as bare `aws_vpc_endpoint.endpoint.id`.
    for (const [type, name] of addresses)
      text = text.replace(new RegExp(`(?<![\\w.-])${type}\\.${name}\\.`, "g"), `${type}.${name}_${copy}.`);
    const copied = JSON.parse(text) as Record<string, Record<string, unknown>>;
    for (const [type, byName] of Object.entries(copied)) {
      for (const [name, body] of Object.entries(byName)) {
        (resource[type] ??= {})[`${name}_${copy}`] = body;
        count += 1;
      }
    }
  }
  return { text: JSON.stringify({ ...base, resource }, null, 2), resources: count };
}

/**
 * At least TARGET resources of a plan: the plan's managed resources (changes, planned values,
 * configuration) repeated with renamed addresses and every reference rewritten to its own copy;
 * the data sources Terraform read are shared by every copy.
 */
function repeatPlan(base: Record<string, any>): { text: string; resources: number } {
  const managed = (list: any[] = []) => list.filter((r) => r.mode === "managed");
  const sections = {
    changes: managed(base.resource_changes),
    planned: managed(base.planned_values.root_module.resources),
    config: managed(base.configuration.root_module.resources),
  };
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  const address = new RegExp(`(?<![\\w.-])(${sections.changes.map((c) => escape(c.address)).join("|")})(?![\\w-])`, "g");
  const baseText = JSON.stringify(sections);
  const out = { changes: [] as unknown[], planned: [] as unknown[], config: [] as unknown[] };
  for (let copy = 0; out.changes.length < TARGET; copy++) {
    const copied = JSON.parse(baseText.replace(address, `$1_${copy}`)) as typeof out;
    for (const key of ["changes", "planned", "config"] as const) out[key].push(...copied[key]);
  }
  const data = (list: any[] = []) => list.filter((r) => r.mode === "data");
  const plan = {
    ...base,
    resource_changes: out.changes,
    planned_values: { ...base.planned_values, root_module: { resources: out.planned } },
    configuration: {
      ...base.configuration,
      root_module: { ...base.configuration.root_module, resources: [...data(base.configuration.root_module.resources), ...out.config] },
    },
    relevant_attributes: undefined,
  };
  return { text: JSON.stringify(plan), resources: out.changes.length };
}

/**
 * moat's own dev stack as `moat synth` writes it (the committed test CA stands in for dev's),
 * synthesized in a child process so that cdktf is not in the measured process's heap.
 */
function synthesizedDev(): { stack: Record<string, any>; context: ReviewContext } {
  const root = join(__dirname, "..");
  const outdir = mkdtempSync(join(tmpdir(), "moat-bench-review-"));
  execFileSync(process.execPath, [...process.execArgv, join(root, "bin", "moat.ts"), "synth", "--env", "dev", "--out", outdir], {
    cwd: root,
    env: { ...process.env, MOAT_PKI_DIR: process.env.MOAT_PKI_DIR ?? join(root, "test", "fixtures", "pki") },
    // Its construct warnings are not the benchmark's output; a failure still shows them (in the thrown error).
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stack = JSON.parse(readFileSync(join(outdir, "stacks", "iot-dev", "cdk.tf.json"), "utf8"));
  rmSync(outdir, { recursive: true, force: true });
  return { stack, context: contextFromEnvironment(loadEnvironment("dev", { dir: join(root, "environments") })) };
}

interface Measured {
  resources: number;
  megabytes: number;
  findings: number;
  warmup: number;
  settled: string;
  parse: number;
  review: number;
  rules: number;
  cold: { parse: number; review: number };
  /** Median bytes allocated by one parse and by one review (which includes its parse). */
  allocated: { parse: number; review: number };
  /** Median time of the GC anchor: parse, keep the tree, allocate what the review allocates beyond the parse in small objects. */
  gcAnchor: number;
}

/**
 * Bytes allocated while `fn` runs: the growth of the used heap between collections, summed
 * over the collections V8 reports during the call (v8.GCProfiler).
 */
function allocatedBytes(fn: () => void): number {
  const profiler = new GCProfiler();
  const before = getHeapStatistics().used_heap_size;
  profiler.start();
  fn();
  const after = getHeapStatistics().used_heap_size;
  let allocated = 0;
  let last = before;
  for (const gc of profiler.stop().statistics) {
    allocated += gc.beforeGC.heapStatistics.usedHeapSize - last;
    last = gc.afterGC.heapStatistics.usedHeapSize;
  }
  return allocated + after - last;
}

/** Small objects, kept alive with `tree` until the call returns: the allocation pattern of a model, and nothing else. */
function allocateBeside(tree: unknown, objects: number): number {
  const kept: { index: number; tree: unknown; next: unknown }[] = [];
  for (let i = 0; i < objects; i++) kept.push({ index: i, tree, next: null });
  return kept.length;
}

/** One block: BLOCK_STEPS runs of `run`, the first UNCOUNTED_STEPS (which collect what came before) not kept. */
function countedBlock<T>(run: () => T, keep: (result: T) => void): void {
  for (let step = 0; step < BLOCK_STEPS; step++) {
    const result = run();
    if (step >= UNCOUNTED_STEPS) keep(result);
  }
}

/** Steady-state medians of parsing and reviewing one text, as described at the top. */
function measure(input: { text: string; resources: number }, context: ReviewContext): Measured {
  const { text } = input;
  const parseTimes: number[] = [];
  const reviewTimes: number[] = [];
  const ruleTimes: number[] = [];
  const warmupReviews: number[] = [];
  let findings = 0;

  /** True once warm-up may stop: fixed count reached, or the review time has settled. */
  const warmedUp = (rounds: number): boolean => {
    if (FIXED_WARMUP !== undefined) return rounds >= FIXED_WARMUP;
    if (rounds >= MAX_WARMUP) return true;
    if (rounds < Math.max(MIN_WARMUP, 2 * STEADY_WINDOW)) return false;
    const last = median(warmupReviews.slice(-STEADY_WINDOW));
    const before = median(warmupReviews.slice(-2 * STEADY_WINDOW, -STEADY_WINDOW));
    return Math.abs(last - before) <= STEADY_TOLERANCE * before;
  };
  /** One review of the text: total and rules-only milliseconds. */
  const timedReview = (): { total: number; rules: number } => {
    const start = performance.now();
    const model = parseStackText(text, "bench/cdk.tf.json", "iot-bench");
    const loaded = performance.now();
    findings = runRules(model, context).length;
    const end = performance.now();
    return { total: end - start, rules: end - loaded };
  };
  const timedParse = (): number => {
    const start = performance.now();
    JSON.parse(text);
    return performance.now() - start;
  };

  const cold = { parse: timedParse(), review: timedReview().total };
  let warmup = 0;
  while (!warmedUp(warmup)) {
    warmupReviews.push(timedReview().total);
    warmup += 1;
  }
  for (let block = 0; block < BLOCKS; block++) {
    countedBlock(timedParse, (took) => parseTimes.push(took));
    countedBlock(timedReview, ({ total, rules }) => {
      reviewTimes.push(total);
      ruleTimes.push(rules);
    });
  }
  // The allocation volumes, then the GC anchor: a "reviewer" that parses, keeps the tree and
  // allocates as many bytes as the review does beyond its parse, in small objects, doing no work.
  // What it costs over a parse is what the collector charges for that volume alone.
  const allocations = (fn: () => void) => median(Array.from({ length: 7 }, () => allocatedBytes(fn)));
  const allocated = {
    parse: allocations(() => JSON.parse(text)),
    review: allocations(() => runRules(parseStackText(text, "bench/cdk.tf.json", "iot-bench"), context)),
  };
  const CALIBRATION = 100_000;
  const bytesPerObject = allocations(() => allocateBeside(undefined, CALIBRATION)) / CALIBRATION;
  const anchorObjects = Math.max(0, Math.round((allocated.review - allocated.parse) / bytesPerObject));
  const timedAnchor = (): number => {
    const start = performance.now();
    allocateBeside(JSON.parse(text), anchorObjects);
    return performance.now() - start;
  };
  const anchorTimes: number[] = [];
  for (let step = 0; step < 10; step++) timedAnchor();
  for (let block = 0; block < BLOCKS; block++) countedBlock(timedAnchor, (took) => anchorTimes.push(took));
  const settled =
    FIXED_WARMUP !== undefined
      ? "fixed by BENCH_WARMUP"
      : warmup >= MAX_WARMUP
        ? `the cap; not settled within ${STEADY_TOLERANCE * 100}%`
        : `settled within ${STEADY_TOLERANCE * 100}%`;
  return {
    resources: input.resources,
    megabytes: text.length / 1e6,
    findings,
    warmup,
    settled,
    parse: median(parseTimes),
    review: median(reviewTimes),
    rules: median(ruleTimes),
    cold,
    allocated,
    gcAnchor: median(anchorTimes),
  };
}

/** Peak memory of one review in a fresh process, as `moat review` meets the file: read, parse, review. */
interface Peak {
  /** Growth of the resident set over the process before it read the file (its code loaded), bytes. */
  rss: number;
  /** Largest used heap during the review over the used heap before it, bytes (v8.GCProfiler). */
  heap: number;
}

/**
 * Measures {@link Peak} in a child process of its own (BENCH_PEAK=file, BENCH_CONTEXT=fixture|dev):
 * in the measuring process, the warm-up reviews and the texts the bench keeps would hide it.
 */
function peakMemory(text: string, context: "fixture" | "dev"): Peak {
  const dir = mkdtempSync(join(tmpdir(), "moat-bench-peak-"));
  const file = join(dir, "input.json");
  writeFileSync(file, text);
  try {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename], {
      env: { ...process.env, BENCH_INPUT: "", BENCH_PEAK: file, BENCH_CONTEXT: context },
      encoding: "utf8",
    });
    return JSON.parse(out) as Peak;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function peakChild(file: string, contextName: string): void {
  const context =
    contextName === "fixture"
      ? FIXTURE_CONTEXT
      : contextFromEnvironment(loadEnvironment("dev", { dir: join(__dirname, "..", "environments") }));
  const rssBefore = process.memoryUsage().rss;
  const peakBefore = process.resourceUsage().maxRSS;
  const heapBefore = getHeapStatistics().used_heap_size;
  const profiler = new GCProfiler();
  profiler.start();
  const text = readFileSync(file, "utf8");
  runRules(parseStackText(text, file, "iot-bench"), context);
  const heapAfter = getHeapStatistics().used_heap_size;
  let heapPeak = heapAfter;
  for (const gc of profiler.stop().statistics) heapPeak = Math.max(heapPeak, gc.beforeGC.heapStatistics.usedHeapSize);
  const peakAfter = process.resourceUsage().maxRSS;
  // A review that never passed the process's earlier peak (loading its code) would read as that peak's height.
  if (peakAfter === peakBefore) throw new Error("the review stayed under the peak of loading the code: its resident set cannot be told");
  const peak: Peak = { rss: peakAfter * 1024 - rssBefore, heap: heapPeak - heapBefore };
  process.stdout.write(JSON.stringify(peak));
}

function report(label: string, m: Measured, kind = "cdk.tf.json", peak?: Peak): void {
  const ratio = m.review / m.parse;
  console.log(
    `${label}: ${m.resources} resources, ${m.megabytes.toFixed(1)} MB of ${kind}; ${m.findings} findings; warm-up ${m.warmup} reviews (${m.settled})`,
  );
  console.log(`  JSON.parse (floor): ${m.parse.toFixed(1)} ms`);
  console.log(
    `  moat review:        ${m.review.toFixed(1)} ms  (JSON.parse + index ${(m.review - m.rules).toFixed(1)} ms, ${MOAT_PACK.length} rules with the evaluation they trigger ${m.rules.toFixed(1)} ms)`,
  );
  console.log(
    `  first review (cold): ${m.cold.review.toFixed(0)} ms, first parse ${m.cold.parse.toFixed(0)} ms, ${(m.cold.review / m.cold.parse).toFixed(2)}x (compiles the review code)`,
  );
  console.log(`  ratio review/parse: ${ratio.toFixed(2)}x (target <= 3x) ${ratio <= 3 ? "OK" : "OVER TARGET"}`);
  const beyond = (m.allocated.review - m.allocated.parse) / 1e6;
  console.log(
    `  allocated per parse ${(m.allocated.parse / 1e6).toFixed(1)} MB, per review ${(m.allocated.review / 1e6).toFixed(1)} MB (${beyond.toFixed(1)} MB beyond its parse)`,
  );
  console.log(
    `  GC anchor, no rules at all: parse, keep the tree, allocate ${beyond.toFixed(1)} MB of small objects: ${m.gcAnchor.toFixed(1)} ms, ${(m.gcAnchor / m.parse).toFixed(2)}x the parse`,
  );
  if (peak) {
    const per = 10_000 / m.resources;
    console.log(
      `  peak memory of one review in a fresh process, per 10,000 resources: heap ${((peak.heap * per) / 1e6).toFixed(1)} MB, resident set ${((peak.rss * per) / 1e6).toFixed(1)} MB over the process before it read the file`,
    );
  }
}

/** BENCH_DUMP=FILE keeps the generated input, to profile it or to review it with the CLI. */
function dump(input: { text: string }): void {
  if (process.env.BENCH_DUMP) writeFileSync(process.env.BENCH_DUMP, input.text);
}

const INPUTS = {
  fixture: () => {
    const stack = repeatStack(moatStack());
    dump(stack);
    report(
      "fixture stack (test/review/fixture-stack.ts, jsonencode policies) repeated",
      measure(stack, FIXTURE_CONTEXT),
      "cdk.tf.json",
      peakMemory(stack.text, "fixture"),
    );
  },
  dev: () => {
    const dev = synthesizedDev();
    const stack = repeatStack(dev.stack);
    dump(stack);
    report(
      "moat's synthesized iot-dev repeated (JSON-template policies, cdktf metadata, tags)",
      measure(stack, dev.context),
      "cdk.tf.json",
      peakMemory(stack.text, "dev"),
    );
  },
  plan: () => {
    const root = join(__dirname, "..");
    const plan = JSON.parse(readFileSync(join(root, "test", "fixtures", "plans", "iot-dev.first.json"), "utf8"));
    const context = contextFromEnvironment(loadEnvironment("dev", { dir: join(root, "environments") }));
    const repeated = repeatPlan(plan);
    dump(repeated);
    report(
      "real plan of iot-dev repeated (terraform show -json of the mirror's provider, every attribute written)",
      measure(repeated, context),
      "plan JSON",
      peakMemory(repeated.text, "dev"),
    );
  },
};

// Each stack is measured in a process of its own: what one leaves in the heap (and in V8's
// feedback) must not be charged to the other.
const input = process.env.BENCH_INPUT as keyof typeof INPUTS | undefined;
if (process.env.BENCH_PEAK) {
  peakChild(process.env.BENCH_PEAK, process.env.BENCH_CONTEXT ?? "fixture");
} else if (input !== undefined) {
  if (!(input in INPUTS)) throw new Error(`BENCH_INPUT=${input}: use one of ${Object.keys(INPUTS).join(", ")}`);
  INPUTS[input]();
} else {
  console.log(
    `${BLOCKS} blocks of ${BLOCK_STEPS} parses and ${BLOCK_STEPS} reviews per stack, alternating, the last ${BLOCK_STEPS - UNCOUNTED_STEPS} of each block counted; medians; one process per stack`,
  );
  for (const name of Object.keys(INPUTS)) {
    execFileSync(process.execPath, [...process.execArgv, __filename], { env: { ...process.env, BENCH_INPUT: name }, stdio: "inherit" });
  }
}
