import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, statSync, writeSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join, resolve } from "node:path";
import { publishCopy, writeFileAtomic } from "../core/atomic-file";
import { IssuingCa, loadIssuingCa } from "./ca";
import { SignerPool } from "./bulk-pool";
import { BulkSetup } from "./bulk-sign";
import { checkDeviceClass } from "./device-class";
import { appendIndex, IndexEvent, readIndex, readIndexFrom } from "./index-journal";
import { issuedCopyPath, issuedEvent, leafBuilder, LeafRequest, leafTemplate } from "./issuance";
import { newSerial, newSerials } from "./serial";
import { withStoreLock } from "./store-lock";
import { StoreOptions } from "./issue";
import { base64ToPem } from "./pem";
import { DEFAULT_LEAF_DAYS, validityWindow, ValidityOptions } from "./validity";
import { MoatError } from "../errors";

export { readCsrFile } from "./csr-file";

/** Options of {@link bulkIssue}. */
export interface BulkOptions extends StoreOptions, Omit<ValidityOptions, "notBefore" | "notAfter"> {
  /** Directory of CSRs, one per `*.csr` or `*.pem` file. */
  readonly csrDir: string;
  /** Receives `<name>.cert.pem` per CSR `<name>.csr` and `chain.pem`; must differ from csrDir. */
  readonly outDir: string;
  /** The class of every device in the directory, written as each certificate's OU. */
  readonly deviceClass: string;
  /** CSRs signed per lock and per journal fsync. @default 500 */
  readonly batchSize?: number;
  /** Called after each batch. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Worker threads that read, verify and sign beside this thread (0: all in this thread). This
   * thread stays the one writer of the journal and the files, and checks and signs whenever it
   * would otherwise wait for the workers.
   * @default every core but the one this thread uses, when the directory holds at least {@link PARALLEL_FROM} CSRs, else 0
   */
  readonly threads?: number;
}

/** Below this many CSRs, starting worker threads costs more than they save (docs/benchmarks.md). */
export const PARALLEL_FROM = 200;

/** What a bulk run did. */
export interface BulkSummary {
  readonly total: number;
  readonly issued: number;
  /** Already issued by an earlier run (same CSR bytes): not issued again. */
  readonly skipped: number;
  /** CSRs that failed a check, with the one-line reason. */
  readonly refused: { readonly file: string; readonly reason: string }[];
}

/**
 * Issues a certificate of one device class for every CSR in a directory. Resumable: a CSR whose
 * SHA-256 is already in the index is skipped (its certificate is rewritten from the index if the
 * output file is missing), so rerunning after a crash or a refusal issues only what is left; one
 * issued under another class is refused, never re-issued. A refused CSR does not stop the run;
 * it is listed in the summary.
 */
export function bulkIssue(options: BulkOptions): BulkSummary {
  checkDeviceClass(options.deviceClass, "bulk");
  const csrDir = resolve(options.csrDir);
  const outDir = resolve(options.outDir);
  if (csrDir === outDir) throw new MoatError(`--out-dir ${outDir} is the CSR directory; write certificates to a separate directory`);
  if (!existsSync(csrDir)) throw new MoatError(`CSR directory ${csrDir} does not exist`);
  const entries = readdirSync(csrDir, { withFileTypes: true }).filter((e) => /\.(csr|pem)$/.test(e.name));
  const files = entries.map((e) => e.name).sort();
  // The listing's file types come free: a regular file is read without an fstat (csr-file.ts).
  const regular = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  if (files.length === 0) throw new MoatError(`CSR directory ${csrDir} has no *.csr or *.pem files`);
  const batchSize = options.batchSize ?? 500;
  const threads = options.threads ?? (files.length >= PARALLEL_FROM ? availableParallelism() - 1 : 0);
  // Started first: the threads load while the CA key is decrypted and the journal read.
  const pool = new SignerPool(threads);
  try {
    const ca = loadIssuingCa(options.pkiDir, options.env, options.passphrase);
    const now = options.now ?? new Date();
    const validity = validityWindow(options, DEFAULT_LEAF_DAYS, now, ca.identity.notAfter);
    // One read of the journal: what was issued before the run, every serial taken, and where to follow it from.
    const journal = readIndexFrom(ca.paths.index, 0);
    const done = new Map<string, Known>();
    for (const e of journal.events)
      if (e.event === "issued" && e.csrSha256) done.set(e.csrSha256, { serial: e.serial, deviceClass: e.deviceClass });
    mkdirSync(outDir, { recursive: true });
    writeFileAtomic(join(outDir, "chain.pem"), ca.chainPem);
    const run: Run = { options, ca, csrDir, outDir, files, regular, batchSize, now, validity, done, refused: [], issued: 0, skipped: 0 };
    const taken = new Set(journal.events.map((e) => e.serial));
    const setup: BulkSetup = {
      key: ca.signer.privateKey,
      template: leafTemplate(ca.identity, ca.signer, { profile: "device", deviceClass: options.deviceClass, ...validity }),
      issuedCsrs: [...done.keys()],
      remedy: remedyFor(csrDir),
    };
    pool.start(setup);
    issueBatches(run, pool, taken, journal.end);
    return { total: files.length, issued: run.issued, skipped: run.skipped, refused: run.refused };
  } finally {
    pool.close();
  }
}

