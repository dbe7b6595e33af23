import { chmodSync, chownSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MoatError } from "../errors";

/** The account the lab broker runs as, and so the owner of everything it reads. */
export interface BrokerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Debian's mosquitto package creates this user; Mosquitto drops to it when started as root. */
export const BROKER_USER_NAME = "mosquitto";

/**
 * Who the broker will run as. Started by root, Mosquitto drops to `mosquitto` before it reads
 * the certificates and keys, so they must belong to that user. Started by anyone else it keeps
 * that user's identity, and the files stay theirs.
 */
export function brokerUser(passwdFile = "/etc/passwd"): BrokerUser {
  if (process.getuid?.() !== 0) {
    const uid = process.getuid?.() ?? -1;
    return { name: lookupName(passwdFile, uid) ?? String(uid), uid, gid: process.getgid?.() ?? -1 };
  }
  const entry = readPasswd(passwdFile).find((e) => e.name === BROKER_USER_NAME);
  if (!entry) {
    throw new MoatError(
      `user '${BROKER_USER_NAME}' does not exist, and a broker started as root drops to it; install the broker with 'apt-get install mosquitto' (it creates the user) or run moat lab as a normal user`,
    );
  }
  return entry;
}

/**
 * Makes `dir` and everything in it private to the broker user: directories 0700, files 0600.
 * Nobody else (not even the developer's group) can read the server key, the CRL or the logs.
 */
export function handOver(dir: string, user: BrokerUser): void {
  const asRoot = process.getuid?.() === 0;
  const visit = (path: string) => {
    const isDir = statSync(path).isDirectory();
    if (asRoot) chownSync(path, user.uid, user.gid);
    chmodSync(path, isDir ? 0o700 : 0o600);
    if (isDir) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
}

function readPasswd(passwdFile: string): BrokerUser[] {
  return readFileSync(passwdFile, "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .filter((fields) => fields.length >= 4 && /^\d+$/.test(fields[2]) && /^\d+$/.test(fields[3]))
    .map(([name, , uid, gid]) => ({ name, uid: Number(uid), gid: Number(gid) }));
}

function lookupName(passwdFile: string, uid: number): string | undefined {
  try {
    return readPasswd(passwdFile).find((e) => e.uid === uid)?.name;
  } catch {
    return undefined;
  }
}
