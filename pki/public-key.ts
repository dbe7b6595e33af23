import { createPublicKey, KeyObject } from "node:crypto";
import { childrenOf, expectTag, oidOf, readDer, Tag, Tlv } from "./der-reader";
import { OID } from "./oids";
import { MoatError } from "../errors";

/** A device public key read from a SubjectPublicKeyInfo. */
export type SubjectPublicKey =
  | { readonly type: "ec"; readonly curve: "P-256" | "P-384"; readonly key: KeyObject }
  | { readonly type: "rsa"; readonly modulusBits: number; readonly key: KeyObject };

const CURVES: Record<string, { name: "P-256" | "P-384"; size: number }> = {
  [OID.prime256v1]: { name: "P-256", size: 32 },
  [OID.secp384r1]: { name: "P-384", size: 48 },
};

/**
 * Imports a CSR's public key through JWK rather than SPKI DER: OpenSSL 3's DER decoder framework
 * makes the DER import the slowest step of bulk issuance (figures in docs/benchmarks.md). The JWK
 * import still checks an EC point is on the curve.
 * Only the key types AWS IoT accepts for devices are read; anything else is refused.
 */
export function importSubjectPublicKey(spki: Tlv, what: string): SubjectPublicKey {
  const [algorithm, bits] = childrenOf(spki, what);
  if (algorithm === undefined || bits === undefined) throw new MoatError(`${what}: malformed public key; regenerate the CSR`);
  expectTag(bits, Tag.BIT_STRING, what);
  const [algorithmOid, parameters] = childrenOf(algorithm, what);
  const keyAlgorithm = oidOf(algorithmOid, what);
  const body = bits.contents.subarray(1);
  try {
    if (keyAlgorithm === OID.ecPublicKey) {
      const curveOid = parameters?.tag === Tag.OID ? oidOf(parameters, what) : "explicit parameters";
      const curve = CURVES[curveOid];
      if (!curve)
        throw new MoatError(`${what}: EC curve ${curveName(curveOid)} is not accepted by AWS IoT; use P-256 (prime256v1) or P-384`);
      if (body.length !== 1 + 2 * curve.size || body[0] !== 0x04)
        throw new MoatError(`${what}: EC public key is not an uncompressed ${curve.name} point; regenerate the CSR with openssl`);
      const x = body.subarray(1, 1 + curve.size).toString("base64url");
      const y = body.subarray(1 + curve.size).toString("base64url");
      return { type: "ec", curve: curve.name, key: createPublicKey({ key: { kty: "EC", crv: curve.name, x, y }, format: "jwk" }) };
    }
    if (keyAlgorithm === OID.rsaEncryption) {
      const [n, e] = childrenOf(readDer(body, what, Tag.SEQUENCE), what);
      expectTag(n, Tag.INTEGER, what);
      expectTag(e, Tag.INTEGER, what);
      const modulus = stripSign(n.contents);
      const key = createPublicKey({
        key: { kty: "RSA", n: modulus.toString("base64url"), e: stripSign(e.contents).toString("base64url") },
        format: "jwk",
      });
      return { type: "rsa", modulusBits: (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0])), key };
    }
  } catch (err) {
    if (err instanceof MoatError) throw err;
    throw new MoatError(
      `${what}: the CSR's public key is invalid (${(err as Error).message}); generate the key with a standard tool (openssl genpkey)`,
    );
  }
  throw new MoatError(`${what}: public key algorithm ${keyAlgorithm} is not accepted; use EC P-256 (preferred), P-384 or RSA 2048+`);
}

const stripSign = (int: Buffer) => (int.length > 1 && int[0] === 0 ? int.subarray(1) : int);

const curveName = (oid: string) => (oid === "1.3.132.0.35" ? "secp521r1" : oid);
