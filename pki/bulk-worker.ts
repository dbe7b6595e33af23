// One worker thread of bulk issuance (see bulk-pool.ts): it reads, checks and verifies CSRs and
// signs their certificates with serials the writer drew. It writes nothing: the writer (the
// main thread) journals every certificate before any file names it.
import { KeyObject } from "node:crypto";
import { MessagePort, workerData } from "node:worker_threads";
import { checkCsr } from "./csr";
import { readCsrFile } from "./csr-file";
import { extensionsFor, leafCertificate, LeafRequest } from "./issuance";
import { signerFor } from "./signer";
import { MoatError } from "../errors";

/** Sent once, first: what every certificate of the run shares. */
export interface WorkerSetup {
  readonly key: KeyObject;
  readonly issuerName: Uint8Array;
  readonly issuerKeyId: Uint8Array;
  readonly deviceClass: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** Hashes of CSRs issued before the run: checked, never signed again. */
  readonly issuedCsrs: readonly string[];
  /** The remedy every unreadable-file refusal ends with. */
  readonly remedy: string;
}

/** A chunk of one batch: CSR paths and the serial drawn for each. */
export interface WorkerJob {
  readonly batch: number;
  readonly chunk: number;
  readonly paths: readonly string[];
  readonly serials: readonly string[];
}

/** What became of one CSR. */
export type WorkerResult =
  | { readonly refused: string }
  | { readonly sha256: string; readonly thingName: string; readonly spki: Uint8Array; readonly der?: Uint8Array };

export type WorkerReply = { readonly batch: number; readonly chunk: number; readonly results: WorkerResult[] } | { readonly fatal: string };

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };
let setup: WorkerSetup | undefined;
let sign: ((request: LeafRequest, serial: string) => Buffer) | undefined;
let issued: Set<string>;

function reply(message: WorkerReply): void {
  port.postMessage(message);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

port.on("message", (message: WorkerSetup | WorkerJob | "close") => {
  try {
    if (message === "close") return port.close();
    if ("key" in message) {
      setup = message;
      const signer = signerFor(message.key);
      const issuer = { subjectName: Buffer.from(message.issuerName) };
      const extensions = extensionsFor(Buffer.from(message.issuerKeyId));
      sign = (request, serial) => leafCertificate(issuer, signer, extensions, request, serial);
      issued = new Set(message.issuedCsrs);
      return;
    }
    if (setup === undefined || sign === undefined) throw new Error("bulk worker: job before setup");
    const s = setup;
    const results = message.paths.map((path, i): WorkerResult => {
      try {
        const csr = checkCsr(readCsrFile(path, s.remedy), path);
        const base = { sha256: csr.sha256, thingName: csr.thingName, spki: csr.subjectPublicKeyInfo };
        if (issued.has(csr.sha256)) return base;
        const request: LeafRequest = {
          commonName: csr.thingName,
          subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
          profile: "device",
          deviceClass: s.deviceClass,
          csrSha256: csr.sha256,
          notBefore: new Date(s.notBefore),
          notAfter: new Date(s.notAfter),
        };
        return { ...base, der: sign!(request, message.serials[i]) };
      } catch (err) {
        if (err instanceof MoatError) return { refused: err.message };
        throw err;
      }
    });
    reply({ batch: message.batch, chunk: message.chunk, results });
  } catch (err) {
    reply({ fatal: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
