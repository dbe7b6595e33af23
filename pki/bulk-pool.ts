import { execFileSync } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { BulkResult, BulkSetup, CsrSigner } from "./bulk-sign";
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
    const main = local.resolve("esbuild", { paths: [dirname(local.resolve("tsx/package.json"))] });
    const code = bundleWithBinary(join(dirname(main), "..", "bin", "esbuild")) ?? bundleWithApi(local(main) as typeof import("esbuild"));
    sourceBundle = guarded(`(function (require) {\n${code}\n})(require("node:module").createRequire(${JSON.stringify(ENTRY)}));`);
  }
  return sourceBundle;
}

const BUNDLE_OPTIONS = { bundle: true, platform: "node", format: "cjs", target: "node20", packages: "external" } as const;

/**
 * The bundle from esbuild's native executable, where the package installed one (not a JavaScript
 * shim): loading esbuild's API costs more CPU than the bundling, and its synchronous calls start a
 * worker thread of their own, a whole second Node thread start. Undefined when there is none.
 */
function bundleWithBinary(bin: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(bin, "r");
    const magic = Buffer.alloc(4);
    readSync(fd, magic, 0, 4, 0);
    if (!magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) && magic.readUInt16LE(0) !== 0x5a4d) return undefined; // ELF or PE
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const flags = Object.entries(BUNDLE_OPTIONS).map(([name, value]) => (value === true ? `--${name}` : `--${name}=${value}`));
  return execFileSync(bin, [ENTRY, ...flags, "--log-level=error"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 << 20,
  });
}

function bundleWithApi(esbuild: typeof import("esbuild")): string {
  return esbuild.buildSync({ entryPoints: [ENTRY], ...BUNDLE_OPTIONS, write: false, logLevel: "silent" }).outputFiles[0].text;
}

/** Without any reply for this long, a worker is taken to be lost (a bug, never a slow disk: workers do not write). */
const STALL_MS = 300_000;

/**
 * CSRs per job. Small enough that the writer, which takes a job itself whenever it would
 * otherwise wait, is soon back to its own work; large enough that messages stay few.
 */
const CHUNK = 32;
/** Jobs a worker holds at once: enough to keep it busy while the writer writes a batch. */
const IN_FLIGHT = 4;

/**
 * Checks and signs batches of CSRs on worker threads and on the calling thread, driven
 * synchronously: jobs go out on message ports a few at a time per worker, replies are taken with
 * receiveMessageOnPort, and whenever the caller would wait it takes the next job itself. With no
 * worker (threads: 0) the caller does every job. bulkIssue stays a plain synchronous call.
 */
export class SignerPool {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly inFlight: number[] = [];
  /** Jobs not dealt yet, oldest first. */
  private readonly queue: WorkerJob[] = [];
  private readonly batches = new Map<number, { expected: number; got: Map<number, BulkResult[]> }>();
  private here: CsrSigner | undefined;

  /** Starts the threads; they load while the caller does its own set-up, then {@link start} hands them the run. */
  constructor(threads: number) {
    if (threads === 0) return;
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
      this.inFlight.push(0);
    }
  }

  /** What every certificate of the run shares, the CA key included: sent before any job. */
  start(setup: BulkSetup): void {
    for (const port of this.ports) port.postMessage(setup);
    this.here = new CsrSigner(setup);
  }

  /** Queues one batch, in jobs of {@link CHUNK} CSRs. */
  submit(batch: number, paths: readonly string[], serials: readonly string[], regular: readonly boolean[]): void {
    const expected = Math.ceil(paths.length / CHUNK);
    this.batches.set(batch, { expected, got: new Map() });
    for (let chunk = 0; chunk < expected; chunk++) {
      const slice = <T>(list: readonly T[]) => list.slice(chunk * CHUNK, (chunk + 1) * CHUNK);
      this.queue.push({ batch, chunk, paths: slice(paths), serials: slice(serials), regular: slice(regular) });
    }
    this.deal();
  }

  /** Blocks until every job of `batch` is done, doing queued jobs meanwhile; its results in submission order. */
  collect(batch: number): BulkResult[] {
    const state = this.batches.get(batch);
    if (state === undefined) throw new Error(`bulk: batch ${batch} was never submitted`);
    let lastReply = Date.now();
    while (state.got.size < state.expected) {
      const seen = Atomics.load(this.signal, 0);
      if (this.receive()) {
        lastReply = Date.now();
        continue;
      }
      const job = this.queue.shift();
      if (job !== undefined) this.run(job);
      else if (Date.now() - lastReply > STALL_MS) throw new Error(`bulk: no worker replied in ${STALL_MS / 1000} s`);
      else Atomics.wait(this.signal, 0, seen, 1000);
    }
    this.batches.delete(batch);
    this.deal(); // keep the workers busy while the caller writes this batch
    return [...state.got.entries()].sort(([a], [b]) => a - b).flatMap(([, results]) => results);
  }

  close(): void {
    for (const port of this.ports) port.close();
    for (const worker of this.workers) void worker.terminate();
  }

  /** Gives each worker jobs up to {@link IN_FLIGHT}. */
  private deal(): void {
    for (let w = 0; w < this.ports.length; w++) {
      while (this.inFlight[w] < IN_FLIGHT && this.queue.length > 0) {
        this.inFlight[w]++;
        this.ports[w].postMessage(this.queue.shift());
      }
    }
  }

  /** Takes every reply waiting; whether there was any. */
  private receive(): boolean {
    let any = false;
    for (let w = 0; w < this.ports.length; w++) {
      for (let m = receiveMessageOnPort(this.ports[w]); m !== undefined; m = receiveMessageOnPort(this.ports[w])) {
        const reply = m.message as WorkerReply;
        if ("fatal" in reply) throw new Error(`bulk: a worker thread failed: ${reply.fatal}`);
        this.inFlight[w]--;
        this.batches.get(reply.batch)?.got.set(reply.chunk, reply.results);
        any = true;
      }
    }
    if (any) this.deal();
    return any;
  }

  /** One job on this thread. */
  private run(job: WorkerJob): void {
    if (this.here === undefined) throw new Error("bulk: job before start");
    const signer = this.here;
    const results = job.paths.map((path, i) => signer.checkAndSign(path, job.serials[i], job.regular[i]));
    this.batches.get(job.batch)?.got.set(job.chunk, results);
  }
}
