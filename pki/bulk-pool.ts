import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { BulkResult, BulkSetup } from "./bulk-sign";
import type { WorkerJob, WorkerReply } from "./bulk-worker";

/** The worker file beside this one: dist's .js when this is dist, the .ts source when this is source. */
const ENTRY = join(__dirname, `bulk-worker${extname(__filename)}`);

/**
 * Any failure to load is posted as a fatal reply: the writer waits synchronously and would
 * otherwise never hear of it.
 */
const guarded = (load: string) => `
const { workerData } = require("node:worker_threads");
try {
  ${load}
} catch (err) {
  workerData.port.postMessage({ fatal: String((err && err.stack) || err) });
  Atomics.add(workerData.signal, 0, 1);
  Atomics.notify(workerData.signal, 0);
}`;

let sourceBundle: string | undefined;

/**
 * The code a worker runs. From dist: require the compiled worker. From source (tsx, jest),
 * threads inherit no TypeScript loader, and registering tsx in each costs far more than the
 * work of a small run, so the worker and what it imports are bundled once per process with
 * esbuild (tsx's own, present wherever .ts runs) and evaluated; packages stay external,
 * required from the worker's own directory.
 */
function workerCode(): string {
  if (!ENTRY.endsWith(".ts")) return guarded(`require(${JSON.stringify(ENTRY)});`);
  if (sourceBundle === undefined) {
    const local = createRequire(ENTRY);
    const esbuild = local(local.resolve("esbuild", { paths: [dirname(local.resolve("tsx/package.json"))] })) as typeof import("esbuild");
    const built = esbuild.buildSync({
      entryPoints: [ENTRY],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      packages: "external",
      write: false,
      logLevel: "silent",
    });
    const code = built.outputFiles[0].text;
    sourceBundle = guarded(`(function (require) {\n${code}\n})(require("node:module").createRequire(${JSON.stringify(ENTRY)}));`);
  }
  return sourceBundle;
}

/** Without any reply for this long, a worker is taken to be lost (a bug, never a slow disk: workers do not write). */
const STALL_MS = 300_000;

/**
 * Worker threads that check and sign, driven synchronously from the writer: jobs go out on
 * message ports, replies are taken with receiveMessageOnPort while the writer sleeps on a
 * shared counter the workers bump. bulkIssue stays a plain synchronous call.
 */
export class SignerPool {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly chunks = new Map<number, { expected: number; got: Map<number, BulkResult[]> }>();
  private turn = 0;

  /** Starts the threads; they load while the caller does its own set-up, then {@link start} hands them the run. */
  constructor(threads: number) {
    const code = workerCode();
    for (let i = 0; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(code, {
        eval: true,
        workerData: { port: port2, signal: this.signal },
        transferList: [port2],
      });
      worker.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /** What every certificate of the run shares, the CA key included: sent before any job. */
  start(setup: BulkSetup): void {
    for (const port of this.ports) port.postMessage(setup);
  }

  /** Queues one batch: its CSRs in chunks, dealt round the workers so each stays busy. */
  submit(batch: number, paths: readonly string[], serials: readonly string[]): void {
    const size = Math.max(1, Math.ceil(paths.length / (this.ports.length * 4)));
    const expected = Math.ceil(paths.length / size);
    this.chunks.set(batch, { expected, got: new Map() });
    for (let chunk = 0; chunk < expected; chunk++) {
      const job: WorkerJob = {
        batch,
        chunk,
        paths: paths.slice(chunk * size, (chunk + 1) * size),
        serials: serials.slice(chunk * size, (chunk + 1) * size),
      };
      this.ports[this.turn++ % this.ports.length].postMessage(job);
    }
  }

  /** Blocks until every chunk of `batch` is back; its results in submission order. */
  collect(batch: number): BulkResult[] {
    const state = this.chunks.get(batch);
    if (state === undefined) throw new Error(`bulk: batch ${batch} was never submitted`);
    let lastReply = Date.now();
    while (state.got.size < state.expected) {
      const seen = Atomics.load(this.signal, 0);
      let any = false;
      for (const port of this.ports) {
        for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
          any = true;
          this.accept(m.message as WorkerReply);
        }
      }
      if (any) lastReply = Date.now();
      else if (Date.now() - lastReply > STALL_MS) throw new Error(`bulk: no worker replied in ${STALL_MS / 1000} s`);
      else Atomics.wait(this.signal, 0, seen, 1000);
    }
    this.chunks.delete(batch);
    return [...state.got.entries()].sort(([a], [b]) => a - b).flatMap(([, results]) => results);
  }

  close(): void {
    for (const port of this.ports) port.close();
    for (const worker of this.workers) void worker.terminate();
  }

  private accept(reply: WorkerReply): void {
    if ("fatal" in reply) throw new Error(`bulk: a worker thread failed: ${reply.fatal}`);
    this.chunks.get(reply.batch)?.got.set(reply.chunk, reply.results);
  }
}
