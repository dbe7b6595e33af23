import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { MoatError } from "../errors";

/** How long a second issuer waits for the first before giving up. */
const WAIT_MS = 60_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Who holds a lock file: what its holder wrote when it took it. */
interface Holder {
  readonly pid: number;
  /** Absent in locks written before the host was recorded: those are taken to be this host's. */
  readonly host?: string;
}

/**
 * Runs `body` holding an exclusive lock file (O_CREAT|O_EXCL), so two `moat pki` processes never
 * pick serials from the same snapshot of the index nor interleave journal lines.
 *
 * A lock left by a process that was killed (kill -9, power loss) is recovered, so a crashed run
 * resumes by running it again. Recovery is only ever decided under a second lock file,
 * `<lock>.break`, and only after re-reading the lock there and finding its holder, on this host,
 * not running: two waiters that both judged the lock stale cannot delete a fresh lock taken in
 * between, since the later one re-reads and finds a live holder. A lock from another host, or an
 * empty one (its holder between creating and writing it), is never broken.
 */
export function withStoreLock<T>(lockPath: string, body: () => T, waitMs = WAIT_MS): T {
  const deadline = Date.now() + waitMs;
  let delay = 2;
  for (;;) {
    if (tryCreate(lockPath)) break;
    if (isStale(readHolder(lockPath))) breakStaleLock(lockPath);
    else {
      if (Date.now() > deadline) throw lockTimeout(lockPath, waitMs);
      // Short, jittered polls: a holder that issues in a loop frees the lock for only a few
      // milliseconds between certificates, and a slow poller would starve behind it.
      Atomics.wait(sleeper, 0, 0, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 8);
    }
    if (Date.now() > deadline) throw lockTimeout(lockPath, waitMs);
  }
  try {
    return body();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, "wx", 0o600);
    writeSync(fd, `${process.pid} ${hostname()}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return false;
  }
}

function readHolder(lockPath: string): Holder | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath, "utf8");
  } catch {
    return undefined; // released since the create failed
  }
  const match = /^(\d+)(?: (\S+))?\n$/.exec(text);
  return match ? { pid: Number(match[1]), host: match[2] } : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isStale(holder: Holder | undefined): boolean {
  return holder !== undefined && (holder.host === undefined || holder.host === hostname()) && !isRunning(holder.pid);
}

/** Deletes the lock if, re-read under `<lock>.break`, its holder is still this host's and gone. */
function breakStaleLock(lockPath: string): void {
  const breaker = `${lockPath}.break`;
  if (!tryCreate(breaker)) {
    Atomics.wait(sleeper, 0, 0, 2);
    return;
  }
  try {
    if (isStale(readHolder(lockPath))) rmSync(lockPath, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

function lockTimeout(lockPath: string, waitMs: number): MoatError {
  const breaker = readHolder(`${lockPath}.break`);
  if (breaker && isStale(breaker)) {
    return new MoatError(
      `PKI store lock ${lockPath}.break was left by pid ${breaker.pid}, which stopped while recovering a stale lock; if no 'moat pki' is running, delete ${lockPath} and ${lockPath}.break and retry`,
    );
  }
  const holder = readHolder(lockPath);
  const who = holder
    ? `pid ${holder.pid}${holder.host && holder.host !== hostname() ? ` on host ${holder.host}` : ""}`
    : "an unknown process";
  return new MoatError(`PKI store lock ${lockPath} is still held by ${who} after ${waitMs / 1000} s; wait for it to finish and retry`);
}
