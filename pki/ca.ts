import { randomBytes, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { encode } from "./asn1";
import { syncDirectory, writeFileAtomic, writeNewFile } from "../core/atomic-file";
import { readPrivateKey, writePrivateKey, KeyProtection, MIN_PASSPHRASE_LENGTH } from "./ca-key-file";
import { IssuerIdentity, issuerIdentityOf, signCertificate } from "./certificate";
import { distinguishedName } from "./distinguished-name";
import { authorityKeyIdentifier, basicConstraints, keyUsage, KeyUsage, subjectKeyIdentifier } from "./extensions";
import { PkiPaths, pkiPaths, storeLayout } from "./paths";
import { toPem } from "./pem";
import { writeCrlFile } from "./crl-file";
import { newSerial } from "./serial";
import { generateKeyPair, keyIdentifier, KEY_TYPES, KeyType, Signer, signerFor, spkiOf } from "./signer";
import { daysAfter, validityWindow } from "./validity";
import { MoatError } from "../errors";
import { reasonProblem } from "../core/reason";

/** Options of {@link initCa}. */
export interface InitCaOptions {
  /** The PKI store directory (`--pki-dir`). */
  readonly pkiDir: string;
  /** Environment name: one CA hierarchy per environment. */
  readonly env: string;
  /** @default "p256" */
  readonly keyType?: KeyType;
  /** Encrypts both CA keys (PKCS#8, AES-256). Required unless `unencryptedDevKey`. */
  readonly passphrase?: string;
  /** Lab/dev only: write the CA keys unencrypted. The result carries a warning. @default false */
  readonly unencryptedDevKey?: boolean;
  /** @default 7 */
  readonly crlValidityDays?: number;
  /**
   * Write the root CA key (encrypted like the issuing key) to this new file, outside the store,
   * instead of into the store: it signs nothing but a new issuing CA, so it can be kept offline
   * and a copy of the store (where the issuing key signs every day) does not carry it.
   * @default the store's `ca/root.key`
   */
  readonly rootKeyOut?: string;
  /**
   * Why the root CA key stays in the store (no `rootKeyOut`): recorded beside it in
   * `ca/root.key.reason`, so whoever audits the store reads the decision and its date. The CLI
   * requires either this or `rootKeyOut` for an environment without `pki.allowLocalKeys`.
   */
  readonly rootKeyInStoreReason?: string;
  /** @default the current time */
  readonly now?: Date;
}

/** What {@link initCa} made. */
export interface InitCaResult {
  readonly paths: PkiPaths;
  readonly rootSerial: string;
  readonly issuingSerial: string;
  readonly crlNextUpdate: Date;
  /** Lines the CLI prints to stderr (the unencrypted-key warning). */
  readonly warnings: string[];
  /** Where the root CA key is: the store's `ca/root.key`, or `rootKeyOut`. */
  readonly rootKeyFile: string;
}

const ROOT_DAYS = 20 * 365;
const ISSUING_DAYS = 10 * 365;

/**
 * Creates an environment's CA: an offline-style root (pathLen 1) and an issuing CA (pathLen 0)
 * with the first CRL. The whole environment directory is built beside the store and renamed into
 * place, so a crash leaves no half CA and an existing CA can never be overwritten.
 */
export function initCa(options: InitCaOptions): InitCaResult {
  const paths = pkiPaths(options.pkiDir, options.env);
  const keyType = options.keyType ?? "p256";
  if (!KEY_TYPES.includes(keyType)) throw new MoatError(`key type '${keyType}' is not supported; use one of ${KEY_TYPES.join(", ")}`);
  const protection = keyProtection(options);
  if (existsSync(paths.envDir) && readdirSync(paths.envDir).length > 0) {
    throw new MoatError(
      `a CA for environment '${options.env}' already exists in ${paths.envDir}; init never overwrites a CA: use another --pki-dir or move the old one away yourself`,
    );
  }
  const rootKeyOut = options.rootKeyOut === undefined ? undefined : checkedRootKeyOut(options.rootKeyOut, options.pkiDir);
  const inStoreReason = checkedInStoreReason(options.rootKeyInStoreReason, rootKeyOut);
  const now = options.now ?? new Date();
  mkdirSync(dirname(paths.envDir), { recursive: true, mode: 0o700 });
  const staging = join(dirname(paths.envDir), `.${options.env}.init-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const staged = storeLayout(staging);
    const result = buildCa(staged, keyType, protection, now, options.crlValidityDays ?? 7, options.env);
    // The root key leaves the staged CA before the CA is put in place, so a failure at any step
    // leaves either no CA and no key file, or both.
    if (rootKeyOut !== undefined) {
      writeNewFile(rootKeyOut, readFileSync(staged.rootKey), 0o600);
      rmSync(staged.rootKey);
    }
    if (inStoreReason !== undefined) {
      writeNewFile(
        rootKeyReasonFile(staged),
        Buffer.from(`The root CA key of '${options.env}' is kept in this store, decided ${now.toISOString()}:\n${inStoreReason}\n`),
        0o600,
      );
    }
    try {
      renameSync(staging, paths.envDir);
    } catch (err) {
      if (rootKeyOut !== undefined) rmSync(rootKeyOut, { force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST")
        throw new MoatError(
          `a CA for environment '${options.env}' was created in ${paths.envDir} while this one was being made; init never overwrites a CA`,
        );
      throw err;
    }
    syncDirectory(dirname(paths.envDir));
    const warnings =
      "unencrypted" in protection
        ? [
            `WARNING: the CA keys in ${dirname(paths.rootKey)}${rootKeyOut ? ` and ${rootKeyOut}` : ""} are NOT encrypted (lab/dev only); never use this CA for production devices`,
          ]
        : [];
    return { ...result, paths, warnings, rootKeyFile: rootKeyOut ?? paths.rootKey };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** `rootKeyOut`, absolute: a new file outside the store, in a directory that exists. */
function checkedRootKeyOut(file: string, pkiDir: string): string {
  const out = resolve(file);
  const inStore = relative(resolve(pkiDir), out);
  if (inStore === "" || (!inStore.startsWith("..") && !isAbsolute(inStore))) {
    throw new MoatError(`--root-key-out ${file} is inside the PKI store ${pkiDir}; give a path outside it, such as removable media`);
  }
  if (existsSync(out)) throw new MoatError(`--root-key-out ${file} already exists; init never overwrites a key: give a new file name`);
  if (!existsSync(dirname(out))) throw new MoatError(`--root-key-out ${file}: directory ${dirname(out)} does not exist; create it first`);
  return out;
}

/** `ca/root.key.reason`: why an environment's root CA key was left in the store. */
export function rootKeyReasonFile(paths: PkiPaths): string {
  return `${paths.rootKey}.reason`;
}

/** The reason, trimmed: a sentence, and only where the key does stay in the store. */
function checkedInStoreReason(reason: string | undefined, rootKeyOut: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  if (rootKeyOut !== undefined)
    throw new MoatError(
      "--root-key-in-store and --root-key-out contradict each other; give one: the root key goes either to FILE or into the store",
    );
  const problem = reasonProblem(reason);
  if (problem)
    throw new MoatError(
      `--root-key-in-store ${JSON.stringify(reason)} ${problem}, such as "single-operator test account, CA discarded after the pilot"`,
    );
  return reason.trim();
}

function keyProtection(options: InitCaOptions): KeyProtection {
  if (options.unencryptedDevKey) return { unencrypted: true };
  if (options.passphrase === undefined) {
    throw new MoatError("no CA passphrase: set MOAT_CA_PASSPHRASE or pass --passphrase-file (the CA keys are stored encrypted)");
  }
  if (options.passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new MoatError(`CA passphrase is ${options.passphrase.length} characters; use at least ${MIN_PASSPHRASE_LENGTH}`);
  }
  return { passphrase: options.passphrase };
}

function buildCa(paths: PkiPaths, keyType: KeyType, protection: KeyProtection, now: Date, crlValidityDays: number, env: string) {
  for (const dir of [dirname(paths.rootCert), paths.issuedDir, paths.awsDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const root = generateKeyPair(keyType);
  const rootSpki = spkiOf(root.publicKey);
  const rootName = distinguishedName({ organization: "moat", commonName: `moat ${env} root CA` });
  const rootSigner = signerFor(root.privateKey);
  const rootSerial = newSerial(new Set());
  const rootValidity = validityWindow({}, ROOT_DAYS, now);
  const rootKeyId = keyIdentifier(rootSpki);
  const caUsage = keyUsage(KeyUsage.digitalSignature, KeyUsage.keyCertSign, KeyUsage.cRLSign);
  const rootDer = signCertificate(
    {
      serial: Buffer.from(rootSerial, "hex"),
      issuerName: encode(rootName),
      subjectName: rootName,
      subjectPublicKeyInfo: rootSpki,
      ...rootValidity,
      extensions: [basicConstraints(true, 1), caUsage, subjectKeyIdentifier(rootKeyId), authorityKeyIdentifier(rootKeyId)],
    },
    rootSigner,
  );
  const issuing = generateKeyPair(keyType);
  const issuingSpki = spkiOf(issuing.publicKey);
  const issuingSerial = newSerial(new Set([rootSerial]));
  const issuingDer = signCertificate(
    {
      serial: Buffer.from(issuingSerial, "hex"),
      issuerName: encode(rootName),
      subjectName: distinguishedName({ organization: "moat", commonName: `moat ${env} issuing CA` }),
      subjectPublicKeyInfo: issuingSpki,
      ...validityWindow({}, ISSUING_DAYS, now, rootValidity.notAfter),
      extensions: [basicConstraints(true, 0), caUsage, subjectKeyIdentifier(keyIdentifier(issuingSpki)), authorityKeyIdentifier(rootKeyId)],
    },
    rootSigner,
  );
  writePrivateKey(paths.rootKey, root.privateKey, protection);
  writePrivateKey(paths.issuingKey, issuing.privateKey, protection);
  const rootPem = toPem("CERTIFICATE", rootDer);
  const issuingPem = toPem("CERTIFICATE", issuingDer);
  writeFileAtomic(paths.rootCert, rootPem);
  writeFileAtomic(paths.issuingCert, issuingPem);
  writeFileAtomic(paths.chain, issuingPem + rootPem);
  writeFileAtomic(paths.index, "");
  const ca: IssuingCa = {
    paths,
    signer: signerFor(issuing.privateKey),
    identity: issuerIdentityOf(issuingDer, paths.issuingCert),
    chainPem: issuingPem + rootPem,
  };
  const crl = writeCrlFile(ca, [], now, daysAfter(now, crlValidityDays));
  return { rootSerial, issuingSerial, crlNextUpdate: crl.nextUpdate };
}

/** The issuing CA, loaded and ready to sign. */
export interface IssuingCa {
  readonly paths: PkiPaths;
  readonly signer: Signer;
  readonly identity: IssuerIdentity;
  /** Issuing CA then root, PEM. */
  readonly chainPem: string;
}

/** Loads an environment's issuing CA, decrypting its key (a wrong passphrase is refused here, before any write). */
export function loadIssuingCa(pkiDir: string, env: string, passphrase: string | undefined): IssuingCa {
  const paths = pkiPaths(pkiDir, env);
  if (!existsSync(paths.issuingCert)) {
    throw new MoatError(`no CA for environment '${env}' in ${paths.envDir}; run 'moat pki init --env ${env}' first (or check --pki-dir)`);
  }
  const certPem = readFileSync(paths.issuingCert, "utf8");
  const key = readPrivateKey(paths.issuingKey, passphrase);
  const cert = new X509Certificate(certPem);
  if (!cert.checkPrivateKey(key))
    throw new MoatError(`CA key ${paths.issuingKey} does not match ${paths.issuingCert}; restore the pair from backup`);
  return {
    paths,
    signer: signerFor(key),
    identity: issuerIdentityOf(cert.raw, paths.issuingCert),
    chainPem: readFileSync(paths.chain, "utf8"),
  };
}