/** The state of one bulk run. */
interface Run {
  readonly options: BulkOptions;
  readonly ca: IssuingCa;
  readonly csrDir: string;
  readonly outDir: string;
  readonly files: readonly string[];
  /** The files the directory listing called regular. */
  readonly regular: ReadonlySet<string>;
  readonly batchSize: number;
  readonly now: Date;
  readonly validity: { notBefore: Date; notAfter: Date };
  /** Issued CSRs by hash: from the journal at the start, then as this run issues them. */
  readonly done: Map<string, Known>;
  /** Certificates by serial, read from the journal only if a rerun finds a file to restore. */
  certificates?: Map<string, string>;
  readonly refused: { file: string; reason: string }[];
  issued: number;
  skipped: number;
}

/**
 * What a run keeps of an issued certificate: its class, to refuse a change, and its serial, to find
 * its files. Not the certificate: a run of 100,000 CSRs would hold every journal line in memory.
 */
interface Known {
  readonly serial: string;
  readonly deviceClass?: string;
}

/** A checked CSR of this batch that needs a certificate, with every output file that wants it. */
interface Pending {
  readonly outs: string[];
  readonly request: LeafRequest;
  /** The serial drawn for it and the certificate signed with it. */
  serial?: string;
  der?: Buffer;
}

const outPathFor = (run: Run, file: string) => join(run.outDir, `${basename(file).replace(/\.(csr|pem)$/, "")}.cert.pem`);
const remedyFor = (csrDir: string) => `make it a readable CSR file or move it out of ${csrDir}, then rerun`;

/**
 * The writer's decision for one checked CSR: skip it (issued earlier: its output file is
 * restored from the journal if missing), share a certificate queued in this batch, refuse it
 * (issued earlier under another class), or queue it.
 */
function admit(
  run: Run,
  pending: Map<string, Pending>,
  file: string,
  csr: { sha256: string; thingName: string; spki: Buffer },
): Pending | undefined {
  const out = outPathFor(run, file);
  const earlier = run.done.get(csr.sha256);
  const queued = pending.get(csr.sha256);
  if (earlier && earlier.deviceClass !== run.options.deviceClass) {
    throw new MoatError(
      `${join(run.csrDir, file)}: issued earlier as class '${earlier.deviceClass ?? "(none)"}' (serial ${earlier.serial}), not '${run.options.deviceClass}'; a rerun never changes a class: revoke that serial and send a new CSR`,
    );
  } else if (earlier) {
    restoreFiles(run, earlier.serial, out);
    run.skipped++;
  } else if (queued) {
    queued.outs.push(out);
    run.skipped++;
  } else {
    const entry: Pending = {
      outs: [out],
      request: {
        commonName: csr.thingName,
        subjectPublicKeyInfo: csr.spki,
        profile: "device",
        deviceClass: run.options.deviceClass,
        csrSha256: csr.sha256,
        ...run.validity,
      },
    };
    pending.set(csr.sha256, entry);
    return entry;
  }
  return undefined;
}

/**
 * A run killed between its journal line and its files left some of them out, or its issued/ copy
 * empty (killed between creating and writing it, see {@link publishIssued}): the copy comes back
 * from the journal, and the output file is linked to it.
 */
function restoreFiles(run: Run, serial: string, out: string): void {
  const copy = issuedCopyPath(run.ca, serial);
  if (!statSync(copy, { throwIfNoEntry: false })?.size)
    writeFileAtomic(copy, base64ToPem("CERTIFICATE", certificateOf(run, serial)), { durable: false, mode: 0o444 });
  if (!existsSync(out)) publishCopy(copy, out);
}

/** A journaled certificate's base64 DER: the journal is read once, on the first file to restore. */
function certificateOf(run: Run, serial: string): string {
  if (run.certificates === undefined) {
    run.certificates = new Map();
    for (const e of readIndex(run.ca.paths.index)) if (e.event === "issued") run.certificates.set(e.serial, e.certificate);
  }
  const certificate = run.certificates.get(serial);
  if (certificate === undefined) throw new Error(`bulk: serial ${serial} is not in the journal ${run.ca.paths.index}`);
  return certificate;
}

