/**
 * npm run bench:flows [-- --records N --gzip]
 *
 * `moat flows` throughput: a file of N records generated from dev's address plan (benign MQTT
 * connections with a hostile flow every 1,000 records) is reviewed, and in the same run the same
 * file is counted by line twice: a plain Node line reader (readline over the same fs/zlib stream)
 * and `wc -l` (plain files only). Prints records/s for each and the ratio; the goal is a review
 * within 3x of the Node line count. Peak RSS shows memory does not grow with the file.
 */
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { finished } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createGunzip, createGzip } from "node:zlib";
import { loadEnvironment } from "../config";
import { reviewFlowFiles } from "../flows";
import { benignLines, FLOW_TIME, hostileFlows } from "../test/flows/flow-records";

const MAX_RECORDS = 20_000_000;

async function writeInput(path: string, records: number, gzip: boolean): Promise<void> {
  const plan = loadEnvironment("dev").network;
  const file = createWriteStream(path);
  const out = gzip ? createGzip() : file;
  if (gzip) (out as NodeJS.ReadableStream).pipe(file);
  const hostile = Object.values(hostileFlows(plan, FLOW_TIME));
  let batch: string[] = [];
  let i = 0;
  for (const line of benignLines(plan, records)) {
    batch.push(i % 1000 === 999 ? hostile[((i / 1000) % hostile.length) | 0] : line);
    i++;
    if (batch.length === 10_000) {
      if (!out.write(batch.join("\n") + "\n")) await new Promise<void>((r) => out.once("drain", () => r()));
      batch = [];
    }
  }
  out.end(batch.length ? batch.join("\n") + "\n" : "");
  await finished(file);
}

async function nodeLineCount(path: string, gzip: boolean): Promise<number> {
  const raw = createReadStream(path, { highWaterMark: 1024 * 1024 });
  const input = gzip ? raw.pipe(createGunzip()) : raw;
  let lines = 0;
  const reader = createInterface({ input, crlfDelay: Infinity });
  reader.on("line", () => lines++);
  await new Promise<void>((resolve, reject) => {
    reader.on("close", resolve);
    input.on("error", reject);
  });
  return lines;
}

async function timed<T>(run: () => Promise<T> | T): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const value = await run();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { records: { type: "string" }, gzip: { type: "boolean" } } });
  const records = Number(values.records ?? 1_000_000);
  if (!Number.isInteger(records) || records < 1000 || records > MAX_RECORDS)
    throw new Error(`--records must be a whole number from 1000 to ${MAX_RECORDS}`);
  const gzip = values.gzip ?? false;
  const work = mkdtempSync(join(tmpdir(), "moat-bench-flows-"));
  try {
    const path = join(work, gzip ? "flows.log.gz" : "flows.log");
    await writeInput(path, records, gzip);
    const plan = loadEnvironment("dev").network;
    const size = statSync(path).size;
    // Warm-up on the same file so neither side pays for the first read from disk.
    await nodeLineCount(path, gzip);
    const count = await timed(() => nodeLineCount(path, gzip));
    const review = await timed(() => reviewFlowFiles([path], plan));
    const wc = gzip ? undefined : await timed(() => Number(execFileSync("wc", ["-l", path], { encoding: "utf8" }).trim().split(/\s+/)[0]));
    if (review.value.records !== count.value)
      throw new Error(`the review read ${review.value.records} records, the line count is ${count.value}`);
    const rate = (n: number, s: number) => Math.round(n / s).toLocaleString("en-US");
    const ratio = review.seconds / count.seconds;
    console.log(
      `input: ${records.toLocaleString("en-US")} records, ${(size / 1e6).toFixed(1)} MB${gzip ? " gzip" : ""}; ${review.value.breaches.length} breach groups, ${review.value.sources.length} sources`,
    );
    console.log(`moat flows review     : ${rate(count.value, review.seconds)} records/s (${review.seconds.toFixed(2)} s)`);
    console.log(`node readline count   : ${rate(count.value, count.seconds)} lines/s (${count.seconds.toFixed(2)} s)`);
    if (wc) console.log(`wc -l                 : ${rate(wc.value, wc.seconds)} lines/s (${wc.seconds.toFixed(2)} s)`);
    console.log(`review / node line count: ${ratio.toFixed(2)}x (goal <= 3x) ${ratio <= 3 ? "OK" : "OVER"}`);
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`bench:flows: ${err.message}`);
  process.exitCode = 1;
});
