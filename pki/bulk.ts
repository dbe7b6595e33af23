import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, Stats } from "node:fs";
import { basename, join, resolve } from "node:path";
import { publishCopy, writeFileAtomic } from "../core/atomic-file";
import { loadIssuingCa } from "./ca";
import { checkCsr } from "./csr";
import { checkDeviceClass } from "./device-class";
import { IssuedEvent, readIndex } from "./index-journal";
import { issuedCopyPath, issueLeaves, LeafRequest } from "./issuance";
import { StoreOptions } from "./issue";
import { toPem } from "./pem";
import { DEFAULT_LEAF_DAYS, validityWindow, ValidityOptions } from "./validity";
import { MoatError } from "../errors";

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
}

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
  const files = readdirSync(csrDir)
    .filter((f) => /\.(csr|pem)$/.test(f))
    .sort();
  if (files.length === 0) throw new MoatError(`CSR directory ${csrDir} has no *.csr or *.pem files`);
  const batchSize = options.batchSize ?? 500;
  const ca = loadIssuingCa(options.pkiDir, options.env, options.passphrase);
  const now = options.now ?? new Date();
  const validity = validityWindow(options, DEFAULT_LEAF_DAYS, now, ca.identity.notAfter);

  const done = new Map<string, IssuedEvent>();
  for (const e of readIndex(ca.paths.index)) if (e.event === "issued" && e.csrSha256) done.set(e.csrSha256, e);
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, "chain.pem"), ca.chainPem);

  const refused: { file: string; reason: string }[] = [];
  let issued = 0;
  let skipped = 0;
  for (let start = 0; start < files.length; start += batchSize) {
    // Keyed by CSR hash: the same CSR twice in the directory gets one certificate, in both files.
    const pending = new Map<string, { outs: string[]; request: LeafRequest }>();
    for (const file of files.slice(start, start + batchSize)) {
      const out = join(outDir, `${basename(file).replace(/\.(csr|pem)$/, "")}.cert.pem`);
      try {
        const csr = checkCsr(
          readCsrFile(join(csrDir, file), `make it a readable CSR file or move it out of ${csrDir}, then rerun`),
          join(csrDir, file),
        );
        const earlier = done.get(csr.sha256);
        const queued = pending.get(csr.sha256);
        if (earlier && earlier.deviceClass !== options.deviceClass) {
          throw new MoatError(
            `${join(csrDir, file)}: issued earlier as class '${earlier.deviceClass ?? "(none)"}' (serial ${earlier.serial}), not '${options.deviceClass}'; a rerun never changes a class: revoke that serial and send a new CSR`,
          );
        } else if (earlier) {
          if (!existsSync(out))
            writeFileAtomic(out, toPem("CERTIFICATE", Buffer.from(earlier.certificate, "base64")), { durable: false, mode: 0o444 });
          skipped++;
        } else if (queued) {
          queued.outs.push(out);
          skipped++;
        } else {
          pending.set(csr.sha256, {
            outs: [out],
            request: {
              commonName: csr.thingName,
              subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
              profile: "device",
              deviceClass: options.deviceClass,
              csrSha256: csr.sha256,
              ...validity,
            },
          });
        }
      } catch (err) {
        if (!(err instanceof MoatError)) throw err;
        refused.push({ file, reason: err.message });
      }
    }
    const batch = [...pending.values()];
    // Output files are written after the journal is synced: nothing is handed out unrecorded,
    // and a file lost in a crash is rewritten from the journal by the next run.
    const leaves = issueLeaves(
      ca,
      batch.map((p) => p.request),
      now,
      false,
    );
    leaves.forEach((leaf, i) => {
      for (const out of batch[i].outs) publishCopy(issuedCopyPath(ca, leaf.serial), out);
      done.set(leaf.event.csrSha256 as string, leaf.event);
    });
    issued += leaves.length;
    options.onProgress?.(Math.min(start + batchSize, files.length), files.length);
  }
  return { total: files.length, issued, skipped, refused };
}

/** A CSR is a few kilobytes; anything much larger in the directory is not one and is not read into memory. */
const MAX_CSR_BYTES = 64 * 1024;

/**
 * The text of one CSR file, or a refusal naming it and `remedy`. A path may be a dangling link, a
 * directory, a FIFO (reading blocks for ever), a device (reading never ends) or unreadable:
 * each is the user's to fix, so it must not stop a run whose earlier batches are issued.
 * O_NONBLOCK makes opening a FIFO return at once; fstat on the open descriptor then judges the
 * very file that would be read.
 */
export function readCsrFile(path: string, remedy: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw unreadable(err, path, remedy);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new MoatError(`${path}: is ${fileKind(stats)}, not a CSR file; ${remedy}`);
    if (stats.size > MAX_CSR_BYTES)
      throw new MoatError(`${path}: ${stats.size} bytes is too large for a CSR (at most ${MAX_CSR_BYTES}); ${remedy}`);
    return readFileSync(fd, "utf8");
  } catch (err) {
    throw unreadable(err, path, remedy);
  } finally {
    closeSync(fd);
  }
}

/** A filesystem error on a CSR file as a refusal of that file; anything else is a bug and passes. */
function unreadable(err: unknown, path: string, remedy: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (err instanceof MoatError || typeof code !== "string") return err;
  const hint = code === "ENOENT" ? ": no such file, or a dangling symbolic link" : "";
  return new MoatError(`${path}: cannot be read (${code}${hint}); ${remedy}`);
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  return stats.isFIFO() ? "a FIFO" : "a device or other special file";
}
