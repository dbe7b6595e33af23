import { existsSync, readFileSync } from "node:fs";
import { childrenOf, oidOf, readDer, Tag, timeOf, Tlv } from "./der-reader";
import { OID } from "./oids";
import { certificatesOf, IssuedCertificate, readIndex } from "./index-journal";
import { pkiPaths } from "./paths";
import { fromPem } from "./pem";
import { MoatError } from "../errors";

/** Which store to read; no passphrase is needed to read public data. */
export interface ReadStoreOptions {
  readonly pkiDir: string;
  readonly env: string;
  /** @default the current time */
  readonly now?: Date;
}

/** Every certificate the environment's CA issued, with status, in issuance order. */
export function listIssued(options: ReadStoreOptions): IssuedCertificate[] {
  const paths = pkiPaths(options.pkiDir, options.env);
  if (!existsSync(paths.issuingCert))
    throw new MoatError(
      `no CA for environment '${options.env}' in ${paths.envDir}; run 'moat pki init --env ${options.env}' first (or check --pki-dir)`,
    );
  return certificatesOf(readIndex(paths.index), options.now ?? new Date());
}

/** The current CRL's dates, and whether brokers are about to refuse every client because of it. */
export interface CrlStatus {
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** nextUpdate has passed: Mosquitto refuses every client until a new CRL is deployed. */
  readonly expired: boolean;
  /** nextUpdate is within `warnDays`. */
  readonly expiresSoon: boolean;
}

/** Reads the store's CRL. `warnDays` defines "soon". @default 2 */
export function crlStatus(options: ReadStoreOptions & { readonly warnDays?: number }): CrlStatus {
  const paths = pkiPaths(options.pkiDir, options.env);
  if (!existsSync(paths.crl)) throw new MoatError(`no CRL at ${paths.crl}; run 'moat pki crl --env ${options.env}'`);
  const what = `CRL ${paths.crl}`;
  const [tbs] = childrenOf(readDer(fromPem(readFileSync(paths.crl, "utf8"), ["X509 CRL"], what), what, Tag.SEQUENCE), what);
  // TBSCertList: version, signature, issuer, thisUpdate, nextUpdate, [revoked], [0] extensions
  const fields = childrenOf(tbs, what);
  const thisUpdate = timeOf(fields[3], what);
  const nextUpdate = timeOf(fields[4], what);
  const now = options.now ?? new Date();
  const warnMs = (options.warnDays ?? 2) * 24 * 60 * 60 * 1000;
  return {
    crlNumber: crlNumberOf(fields[fields.length - 1], what),
    thisUpdate,
    nextUpdate,
    expired: nextUpdate <= now,
    expiresSoon: nextUpdate.getTime() - now.getTime() <= warnMs,
  };
}

function crlNumberOf(extensionsField: Tlv, what: string): number {
  if (extensionsField.tag === Tag.CONTEXT_0) {
    for (const ext of childrenOf(childrenOf(extensionsField, what)[0], what)) {
      const parts = childrenOf(ext, what);
      if (oidOf(parts[0], what) !== OID.cRLNumber) continue;
      const value = readDer(parts[parts.length - 1].contents, what, Tag.INTEGER).contents;
      return value.length <= 6 ? value.readUIntBE(0, value.length) : Number.MAX_SAFE_INTEGER;
    }
  }
  throw new MoatError(`${what}: has no CRL number; regenerate it with 'moat pki crl'`);
}
