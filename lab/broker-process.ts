import { spawn } from "node:child_process";
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
} from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MoatError } from "../errors";
import { BoundSocket, boundSockets } from "./listening-sockets";
import { BROKER_FILES, LabPaths } from "./lab-paths";
import { LAB_HOST } from "./mosquitto-config";
import { BrokerUser, handOver } from "./broker-user";

/** Debian installs the broker in /usr/sbin, which a normal user's PATH often lacks. */
export const SBIN_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

/** The directories searched for `mosquitto`: PATH, then the sbin directories. */
export function defaultSearchPath(): string[] {
  return [...(process.env.PATH ?? "").split(delimiter).filter((d) => d !== ""), ...SBIN_DIRS];
}

/** Finds the mosquitto binary, or says how to install it. */
export function findMosquitto(searchPath: readonly string[] = defaultSearchPath()): string {
  for (const dir of searchPath) {
    const candidate = join(dir, "mosquitto");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new MoatError(
    `mosquitto is not installed (looked in ${searchPath.join(", ") || "an empty search path"}); install it with 'sudo apt-get install mosquitto'`,
  );
}

/** A lab broker that is running. */
export interface RunningBroker {
  readonly pid: number;
  /** The port recorded at start. */
  readonly port: number;
  /** What the process can be reached on, read from /proc. */
  readonly sockets: readonly BoundSocket[];
}

/**
 * The lab broker of these paths, if its pid file names a live mosquitto process working in this
 * broker directory. A pid file left by a killed broker, or a pid reused by another process, is
 * not taken for the broker: `down` must never signal anything else.
 */
export function runningBroker(paths: LabPaths): RunningBroker | undefined {
  const pid = readPid(paths.pidFile);
  if (pid === undefined || !isOurBroker(pid, paths.brokerDir)) return undefined;
  return { pid, port: recordedPort(paths), sockets: safeSockets(pid) };
}

/** Options of {@link spawnBroker}. */
export interface SpawnOptions {
  readonly mosquitto: string;
  readonly port: number;
  readonly user: BrokerUser;
  /** How long to wait for the listener. @default 10000 */
  readonly timeoutMs?: number;
}

/**
 * Starts Mosquitto in the background on the files in `paths.brokerDir` (its working directory)
 * and resolves once the process listens on the port. Refuses a port already taken, before
 * starting anything. Mosquitto writes its own pid file and log there.
 */
export async function spawnBroker(paths: LabPaths, options: SpawnOptions): Promise<RunningBroker> {
  await assertPortFree(options.port);
  // Errors before Mosquitto opens its log (a bad config line) go to stderr: same file.
  const logFd = openSync(paths.logFile, "a", 0o600);
  handOver(paths.brokerDir, options.user);
  let exit: { code: number | null; signal: string | null } | undefined;
  let pid: number | undefined;
  try {
    const child = spawn(options.mosquitto, ["-c", BROKER_FILES.config], {
      cwd: paths.brokerDir,
      detached: true,
      stdio: ["ignore", logFd, logFd],
    });
    child.on("exit", (code, signal) => (exit = { code, signal }));
    child.on("error", () => (exit = { code: null, signal: null }));
    pid = child.pid;
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    await sleep(25);
    if (exit !== undefined || pid === undefined) {
      throw new MoatError(
        `mosquitto exited at start (${exit?.code ?? exit?.signal ?? "did not start"}): ${startupError(paths.logFile)}; see ${paths.logFile}`,
      );
    }
    // Mosquitto binds before it drops privileges and writes its pid file after: wait for both,
    // so `status` and `down` find the broker as soon as `up` returns.
    const sockets = safeSockets(pid);
    if (sockets.some((s) => s.port === options.port) && readPid(paths.pidFile) === pid) {
      // Mosquitto writes its pid file 0644; the directory is 0700 anyway, but keep one rule for every file.
      handOver(paths.brokerDir, options.user);
      return { pid, port: options.port, sockets };
    }
  }
  if (pid !== undefined) process.kill(pid, "SIGKILL");
  throw new MoatError(
    `mosquitto did not listen on ${LAB_HOST}:${options.port} within ${options.timeoutMs ?? 10_000} ms; see ${paths.logFile}`,
  );
}

/** Stops the broker of these paths (only it: see {@link runningBroker}). Returns its pid, or undefined if none ran. */
export async function stopBroker(paths: LabPaths, timeoutMs = 10_000): Promise<number | undefined> {
  const running = runningBroker(paths);
  if (!running) {
    rmSync(paths.pidFile, { force: true });
    return undefined;
  }
  process.kill(running.pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(running.pid)) {
    if (Date.now() > deadline) {
      process.kill(running.pid, "SIGKILL");
      await sleep(100);
      break;
    }
    await sleep(25);
  }
  // Mosquitto removes its pid file on a clean exit; not after SIGKILL.
  rmSync(paths.pidFile, { force: true });
  return running.pid;
}

/**
 * Asks the broker to re-read its config, ACL and CRL, and resolves once it has: Mosquitto logs
 * "Reloading config." in the main-loop turn that reloads, so any later connection sees the new
 * files. Open sessions stay connected.
 */
export async function signalReload(paths: LabPaths, running: RunningBroker, timeoutMs = 5_000): Promise<void> {
  const offset = fileSize(paths.logFile);
  process.kill(running.pid, "SIGHUP");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(20);
    if (readFrom(paths.logFile, offset).includes("Reloading config")) return;
  }
  throw new MoatError(`the lab broker (pid ${running.pid}) did not log a reload within ${timeoutMs} ms of SIGHUP; see ${paths.logFile}`);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString("utf8");
  } catch {
    return "";
  }
}

function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const text = readFileSync(pidFile, "utf8").trim();
  return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

function isOurBroker(pid: number, brokerDir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    return comm === "mosquitto" && readlinkSync(`/proc/${pid}/cwd`) === realpathSync(brokerDir);
  } catch {
    return false;
  }
}

// A zombie (exited, not yet reaped by its parent) still has a /proc entry but serves nothing.
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function safeSockets(pid: number): BoundSocket[] {
  try {
    return boundSockets(pid);
  } catch {
    return [];
  }
}

function recordedPort(paths: LabPaths): number {
  try {
    return Number(readFileSync(paths.portFile, "utf8").trim());
  } catch {
    return NaN;
  }
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new MoatError(`port ${port} on ${LAB_HOST} is already in use; choose another with --port`) : err),
    );
    server.listen({ port, host: LAB_HOST, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Mosquitto's last error lines ("Error: Unknown configuration variable ...", "Error found at ..."), joined. */
function startupError(logFile: string): string {
  try {
    const lines = readFileSync(logFile, "utf8").trim().split("\n").slice(-5);
    const errors = lines.filter((l) => /error/i.test(l)).map((l) => l.replace(/^\S+: /, ""));
    return (errors.length > 0 ? errors : lines.slice(-1)).join(" ") || "no log output";
  } catch {
    return "no log output";
  }
}
