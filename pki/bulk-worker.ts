// One worker thread of bulk issuance (see bulk-pool.ts): it reads, checks and verifies CSRs and
// signs their certificates with serials the writer drew (bulk-sign.ts). It writes nothing: the
// writer (the main thread) journals every certificate before any file names it.
import { MessagePort, workerData } from "node:worker_threads";
import { BulkResult, BulkSetup, CsrSigner } from "./bulk-sign";

/** A chunk of one batch: CSR paths and the serial drawn for each. */
export interface WorkerJob {
  readonly batch: number;
  readonly chunk: number;
  readonly paths: readonly string[];
  readonly serials: readonly string[];
  /** Whether the directory listing called each file regular (bulk-sign.ts). */
  readonly regular: readonly boolean[];
}

export type WorkerReply = { readonly batch: number; readonly chunk: number; readonly results: BulkResult[] } | { readonly fatal: string };

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };
let signer: CsrSigner | undefined;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

port.on("message", (message: BulkSetup | WorkerJob | "close") => {
  try {
    if (message === "close") return port.close();
    if ("key" in message) {
      signer = new CsrSigner(message);
      return;
    }
    const s = signer;
    if (s === undefined) throw new Error("bulk worker: job before setup");
    const signed = message.paths.map((path, i) => s.checkAndSign(path, message.serials[i], message.regular[i]));
    // Node's small Buffers are views of a shared 8 KiB pool, and posting a view copies its whole
    // buffer: the job's keys and certificates are copied into one buffer of their own, transferred
    // (one transfer per job, not two per certificate), and each result holds views of it.
    let size = 0;
    for (const result of signed) if (!("refused" in result)) size += result.spki.length + (result.der?.length ?? 0);
    const pack = new Uint8Array(size);
    let at = 0;
    const place = (bytes: Uint8Array) => {
      pack.set(bytes, at);
      at += bytes.length;
      return pack.subarray(at - bytes.length, at);
    };
    const results = signed.map((result): BulkResult => {
      if ("refused" in result) return result;
      return { ...result, spki: place(result.spki), ...(result.der === undefined ? {} : { der: place(result.der) }) };
    });
    reply({ batch: message.batch, chunk: message.chunk, results }, [pack.buffer]);
  } catch (err) {
    reply({ fatal: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
