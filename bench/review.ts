/**
 * `npm run bench:review`: review of a generated 10,000-resource stack, beside the time to
 * JSON.parse the same text (the floor any reviewer of this file pays), in the same run.
 * Target: review within 3x of parsing, in steady state. The first review of a process also
 * pays for compiling the review code (JSON.parse is native), so it is printed on its own, and
 * measuring starts once the review time has stopped falling: V8 optimizes each rule function
 * only after it has run a number of times, and each runs once per review.
 *
 * Each side pays for its own garbage: parses and reviews are timed in alternating blocks, and
 * the first steps of a block, which collect what the other side left, are not counted. (Timing
 * them in alternation, one of each per round, let a parse pay for collecting the review's
 * garbage: the floor read ~22 ms instead of ~15 ms, and the ratio ~2.4x instead of ~4x.)
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { MOAT_PACK, parseStackText, runRules } from "../review";
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
 * At least TARGET resources in the proportions of a real moat stack: the compliant fixture stack
 * (a full segment with broker, policies, logs and alarms) repeated whole with renamed addresses,
 * every reference rewritten to its own copy, so the stack reviews clean.
 */
function generateStack(): { text: string; resources: number } {
  const base = moatStack();
  const addresses = Object.entries(base.resource as Record<string, Record<string, unknown>>).flatMap(([type, byName]) => Object.keys(byName).map((name) => [type, name] as const));
  const baseText = JSON.stringify(base.resource);
  const resource: Record<string, Record<string, unknown>> = {};
  let count = 0;
  for (let copy = 0; count < TARGET; copy++) {
    let text = baseText;
    // References appear as `${aws_vpc.vpc.id}` and, inside jsonencode, as bare `aws_vpc_endpoint.endpoint.id`.
    for (const [type, name] of addresses) text = text.replace(new RegExp(`(?<![\\w.-])${type}\\.${name}\\.`, "g"), `${type}.${name}_${copy}.`);
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

const { text, resources } = generateStack();
// BENCH_DUMP=FILE keeps the generated stack, to profile or to review it with the CLI.
if (process.env.BENCH_DUMP) writeFileSync(process.env.BENCH_DUMP, text);
const parseTimes: number[] = [];
const reviewTimes: number[] = [];
const ruleTimes: number[] = [];
const warmupReviews: number[] = [];
let findings = 0;

/** True once warm-up may stop: fixed count reached, or the review time has settled. */
function warmedUp(rounds: number): boolean {
  if (FIXED_WARMUP !== undefined) return rounds >= FIXED_WARMUP;
  if (rounds >= MAX_WARMUP) return true;
  if (rounds < Math.max(MIN_WARMUP, 2 * STEADY_WINDOW)) return false;
  const last = median(warmupReviews.slice(-STEADY_WINDOW));
  const before = median(warmupReviews.slice(-2 * STEADY_WINDOW, -STEADY_WINDOW));
  return Math.abs(last - before) <= STEADY_TOLERANCE * before;
}

/** One review of the text: total and rules-only milliseconds. */
function timedReview(): { total: number; rules: number } {
  const start = performance.now();
  const model = parseStackText(text, "bench/cdk.tf.json", "iot-bench");
  const loaded = performance.now();
  findings = runRules(model, FIXTURE_CONTEXT).length;
  const end = performance.now();
  return { total: end - start, rules: end - loaded };
}

function timedParse(): number {
  const start = performance.now();
  JSON.parse(text);
  return performance.now() - start;
}

const cold = { parse: timedParse(), review: timedReview().total };
let warmup = 0;
while (!warmedUp(warmup)) {
  warmupReviews.push(timedReview().total);
  warmup += 1;
}
for (let block = 0; block < BLOCKS; block++) {
  for (let step = 0; step < BLOCK_STEPS; step++) {
    const took = timedParse();
    if (step >= UNCOUNTED_STEPS) parseTimes.push(took);
  }
  for (let step = 0; step < BLOCK_STEPS; step++) {
    const { total, rules } = timedReview();
    if (step < UNCOUNTED_STEPS) continue;
    reviewTimes.push(total);
    ruleTimes.push(rules);
  }
}
const parse = median(parseTimes);
const review = median(reviewTimes);
const ratio = review / parse;
const settled = FIXED_WARMUP !== undefined ? "fixed by BENCH_WARMUP" : warmup >= MAX_WARMUP ? `the cap; not settled within ${STEADY_TOLERANCE * 100}%` : `settled within ${STEADY_TOLERANCE * 100}%`;
const counted = BLOCK_STEPS - UNCOUNTED_STEPS;
console.log(`stack: ${resources} resources, ${(text.length / 1e6).toFixed(1)} MB of cdk.tf.json; ${findings} findings`);
console.log(`warm-up: ${warmup} reviews (${settled}); then ${BLOCKS} blocks of ${BLOCK_STEPS} parses and ${BLOCK_STEPS} reviews, alternating, the last ${counted} of each block counted; medians`);
console.log(`JSON.parse (floor): ${parse.toFixed(1)} ms`);
const rules = median(ruleTimes);
console.log(`moat review:        ${review.toFixed(1)} ms  (JSON.parse + index ${(review - rules).toFixed(1)} ms, ${MOAT_PACK.length} rules with the evaluation they trigger ${rules.toFixed(1)} ms)`);
console.log(`first review (cold): ${cold.review.toFixed(0)} ms, first parse ${cold.parse.toFixed(0)} ms, ${(cold.review / cold.parse).toFixed(2)}x (compiles the review code)`);
console.log(`ratio review/parse: ${ratio.toFixed(2)}x (target <= 3x) ${ratio <= 3 ? "OK" : "OVER TARGET"}`);
