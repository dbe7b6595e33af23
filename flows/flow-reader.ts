import { createReadStream, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { MoatError } from "../errors";
import { headerProblem, isHeader, parseFlowLine } from "./flow-log-format";
import { FlowReview, FlowReviewResult } from "./flow-review";
import { FlowAddressPlan } from "./segment-zones";

export interface FlowProgress {
  readonly file: string;
  /** 1-based position of the file among the inputs. */
  readonly fileNumber: number;
  readonly files: number;
  readonly records: number;
  /** Share of all input bytes read so far (compressed bytes for gzip files), 0..1. */
  readonly fraction: number;
}

export interface ReadFlowOptions {
  /** Called at most every `progressEveryMs` while reading, and only when the input is large. */
  readonly onProgress?: (progress: FlowProgress) => void;
  /** @default 2000 */
  readonly progressEveryMs?: number;
  /** Inputs smaller than this (all files together) report no progress. @default 32 MiB */
  readonly progressMinBytes?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const PARQUET_MAGIC = "PAR1";
/** A record is under 400 characters; a longer run without a newline is not a flow log (and must not fill memory). */
const MAX_LINE = 64 * 1024;
const FORMAT_HINT = "moat flows reads VPC flow-log records in the format moat configures (docs/flows.md), plain or gzip";

/**
 * Reviews flow-log files against an address plan, streaming: each file is read in chunks
 * (through gunzip when it starts with the gzip magic), split into lines and folded into one
 * {@link FlowReview}, so memory does not grow with the input. The first bad line stops the run
 * with an error naming the file and line; nothing is reported from a partial read.
 */
export async function reviewFlowFiles(
  files: readonly string[],
  plan: FlowAddressPlan,
  options: ReadFlowOptions = {},
): Promise<FlowReviewResult> {
  const sizes = files.map((file) => sizeOf(file));
  const total = sizes.reduce((a, b) => a + b, 0);
  const every = options.progressEveryMs ?? 2000;
  const report = options.onProgress && total >= (options.progressMinBytes ?? 32 * 1024 * 1024) ? options.onProgress : undefined;
  const review = new FlowReview(plan);
  let done = 0;
  let lastReport = Date.now();
  for (const [i, file] of files.entries()) {
    await readOne(file, review, (bytesInFile) => {
      if (!report || Date.now() - lastReport < every) return;
      lastReport = Date.now();
      report({
        file,
        fileNumber: i + 1,
        files: files.length,
        records: review.recordCount,
        fraction: total === 0 ? 1 : (done + bytesInFile) / total,
      });
    });
    done += sizes[i];
  }
  return review.result();
}

function sizeOf(file: string): number {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new MoatError(`${file}: not a regular file; give flow-log files (plain or .gz)`);
    return stat.size;
  } catch (err) {
    if (err instanceof MoatError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new MoatError(`${file}: cannot read it (${code ?? (err as Error).message}); check the path and its permissions`);
  }
}

async function firstBytes(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readOne(file: string, review: FlowReview, progress: (bytesRead: number) => void): Promise<void> {
  const magic = await firstBytes(file);
  if (magic.toString("latin1") === PARQUET_MAGIC) {
    throw new MoatError(`${file}: a Parquet file; ${FORMAT_HINT} (query Parquet in S3 with the saved Athena queries, docs/flows.md)`);
  }
  const gzip = magic.length >= 2 && magic[0] === GZIP_MAGIC[0] && magic[1] === GZIP_MAGIC[1];
  const raw = createReadStream(file, { highWaterMark: 1024 * 1024 });
  // Progress counts file bytes: compressed ones, as gunzip pulls them, for a gzip file.
  let rawBytes = 0;
  let input: NodeJS.ReadableStream = raw;
  if (gzip) {
    const gunzip = createGunzip();
    raw.on("error", (err) => gunzip.destroy(err));
    raw.on("data", (chunk) => (rawBytes += chunk.length));
    input = raw.pipe(gunzip);
  }
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let lineNumber = 0;
  const take = (line: string) => {
    lineNumber++;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length === 0) return;
    if (isHeader(line)) {
      const problem = headerProblem(line);
      if (problem) throw new MoatError(`${file}:${lineNumber}: ${problem}; ${FORMAT_HINT}`);
      return;
    }
    const parsed = parseFlowLine(line);
    if (parsed.kind === "flow") review.add(parsed.record);
    else if (parsed.kind === "bad") throw new MoatError(`${file}:${lineNumber}: not a flow-log record: ${parsed.problem}; ${FORMAT_HINT}`);
    else review.addNoData(parsed.kind);
  };
  try {
    for await (const chunk of input) {
      if (!gzip) rawBytes += (chunk as Buffer).length;
      const text = carry + decoder.write(chunk as Buffer);
      let from = 0;
      for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", from)) {
        take(text.slice(from, at));
        from = at + 1;
      }
      carry = text.slice(from);
      if (carry.length > MAX_LINE)
        throw new MoatError(
          `${file}:${lineNumber + 1}: not a flow-log record: more than ${MAX_LINE.toLocaleString("en-US")} characters without a line break; ${FORMAT_HINT}`,
        );
      progress(rawBytes);
    }
  } catch (err) {
    if (err instanceof MoatError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (gzip && (e.code === "Z_BUF_ERROR" || e.code === "Z_DATA_ERROR" || /unexpected end of file/i.test(e.message))) {
      throw new MoatError(`${file}: the gzip data is truncated or corrupt after line ${lineNumber} (${e.message}); copy the file again`);
    }
    throw new MoatError(`${file}: cannot read it (${e.code ?? e.message}); check the path and its permissions`);
  } finally {
    raw.destroy();
  }
  carry += decoder.end();
  if (carry.length > 0) take(carry);
}
