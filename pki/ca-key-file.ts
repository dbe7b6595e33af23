import { createPrivateKey, KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-file";
import { MoatError } from "../errors";

/** How a CA private key is protected on disk. */
export type KeyProtection =
  | { readonly passphrase: string }
  /** Lab/dev only: the key is written in clear (still mode 0600). */
  | { readonly unencrypted: true };

/** A passphrase shorter than this is refused when a CA is created. */
export const MIN_PASSPHRASE_LENGTH = 12;

/** Writes a private key as PKCS#8 PEM, mode 0600: AES-256-CBC encrypted under PBKDF2 unless unencrypted. */
export function writePrivateKey(path: string, key: KeyObject, protection: KeyProtection): void {
  const pem =
    "passphrase" in protection
      ? key.export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: protection.passphrase })
      : key.export({ format: "pem", type: "pkcs8" });
  writeFileAtomic(path, pem, { mode: 0o600 });
}

/** Reads a CA private key, decrypting it with the passphrase when it is encrypted. */
export function readPrivateKey(path: string, passphrase: string | undefined): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch {
    throw new MoatError(`CA key ${path} cannot be read; run 'moat pki init' for this environment or check --pki-dir`);
  }
  const encrypted = pem.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----");
  if (encrypted && passphrase === undefined) {
    throw new MoatError(`CA key ${path} is encrypted and no passphrase was given; set MOAT_CA_PASSPHRASE or pass --passphrase-file`);
  }
  try {
    return createPrivateKey(encrypted ? { key: pem, passphrase } : pem);
  } catch {
    throw encrypted
      ? new MoatError(`CA key ${path}: wrong passphrase (decryption failed); check MOAT_CA_PASSPHRASE or --passphrase-file`)
      : new MoatError(`CA key ${path} is not a readable PKCS#8 private key; restore it from backup`);
  }
}
