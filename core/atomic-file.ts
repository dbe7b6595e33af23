import { closeSync, copyFileSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** How a file is written. */
export interface AtomicWriteOptions {
  /** File mode; private keys use 0o600. @default 0o644 */
  readonly mode?: number;
  /**
   * fsync the file and its directory so the write survives a power cut. Bulk issuance turns it
   * off for certificate copies (the index journal, synced once per batch, is the record).
   * @default true
   */
  readonly durable?: boolean;
}

/**
 * Writes a file so readers see the old content or the new, never half of either:
 * a temp file in the same directory, fsync, rename over the target, fsync the directory.
 */
export function writeFileAtomic(path: string, data: string | Buffer, options: AtomicWriteOptions = {}): void {
  const durable = options.durable ?? true;
  const temp = tempNameFor(path);
  const fd = openSync(temp, "wx", options.mode ?? 0o644);
  try {
    if (typeof data === "string") writeSync(fd, data);
    else writeSync(fd, data);
    if (durable) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temp, path);
  if (durable) syncDirectory(dirname(path));
}

// Temp names: a random tag per process (a crashed process's leftovers never collide, even
// with a reused pid) and a counter within it (no CSPRNG call per file on the bulk path).
const processTag = `${process.pid}-${randomBytes(6).toString("hex")}`;
let tempCounter = 0;
const tempNameFor = (path: string) => join(dirname(path), `.${basename(path)}.${processTag}.${tempCounter++}.tmp`);

/** fsync a directory so a rename or a new entry in it is durable. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes `target` a second name for the finished file `source`, replacing any old `target`
 * atomically: a hard link (no data written, far cheaper than creating a file on a busy disk),
 * or a copy when the two are on different filesystems. `source` must never change afterwards.
 */
export function publishCopy(source: string, target: string): void {
  const temp = tempNameFor(target);
  try {
    linkSync(source, temp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
    copyFileSync(source, temp);
  }
  renameSync(temp, target);
}

/** Creates `path` with `data`, never replacing a file already there, and makes it durable. */
export function writeNewFile(path: string, data: Buffer, mode = 0o644): void {
  const fd = openSync(path, "wx", mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDirectory(dirname(path));
}
