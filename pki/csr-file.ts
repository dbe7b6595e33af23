import { closeSync, constants, fstatSync, openSync, readSync, Stats } from "node:fs";
import { MoatError } from "../errors";

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
    // One read into a buffer of the size fstat gave, not readFileSync's second fstat. A size of 0
    // may be a file that does not know its size (procfs): read it to its end, within the limit.
    const bytes = Buffer.allocUnsafe(stats.size === 0 ? MAX_CSR_BYTES + 1 : stats.size);
    let read = 0;
    for (let n = -1; read < bytes.length && n !== 0; read += n) n = readSync(fd, bytes, read, bytes.length - read, read);
    if (read > MAX_CSR_BYTES) throw new MoatError(`${path}: more than ${MAX_CSR_BYTES} bytes is too large for a CSR; ${remedy}`);
    return bytes.toString("utf8", 0, read);
  } catch (err) {
    throw unreadable(err, path, remedy);
  } finally {
    closeSync(fd);
  }
}

/** One read's worth of the largest CSR and a byte more, reused: a thread reads one file at a time. */
let scratch: Buffer | undefined;

/**
 * {@link readCsrFile} for a file the directory listing called regular (bulk): no fstat, one read
 * into a buffer of the largest size allowed, since a short read of a regular file is its end.
 * Anything unexpected (the file replaced meanwhile, too large, a read error) goes through
 * {@link readCsrFile}, which judges the file as it is now and words the refusal.
 */
export function readListedCsrFile(path: string, remedy: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    scratch ??= Buffer.allocUnsafe(MAX_CSR_BYTES + 1);
    const read = readSync(fd, scratch, 0, scratch.length, 0);
    if (read < scratch.length) return scratch.toString("utf8", 0, read);
  } catch {
    // judged again below
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return readCsrFile(path, remedy);
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
