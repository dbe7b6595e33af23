import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../core/atomic-file";
import type { IssuingCa } from "./ca";
import { CrlEntry, signCrl } from "./crl";
import { toPem } from "./pem";
import { MoatError } from "../errors";

/** A CRL as written to the store. */
export interface CrlResult {
  readonly crlPem: string;
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/**
 * Signs and writes the issuing CA's CRL with the next CRL number. The number is persisted
 * before the CRL, so a crash between the two skips a number but never reuses one.
 * Called under the store lock (or on a CA still being built).
 */
export function writeCrlFile(ca: IssuingCa, entries: readonly CrlEntry[], thisUpdate: Date, nextUpdate: Date): CrlResult {
  const crlNumber = lastCrlNumber(ca.paths.crlNumber) + 1;
  const der = signCrl({ issuer: ca.identity, entries, crlNumber, thisUpdate, nextUpdate }, ca.signer);
  const crlPem = toPem("X509 CRL", der);
  writeFileAtomic(ca.paths.crlNumber, `${crlNumber}\n`);
  writeFileAtomic(ca.paths.crl, crlPem);
  return { crlPem, crlNumber, thisUpdate, nextUpdate };
}

function lastCrlNumber(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, "utf8").trim();
  if (!/^\d{1,15}$/.test(text))
    throw new MoatError(`CRL number file ${path} holds '${text.slice(0, 20)}', not a number; restore it from backup`);
  return Number(text);
}
