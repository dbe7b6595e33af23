// What bulk does for one CSR file before the writer decides about it: read, check, verify and
// sign with the serial the writer drew. The same code on a worker thread (bulk-worker.ts) and on
// the writer's own thread (bulk-pool.ts), which does jobs whenever it would wait, and all of them
// below PARALLEL_FROM. Free of node-forge, as is everything it imports: a worker thread loads it
// at its start.
import { KeyObject, sign } from "node:crypto";
import { checkDeviceName } from "./application-name";
import { checkCsr } from "./csr";
import { readCsrFile, readListedCsrFile } from "./csr-file";
import { leafDer, LeafTemplate } from "./leaf-template";
import { MoatError } from "../errors";

/** What every certificate of one run shares, the CA key included. */
export interface BulkSetup {
  readonly key: KeyObject;
  /** The device profile's template for the run's class and validity (issuance.ts leafTemplate). */
  readonly template: LeafTemplate;
  /** Hashes of CSRs issued before the run: checked, never signed again. */
  readonly issuedCsrs: readonly string[];
  /** The remedy every unreadable-file refusal ends with. */
  readonly remedy: string;
}

/** What became of one CSR. */
export type BulkResult =
  | { readonly refused: string }
  | { readonly sha256: string; readonly thingName: string; readonly spki: Uint8Array; readonly der?: Uint8Array };

/** Checks and signs CSR files for one run. */
export class CsrSigner {
  private readonly issued: ReadonlySet<string>;
  private readonly signTbs: (tbs: Buffer) => Buffer;

  constructor(private readonly setup: BulkSetup) {
    this.issued = new Set(setup.issuedCsrs);
    this.signTbs = (tbs) => sign("sha256", tbs, setup.key);
  }

  /**
   * One CSR file's result: its refusal line, or what the writer needs and (unless issued before the
   * run) its certificate. `regular`: the directory listing called it a regular file.
   */
  checkAndSign(path: string, serial: string, regular: boolean): BulkResult {
    try {
      const csr = checkCsr((regular ? readListedCsrFile : readCsrFile)(path, this.setup.remedy), path);
      checkDeviceName(csr.thingName);
      const checked = { sha256: csr.sha256, thingName: csr.thingName, spki: csr.subjectPublicKeyInfo };
      if (this.issued.has(csr.sha256)) return checked;
      const fields = { serial, commonName: csr.thingName, subjectPublicKeyInfo: csr.subjectPublicKeyInfo };
      return { ...checked, der: leafDer(this.setup.template, fields, this.signTbs) };
    } catch (err) {
      if (err instanceof MoatError) return { refused: err.message };
      throw err;
    }
  }
}
