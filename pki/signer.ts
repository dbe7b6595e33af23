import { generateKeyPairSync, KeyObject, sign } from "node:crypto";
import { Asn1, encode, nullValue, oid, sequence } from "./asn1";
import { OID } from "./oids";

export { keyIdentifier } from "./key-identifier";

/** CA key types. P-256 is the default: IoT Core accepts it and devices handle it best. */
export type KeyType = "p256" | "rsa2048" | "rsa3072";

/** Every supported CA key type, for validation and help text. */
export const KEY_TYPES: readonly KeyType[] = ["p256", "rsa2048", "rsa3072"];

/** A fresh key pair of the given type, from Node's native crypto. */
export function generateKeyPair(keyType: KeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  return keyType === "p256"
    ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : generateKeyPairSync("rsa", { modulusLength: keyType === "rsa2048" ? 2048 : 3072, publicExponent: 65537 });
}

/** Signs with a private key; node-forge has no ECDSA and signs RSA in pure JS, so Node does it. */
export interface Signer {
  /** The signatureAlgorithm AlgorithmIdentifier written into certificates and CRLs. */
  readonly algorithm: Asn1;
  /** Signature over `data` in the form X.509 expects (DER ECDSA-Sig-Value or PKCS#1 v1.5). */
  sign(data: Buffer): Buffer;
  /** The key itself, handed in memory to bulk issuance's worker threads (never written or logged). */
  readonly privateKey: KeyObject;
}

/** A SHA-256 signer for an EC or RSA private key. */
export function signerFor(privateKey: KeyObject): Signer {
  const type = privateKey.asymmetricKeyType;
  if (type !== "ec" && type !== "rsa") throw new Error(`unsupported CA key type ${type}`);
  // RFC 5758: ECDSA AlgorithmIdentifiers have NO parameters; RFC 4055: RSA ones carry NULL.
  const algorithm = type === "ec" ? sequence(oid(OID.ecdsaWithSHA256)) : sequence(oid(OID.sha256WithRSAEncryption), nullValue());
  encode(algorithm); // fail here, not mid-issuance, if the node is malformed
  return { algorithm, sign: (data) => sign("sha256", data, privateKey), privateKey };
}

/** DER SubjectPublicKeyInfo of a public key. */
export const spkiOf = (publicKey: KeyObject): Buffer => publicKey.export({ format: "der", type: "spki" });
