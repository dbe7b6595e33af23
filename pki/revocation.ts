import { createHash } from "node:crypto";
import type { IssuingCa } from "./ca";
import { loadIssuingCa } from "./ca";
import { CrlResult, writeCrlFile } from "./crl-file";
import { appendIndex, certificatesOf, readIndex, REVOCATION_REASONS, RevocationReason, RevokedEvent } from "./index-journal";
import { StoreOptions } from "./issue";
import { normalizeSerial } from "./serial";
import { withStoreLock } from "./store-lock";
import { daysAfter, wholeSeconds } from "./validity";
import { MoatError } from "../errors";

/** Options of {@link writeCrl}. */
export interface WriteCrlOptions extends StoreOptions {
  /** Days until nextUpdate (config pki.crlValidityDays). @default 7 */
  readonly crlValidityDays?: number;
}

/** Options of {@link revoke}. */
export interface RevokeOptions extends WriteCrlOptions {
  /** Serial in hex, as `moat pki list` prints it (colons and case do not matter). */
  readonly serial: string;
  /** @default "unspecified" */
  readonly reason?: RevocationReason;
}

/** What {@link revoke} did. */
export interface RevokeResult {
  readonly serial: string;
  readonly revokedAt: Date;
  readonly crl: CrlResult;
  /**
   * The certificate's id in AWS IoT Core (lowercase hex SHA-256 of its DER), where just-in-time
   * provisioning registered it. IoT Core does not read CRLs: the registration must be revoked too.
   */
  readonly iotCertificateId: string;
}

/** Revokes a certificate and writes a new CRL in the same locked step. */
export function revoke(options: RevokeOptions): RevokeResult {
  const serial = normalizeSerial(options.serial);
  if (serial === undefined)
    throw new MoatError(`serial '${options.serial}' is not hexadecimal; copy it from 'moat pki list --env ${options.env}'`);
  const reason = options.reason ?? "unspecified";
  if (!(reason in REVOCATION_REASONS)) {
    throw new MoatError(`revocation reason '${reason}' is not one of ${Object.keys(REVOCATION_REASONS).join(", ")}`);
  }
  const ca = loadIssuingCa(options.pkiDir, options.env, options.passphrase);
  const now = options.now ?? new Date();
  return withStoreLock(ca.paths.lock, () => {
    const known = certificatesOf(readIndex(ca.paths.index), now).find((c) => c.serial === serial);
    if (!known)
      throw new MoatError(`serial ${serial} was not issued by the '${options.env}' CA; check it with 'moat pki list --env ${options.env}'`);
    if (known.status === "revoked")
      throw new MoatError(`serial ${serial} (${known.subject}) is already revoked since ${known.revokedAt}; nothing to do`);
    const event: RevokedEvent = { event: "revoked", serial, revokedAt: wholeSeconds(now).toISOString(), reason };
    appendIndex(ca.paths.index, [event]);
    const iotCertificateId = createHash("sha256").update(Buffer.from(known.certificate, "base64")).digest("hex");
    return { serial, revokedAt: new Date(event.revokedAt), crl: crlFromIndex(ca, now, options.crlValidityDays), iotCertificateId };
  });
}

/** Signs a fresh CRL (next CRL number) listing every revoked certificate. */
export function writeCrl(options: WriteCrlOptions): CrlResult {
  const ca = loadIssuingCa(options.pkiDir, options.env, options.passphrase);
  return withStoreLock(ca.paths.lock, () => crlFromIndex(ca, options.now ?? new Date(), options.crlValidityDays));
}

function crlFromIndex(ca: IssuingCa, now: Date, validityDays = 7): CrlResult {
  if (!Number.isInteger(validityDays) || validityDays < 1)
    throw new MoatError(`CRL validity ${validityDays} days is not valid; use a whole number >= 1`);
  const entries = certificatesOf(readIndex(ca.paths.index), now)
    .filter((c) => c.status === "revoked")
    .map((c) => ({ serial: c.serial, revokedAt: new Date(c.revokedAt as string), reason: c.reason as RevocationReason }));
  const thisUpdate = wholeSeconds(now);
  return writeCrlFile(ca, entries, thisUpdate, daysAfter(thisUpdate, validityDays));
}
