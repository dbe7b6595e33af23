import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { MoatError } from "../errors";

/** What a certificate was issued for. `application`: the lab's application identity (lab.application.name), never a device. */
export type CertificateProfile = "device" | "server" | "verification" | "application";

/** RFC 5280 CRLReason values moat lets an operator choose (certificateHold is not: revocation is final). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

/** Journal line written when a certificate is issued. */
export interface IssuedEvent {
  readonly event: "issued";
  readonly serial: string;
  /** Subject CN. */
  readonly subject: string;
  readonly profile: CertificateProfile;
  /** Device certificates: the class, as written in the subject OU (absent in journals from before classes). */
  readonly deviceClass?: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedAt: string;
  /** SHA-256 of the CSR DER, so a rerun of bulk issuance recognises what it already issued. */
  readonly csrSha256?: string;
  /** The certificate DER in base64: the journal is the durable record, issued/ holds copies. */
  readonly certificate: string;
}

/** Journal line written when a certificate is revoked. */
export interface RevokedEvent {
  readonly event: "revoked";
  readonly serial: string;
  readonly revokedAt: string;
  readonly reason: RevocationReason;
}

export type IndexEvent = IssuedEvent | RevokedEvent;

/** One issued certificate with its current status, as `moat pki list` shows it. */
export interface IssuedCertificate extends Omit<IssuedEvent, "event"> {
  readonly status: "valid" | "expired" | "revoked";
  readonly revokedAt?: string;
  readonly reason?: RevocationReason;
}

/**
 * Reads the journal. A last line without its newline is a write cut short by a crash: the lock
 * holder never finished it, so it is not part of the record and is ignored (the next append
 * truncates it). Any other unreadable line means the file was edited by hand.
 */
export function readIndex(path: string): IndexEvent[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  const events: IndexEvent[] = [];
  complete.split("\n").forEach((line, i) => {
    if (line !== "") events.push(parseLine(line, path, `line ${i + 1}`));
  });
  return events;
}

/**
 * The complete lines appended since byte `offset` (a line end, 0 at first), and the offset after
 * them: a long bulk run follows the journal without re-reading what it has seen. Sound because
 * the journal is append-only and a torn tail, the one thing ever cut off, is never consumed.
 */
export function readIndexFrom(path: string, offset: number): { events: IndexEvent[]; end: number } {
  if (!existsSync(path)) return { events: [], end: offset };
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { events: [], end: offset };
    const bytes = Buffer.alloc(size - offset);
    readSync(fd, bytes, 0, bytes.length, offset);
    const complete = bytes.lastIndexOf(0x0a) + 1;
    const events: IndexEvent[] = [];
    bytes
      .subarray(0, complete)
      .toString("utf8")
      .split("\n")
      .forEach((line, i) => {
        if (line !== "") events.push(parseLine(line, path, offset === 0 ? `line ${i + 1}` : `line ${i + 1} after byte ${offset}`));
      });
    return { events, end: offset + complete };
  } finally {
    closeSync(fd);
  }
}

function parseLine(line: string, path: string, where: string): IndexEvent {
  try {
    const parsed = JSON.parse(line) as IndexEvent;
    if ((parsed.event !== "issued" && parsed.event !== "revoked") || typeof parsed.serial !== "string") throw new Error();
    return parsed;
  } catch {
    throw new MoatError(
      `PKI index ${path} ${where} is not a journal entry; restore the index from backup (it is append-only and never edited by moat)`,
    );
  }
}

/**
 * Appends whole lines in one write and fsyncs them. Called only under the store lock.
 * Appending keeps each issuance O(1) at fleet scale, where rewriting the index would not be.
 */
export function appendIndex(path: string, events: readonly IndexEvent[]): void {
  if (events.length === 0) return;
  const fd = openSync(path, "a+", 0o644);
  try {
    dropTornTail(fd);
    // Each line encoded on its own: joining a batch into one long string first costs several times more.
    writeSync(fd, Buffer.concat(events.map((e) => Buffer.from(JSON.stringify(e) + "\n"))));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function dropTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  // Journal lines are a few KB at most, so the last complete line ends within this tail.
  const tail = Buffer.alloc(Math.min(size, 64 * 1024));
  readSync(fd, tail, 0, tail.length, size - tail.length);
  if (tail[tail.length - 1] === 0x0a) return;
  ftruncateSync(fd, size - tail.length + tail.lastIndexOf(0x0a) + 1);
}

/** Folds the journal into one entry per certificate, in issuance order. */
export function certificatesOf(events: readonly IndexEvent[], now: Date): IssuedCertificate[] {
  const revoked = new Map<string, RevokedEvent>();
  for (const e of events) if (e.event === "revoked") revoked.set(e.serial, e);
  return events
    .filter((e): e is IssuedEvent => e.event === "issued")
    .map(({ event: _event, ...issued }) => {
      const r = revoked.get(issued.serial);
      if (r) return { ...issued, status: "revoked" as const, revokedAt: r.revokedAt, reason: r.reason };
      return { ...issued, status: new Date(issued.notAfter) < now ? ("expired" as const) : ("valid" as const) };
    });
}
