import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { MoatError } from "../errors";

/** How long a second issuer waits for the first before giving up. */
const WAIT_MS = 60_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `body` holding an exclusive lock file (O_CREAT|O_EXCL), so two `moat pki` processes never
 * pick serials from the same snapshot of the index nor interleave journal lines.
 * A stale lock (its process gone) is NOT broken automatically: two waiters could both decide it
 * is stale and one would delete the other's fresh lock. The error says how to clear it.
 */
export function withStoreLock<T>(lockPath: string, body: () => T, waitMs = WAIT_MS): T {
  const deadline = Date.now() + waitMs;
  let delay = 2;
  for (;;) {
    try {
      const fd = openSync(lockPath, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (Date.now() > deadline) throw lockTimeout(lockPath, waitMs);
      // Short, jittered polls: a holder that issues in a loop frees the lock for only a few
      // milliseconds between certificates, and a slow poller would starve behind it.
      Atomics.wait(sleeper, 0, 0, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 8);
    }
  }
  try {
    return body();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function lockTimeout(lockPath: string, waitMs: number): MoatError {
  let holder = "an unknown process";
  try {
    const pid = Number(readFileSync(lockPath, "utf8").trim());
    holder = `pid ${pid}`;
    process.kill(pid, 0);
  } catch {
    return new MoatError(
      `PKI store lock ${lockPath} is held by ${holder}, which is not running; if no 'moat pki' is running, delete the lock file and retry`,
    );
  }
  return new MoatError(`PKI store lock ${lockPath} is still held by ${holder} after ${waitMs / 1000} s; wait for it to finish and retry`);
}
