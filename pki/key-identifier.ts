import { digest } from "./digest";
import { childrenOf, expectTag, readDer, Tag } from "./der-reader";

/**
 * The key identifier of RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value.
 * The same function gives a certificate's SKI and, from the issuer's key, its AKI.
 */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const [, subjectPublicKey] = childrenOf(readDer(spkiDer, "public key", Tag.SEQUENCE), "public key");
  expectTag(subjectPublicKey, Tag.BIT_STRING, "public key");
  return digest("sha1", subjectPublicKey.contents.subarray(1), "buffer");
}
