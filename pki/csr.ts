import { KeyObject, verify } from "node:crypto";
import { digest } from "./digest";
import { childrenOf, expectTag, oidOf, readDer, Tag, Tlv } from "./der-reader";
import { attributeName, nameAttributesOf, stringValueOf } from "./name-reader";
import { OID } from "./oids";
import { importSubjectPublicKey, SubjectPublicKey } from "./public-key";
import { fromPem } from "./pem";
import { checkThingName } from "./thing-name";
import { MoatError } from "../errors";

/** A CSR that passed every check: only these fields are used, nothing else the device asked for. */
export interface CheckedCsr {
  /** The subject CN, a valid thing name. */
  readonly thingName: string;
  /** DER SubjectPublicKeyInfo exactly as the device sent it. */
  readonly subjectPublicKeyInfo: Buffer;
  /** SHA-256 of the CSR DER, hex. */
  readonly sha256: string;
}

/** Signature algorithms accepted on a CSR: SHA-2 only, no RSA-PSS (IoT Core devices do not use it). */
const SIGNATURE_ALGORITHMS: Record<string, { hash: string; keyType: "rsa" | "ec" }> = {
  [OID.sha256WithRSAEncryption]: { hash: "sha256", keyType: "rsa" },
  [OID.sha384WithRSAEncryption]: { hash: "sha384", keyType: "rsa" },
  [OID.sha512WithRSAEncryption]: { hash: "sha512", keyType: "rsa" },
  [OID.ecdsaWithSHA256]: { hash: "sha256", keyType: "ec" },
  [OID.ecdsaWithSHA384]: { hash: "sha384", keyType: "ec" },
  [OID.ecdsaWithSHA512]: { hash: "sha512", keyType: "ec" },
};

/**
 * Checks a PKCS#10 CSR (PEM) from a device: well-formed DER, a signature that verifies with the
 * CSR's own key (proof of possession; forge's csr.verify() throws on some bad signatures and has
 * no ECDSA, so Node verifies), an accepted key, a subject that is exactly one CN, a valid thing
 * name (no OU, O or other attribute), and no request to be a CA. Every other requested extension is ignored: the
 * device profile decides what the certificate says.
 * CA:TRUE is refused rather than ignored: a device asking to be a CA is hostile or misbuilt,
 * and issuing it anything would hide that from the operator.
 * `what` names the input (a file path) in every error line.
 */
export function checkCsr(pem: string, what: string): CheckedCsr {
  const der = fromPem(pem, ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"], what);
  const outer = childrenOf(readDer(der, what, Tag.SEQUENCE), what);
  if (outer.length !== 3) throw malformed(what, "a CSR has three parts");
  const [info, algorithm, signature] = outer;
  expectTag(info, Tag.SEQUENCE, what);
  const fields = childrenOf(info, what);
  const [version, subject, spki, attributes] = fields;
  if (
    fields.length !== 4 ||
    version.tag !== Tag.INTEGER ||
    version.contents.length !== 1 ||
    version.contents[0] !== 0 ||
    attributes.tag !== Tag.CONTEXT_0
  ) {
    throw malformed(what, "CertificationRequestInfo is not version 1 with attributes");
  }

  const [algorithmId] = childrenOf(algorithm, what);
  if (algorithmId === undefined) throw malformed(what, "empty signature algorithm");
  const algorithmOid = oidOf(algorithmId, what);
  const scheme = SIGNATURE_ALGORITHMS[algorithmOid];
  if (!scheme)
    throw new MoatError(
      `${what}: signature algorithm ${algorithmOid} is not accepted; sign the CSR with SHA-256 and RSA (PKCS#1 v1.5) or ECDSA`,
    );
  const publicKey = importSubjectPublicKey(spki, what);
  checkKey(publicKey, scheme.keyType, what);
  expectTag(signature, Tag.BIT_STRING, what);
  if (signature.contents[0] !== 0 || !verifies(scheme.hash, info.bytes, publicKey.key, signature.contents.subarray(1))) {
    throw new MoatError(
      `${what}: CSR signature does not verify with its own public key; the CSR was altered or corrupted: regenerate it on the device`,
    );
  }

  // One pass over the subject: its CNs (each a string type moat reads) and the first other attribute.
  const names: string[] = [];
  let other: string | undefined;
  for (const attribute of nameAttributesOf(subject, what)) {
    if (attribute.type === OID.commonName) names.push(stringValueOf(attribute, what));
    else other ??= attribute.type;
  }
  if (names.length !== 1)
    throw new MoatError(`${what}: subject has ${names.length} CNs; a device CSR needs exactly one CN, its thing name`);
  checkThingName(names[0], what);
  // The CA alone writes the rest of the subject: an OU here would let a device choose its class.
  if (other !== undefined) {
    throw new MoatError(
      `${what}: subject has ${attributeName(other)} besides the CN; a device CSR's subject must be only its CN (the CA sets the class, OU, itself): regenerate it with -subj "/CN=${names[0]}"`,
    );
  }
  refuseCaRequest(attributes, what);
  return { thingName: names[0], subjectPublicKeyInfo: Buffer.from(spki.bytes), sha256: digest("sha256", der, "hex") };
}

function checkKey(publicKey: SubjectPublicKey, expected: "rsa" | "ec", what: string): void {
  if (publicKey.type !== expected) {
    throw new MoatError(`${what}: key type ${publicKey.type} does not match the signature algorithm (${expected}); regenerate the CSR`);
  }
  if (publicKey.type === "rsa" && publicKey.modulusBits < 2048) {
    throw new MoatError(`${what}: RSA key of ${publicKey.modulusBits} bits is too weak; use RSA 2048 or more, or EC P-256`);
  }
}

function verifies(hash: string, data: Buffer, key: KeyObject, signatureBytes: Buffer): boolean {
  try {
    return verify(hash, data, key, signatureBytes);
  } catch {
    return false; // a malformed ECDSA signature throws instead of returning false
  }
}

function refuseCaRequest(attributes: Tlv, what: string): void {
  for (const attribute of childrenOf(attributes, what)) {
    const [type, values] = childrenOf(attribute, what);
    if (type === undefined || values === undefined || oidOf(type, what) !== OID.extensionRequest) continue;
    for (const extensions of childrenOf(values, what)) {
      for (const ext of childrenOf(extensions, what)) {
        const parts = childrenOf(ext, what);
        if (oidOf(parts[0], what) !== OID.basicConstraints) continue;
        const value = parts[parts.length - 1];
        expectTag(value, Tag.OCTET_STRING, what);
        const constraints = childrenOf(readDer(value.contents, what, Tag.SEQUENCE), what);
        if (constraints[0]?.tag === Tag.BOOLEAN && constraints[0].contents[0] !== 0) {
          throw new MoatError(
            `${what}: CSR requests basicConstraints CA:TRUE; a device certificate can never be a CA: remove the CA extension from the request`,
          );
        }
      }
    }
  }
}

function malformed(what: string, why: string): MoatError {
  return new MoatError(`${what}: not a PKCS#10 certificate request (${why}); create it with 'openssl req -new'`);
}
