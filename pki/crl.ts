import { Asn1, encode, enumerated, contextTagged, integer, preEncoded, sequence, time } from "./asn1";
import { IssuerIdentity, signedStructure } from "./certificate";
import { authorityKeyIdentifier, extension } from "./extensions";
import { REVOCATION_REASONS, RevocationReason } from "./index-journal";
import { OID } from "./oids";
import { Signer } from "./signer";

/** One revoked certificate as listed in a CRL. */
export interface CrlEntry {
  /** Serial, uppercase hex. */
  readonly serial: string;
  readonly revokedAt: Date;
  readonly reason: RevocationReason;
}

/** What goes into one CRL. */
export interface CrlFields {
  readonly issuer: IssuerIdentity;
  readonly entries: readonly CrlEntry[];
  /** Strictly increasing per issuer (RFC 5280 5.2.3). */
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/**
 * An X.509 v2 CRL (RFC 5280 5.1), built with forge's ASN.1 layer (forge has no CRL API) and
 * signed natively. Returns DER.
 */
export function signCrl(fields: CrlFields, signer: Signer): Buffer {
  const tbs: Asn1[] = [
    integer(1), // v2: required once any extension is present
    signer.algorithm,
    preEncoded(fields.issuer.subjectName),
    time(fields.thisUpdate),
    time(fields.nextUpdate),
  ];
  if (fields.entries.length > 0) tbs.push(sequence(...fields.entries.map(revokedCertificate)));
  tbs.push(
    contextTagged(0, sequence(authorityKeyIdentifier(fields.issuer.keyId), extension(OID.cRLNumber, false, integer(fields.crlNumber)))),
  );
  return signedStructure(encode(sequence(...tbs)), signer);
}

function revokedCertificate(entry: CrlEntry): Asn1 {
  const fields = [integer(Buffer.from(entry.serial, "hex")), time(entry.revokedAt)];
  const code = REVOCATION_REASONS[entry.reason];
  // RFC 5280 5.3.1: the reasonCode extension SHOULD be absent rather than say "unspecified".
  if (code !== 0) {
    fields.push(sequence(extension(OID.reasonCode, false, enumerated(code))));
  }
  return sequence(...fields);
}
