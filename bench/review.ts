/**
 * `npm run bench:review`: review of a generated 10,000-resource stack, beside the time to
 * JSON.parse the same text (the floor any reviewer of this file pays), in the same run.
 * Target: review within 3x of parsing, in steady state. The first review of a process also
 * pays for compiling the review code (JSON.parse is native), so it is printed on its own.
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { MOAT_PACK, parseStackText, runRules } from "../review";
import { FIXTURE_CONTEXT, moatStack } from "../test/review/fixture-stack";

const TARGET = Number(process.env.BENCH_RESOURCES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
/** Rounds run first and not counted: the first few compile the review code and grow the heap. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);

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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const { text, resources } = generateStack();
// BENCH_DUMP=FILE keeps the generated stack, to profile or to review it with the CLI.
if (process.env.BENCH_DUMP) writeFileSync(process.env.BENCH_DUMP, text);
const parseTimes: number[] = [];
const reviewTimes: number[] = [];
const ruleTimes: number[] = [];
const cold = { parse: 0, review: 0 };
let findings = 0;
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  // Alternate the order so neither side always runs on a warmer heap.
  const order = round % 2 === 0 ? ["parse", "review"] : ["review", "parse"];
  const counted = round >= WARMUP;
  for (const what of order) {
    const start = performance.now();
    if (what === "parse") {
      JSON.parse(text);
      const took = performance.now() - start;
      if (round === 0) cold.parse = took;
      if (counted) parseTimes.push(took);
    } else {
      const model = parseStackText(text, "bench/cdk.tf.json", "iot-bench");
      const loaded = performance.now();
      findings = runRules(model, FIXTURE_CONTEXT).length;
      const end = performance.now();
      if (round === 0) cold.review = end - start;
      if (counted) {
        reviewTimes.push(end - start);
        ruleTimes.push(end - loaded);
      }
    }
  }
}
const parse = median(parseTimes);
const review = median(reviewTimes);
const ratio = review / parse;
console.log(`stack: ${resources} resources, ${(text.length / 1e6).toFixed(1)} MB of cdk.tf.json; ${findings} findings; median of ${ROUNDS} rounds after ${WARMUP} warm-up`);
console.log(`JSON.parse (floor): ${parse.toFixed(1)} ms`);
const rules = median(ruleTimes);
console.log(`moat review:        ${review.toFixed(1)} ms  (JSON.parse + index ${(review - rules).toFixed(1)} ms, ${MOAT_PACK.length} rules with the evaluation they trigger ${rules.toFixed(1)} ms)`);
console.log(`first round (cold): review ${cold.review.toFixed(0)} ms, parse ${cold.parse.toFixed(0)} ms, ${(cold.review / cold.parse).toFixed(2)}x (compiles the review code)`);
console.log(`ratio review/parse: ${ratio.toFixed(2)}x (target <= 3x) ${ratio <= 3 ? "OK" : "OVER TARGET"}`);
