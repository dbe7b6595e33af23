import { Asn1, bitString, encode, contextTagged, integer, preEncoded, sequence, time } from "./asn1";
import { childrenOf, readDer, Tag, timeOf, Tlv } from "./der-reader";
import { attributeValuesOf, commonNamesOf } from "./name-reader";
import { OID } from "./oids";
import { keyIdentifier, Signer } from "./signer";
import { MoatError } from "../errors";

/** What goes into one X.509 v3 certificate. */
export interface CertificateFields {
  /** Serial number, big-endian, positive (see serial.ts). */
  readonly serial: Buffer;
  /** The issuer Name, DER, copied from the issuer certificate's subject. */
  readonly issuerName: Buffer;
  /** The subject Name. */
  readonly subjectName: Asn1;
  /** DER SubjectPublicKeyInfo, spliced in unchanged (forge cannot encode EC keys). */
  readonly subjectPublicKeyInfo: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Extension nodes (see extensions.ts). */
  readonly extensions: readonly Asn1[];
}

/**
 * Builds the TBSCertificate with node-forge's ASN.1 layer, signs its exact DER with Node's
 * native crypto and assembles the certificate. Returns the certificate DER.
 */
export function signCertificate(fields: CertificateFields, signer: Signer): Buffer {
  const tbs = encode(
    sequence(
      contextTagged(0, integer(2)), // v3
      integer(fields.serial),
      signer.algorithm,
      preEncoded(fields.issuerName),
      sequence(time(fields.notBefore), time(fields.notAfter)),
      fields.subjectName,
      preEncoded(fields.subjectPublicKeyInfo),
      contextTagged(3, sequence(...fields.extensions)),
    ),
  );
  return signedStructure(tbs, signer);
}

/**
 * SEQUENCE { tbs, signatureAlgorithm, signature }: the shape shared by certificates, CRLs and CSRs.
 * The TBS is spliced as the bytes that were signed, never re-encoded.
 */
export function signedStructure(tbs: Buffer, signer: Signer): Buffer {
  return encode(sequence(preEncoded(tbs), signer.algorithm, bitString(signer.sign(tbs))));
}

/** The pieces of an issuer certificate that go into what it signs. */
export interface IssuerIdentity {
  /** Subject Name DER, copied byte for byte into the issuer field of what it signs. */
  readonly subjectName: Buffer;
  /** Its key identifier, written as the AKI of what it signs. */
  readonly keyId: Buffer;
  readonly notAfter: Date;
}

/** Reads an issuer's identity from its certificate DER. */
export function issuerIdentityOf(certificateDer: Buffer, what: string): IssuerIdentity {
  const { validity, subject, spki } = tbsFieldsOf(certificateDer, what);
  return {
    subjectName: Buffer.from(subject.bytes),
    keyId: keyIdentifier(Buffer.from(spki.bytes)),
    notAfter: timeOf(childrenOf(validity, what)[1], what),
  };
}

/** The subject of a device certificate as AWS IoT reads it for provisioning. */
export interface DeviceSubject {
  /** The thing name. */
  readonly commonName: string;
  /** The device class, or undefined for a certificate issued before classes were written. */
  readonly organizationalUnit?: string;
}

/** Reads CN and OU from a certificate DER; more than one of either is refused. */
export function deviceSubjectOf(certificateDer: Buffer, what: string): DeviceSubject {
  const { subject } = tbsFieldsOf(certificateDer, what);
  const [commonName, ...moreCns] = commonNamesOf(subject, what);
  const [organizationalUnit, ...moreOus] = attributeValuesOf(subject, OID.organizationalUnitName, what);
  if (commonName === undefined || moreCns.length > 0 || moreOus.length > 0) {
    throw new MoatError(`${what}: subject is not one CN and at most one OU; it is not a moat device certificate`);
  }
  return organizationalUnit === undefined ? { commonName } : { commonName, organizationalUnit };
}

function tbsFieldsOf(certificateDer: Buffer, what: string): { validity: Tlv; subject: Tlv; spki: Tlv } {
  const [tbs] = childrenOf(readDer(certificateDer, what, Tag.SEQUENCE), what);
  const fields = childrenOf(tbs, what);
  // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
  const offset = fields[0]?.tag === Tag.CONTEXT_0 ? 1 : 0;
  const validity = fields[offset + 3];
  const subject = fields[offset + 4];
  const spki = fields[offset + 5];
  if (validity === undefined || subject === undefined || spki === undefined)
    throw new MoatError(`${what}: truncated certificate; restore it from backup`);
  return { validity, subject, spki };
}
