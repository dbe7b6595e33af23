/**
 * `npm run bench:review`: review of a generated 10,000-resource stack, beside the time to
 * JSON.parse the same text (the floor any reviewer of this file pays), in the same run.
 * Target: review within 3x of parsing.
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { MOAT_PACK, parseStackText, runRules } from "../review";
import { FIXTURE_CONTEXT, moatStack } from "../test/review/fixture-stack";

const TARGET = Number(process.env.BENCH_RESOURCES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

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
let findings = 0;
for (let round = 0; round <= ROUNDS; round++) {
  // Alternate the order so neither side always runs on a warmer heap; round 0 only warms up.
  const order = round % 2 === 0 ? ["parse", "review"] : ["review", "parse"];
  for (const what of order) {
    const start = performance.now();
    if (what === "parse") {
      JSON.parse(text);
      if (round > 0) parseTimes.push(performance.now() - start);
    } else {
      const model = parseStackText(text, "bench/cdk.tf.json", "iot-bench");
      const loaded = performance.now();
      findings = runRules(model, FIXTURE_CONTEXT).length;
      const end = performance.now();
      if (round > 0) {
        reviewTimes.push(end - start);
        ruleTimes.push(end - loaded);
      }
    }
  }
}
const parse = median(parseTimes);
const review = median(reviewTimes);
const ratio = review / parse;
console.log(`stack: ${resources} resources, ${(text.length / 1e6).toFixed(1)} MB of cdk.tf.json; ${findings} findings; median of ${ROUNDS} rounds`);
console.log(`JSON.parse (floor): ${parse.toFixed(1)} ms`);
const rules = median(ruleTimes);
console.log(`moat review:        ${review.toFixed(1)} ms  (JSON.parse + model ${(review - rules).toFixed(1)} ms, ${MOAT_PACK.length} rules ${rules.toFixed(1)} ms)`);
console.log(`ratio review/parse: ${ratio.toFixed(2)}x (target <= 3x) ${ratio <= 3 ? "OK" : "OVER TARGET"}`);