function refuse(run: Run, file: string, err: unknown): void {
  if (!(err instanceof MoatError)) throw err;
  run.refused.push({ file, reason: err.message });
}

/** A Uint8Array posted from a worker as a Buffer over the same bytes (no copy). */
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Worker threads and this thread read, verify and sign (bulk-pool.ts); this thread is the one
 * writer. It draws every serial before the CSR goes out (against the journal and every serial
 * of the run), and batch k+1 is out with the workers while batch k is journaled and written. Under the store lock it reads
 * what other processes appended since it last looked; a serial one of them took meanwhile is
 * drawn again and that certificate re-signed here. Then the journal lines are appended and
 * fsynced, and only then are the issued/ copies and output files written: a kill at any point
 * leaves either no record and no file, or a record whose files the next run restores.
 */
function issueBatches(run: Run, signing: SignerPool, taken: Set<string>, journalEnd: number): void {
  const { files, batchSize, csrDir, ca } = run;
  let tail: { events: IndexEvent[]; end: number } = { events: [], end: journalEnd };
  const build = leafBuilder(ca.identity, ca.signer);
  const submit = (start: number) => {
    const slice = files.slice(start, start + batchSize);
    const serials = newSerials(slice.length, taken);
    signing.submit(
      start,
      slice.map((f) => join(csrDir, f)),
      serials,
      slice.map((f) => run.regular.has(f)),
    );
    return serials;
  };
  mkdirSync(ca.paths.issuedDir, { recursive: true, mode: 0o700 });
  let serials = submit(0);
  for (let start = 0; start < files.length; start += batchSize) {
    const slice = files.slice(start, start + batchSize);
    const nextSerials = start + batchSize < files.length ? submit(start + batchSize) : [];
    const results = signing.collect(start);
    const pending = new Map<string, Pending>();
    results.forEach((result, i) => {
      try {
        if ("refused" in result) throw new MoatError(result.refused);
        const entry = admit(run, pending, slice[i], {
          sha256: result.sha256,
          thingName: result.thingName,
          spki: asBuffer(result.spki),
        });
        if (entry === undefined) return;
        entry.serial = serials[i];
        // Workers sign nothing issued before the run, which admit() never queues; signing here keeps that an optimisation.
        entry.der = result.der === undefined ? build(entry.request, serials[i]) : asBuffer(result.der);
      } catch (err) {
        refuse(run, slice[i], err);
      }
    });
    const batch = [...pending.values()];
    const issuedAt = run.now.toISOString();
    const events = withStoreLock(ca.paths.lock, () => {
      tail = readIndexFrom(ca.paths.index, tail.end);
      const theirs = new Set(tail.events.map((e) => e.serial));
      for (const serial of theirs) taken.add(serial);
      for (const entry of batch) {
        if (!theirs.has(entry.serial as string)) continue;
        entry.serial = newSerial(taken);
        taken.add(entry.serial);
        entry.der = build(entry.request, entry.serial);
      }
      const lines = batch.map((entry) => issuedEvent(entry.request, entry.serial as string, entry.der as Buffer, issuedAt));
      appendIndex(ca.paths.index, lines);
      tail = { events: [], end: statSync(ca.paths.index).size };
      return lines;
    });
    batch.forEach((entry, i) => {
      publishIssued(issuedCopyPath(ca, entry.serial as string), base64ToPem("CERTIFICATE", events[i].certificate), entry.outs);
      run.done.set(entry.request.csrSha256 as string, { serial: entry.serial as string, deviceClass: entry.request.deviceClass });
    });
    run.issued += batch.length;
    run.options.onProgress?.(Math.min(start + batchSize, files.length), files.length);
    serials = nextSerials;
  }
}

/**
 * Writes a journaled certificate's issued/ copy and links each output file to it, in the fewest
 * file system calls: the copy is created and written in one write (never replacing a file), then
 * linked as each output, so no output is ever seen before its bytes. A kill between creating the
 * copy and writing it leaves it empty, and one after leaves outputs missing: the next run restores
 * both from the journal (restoreFiles). A copy already there (a stray file: serials are never
 * reused), an output already there (a rerun) or on another filesystem takes the slower atomic replace.
 */
function publishIssued(copy: string, pem: string, outs: readonly string[]): void {
  let fd: number | undefined;
  try {
    fd = openSync(copy, "wx", 0o444);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    writeFileAtomic(copy, pem, { durable: false, mode: 0o444 });
  }
  if (fd !== undefined) {
    try {
      writeSync(fd, pem);
    } finally {
      closeSync(fd);
    }
  }
  for (const out of outs) {
    try {
      linkSync(copy, out);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" && code !== "EXDEV") throw err;
      publishCopy(copy, out);
    }
  }
}
