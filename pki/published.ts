import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../core/atomic-file";
import { pkiPaths } from "./paths";
import { MoatError } from "../errors";
import { privateKeyProblem } from "../core/pem";

/**
 * The CA's public certificates as committed beside an environment file (`pki.publicDir`), so
 * that synth and deploy need no PKI store: CI deploys from the repository while the CA keys
 * stay wherever the CA is operated, and a pull request shows a CA change as a diff.
 */
export interface PublishedCaPaths {
  readonly dir: string;
  /** The issuing CA certificate AWS IoT registers. */
  readonly issuingCert: string;
  /** The verification certificate (certificate mode DEFAULT only). */
  readonly verificationCert: string;
}

/** `pki.publicDir` is relative to the environment file's directory. */
export function publishedCaDir(environmentFile: string, publicDir: string): string {
  return resolve(dirname(environmentFile), publicDir);
}

export function publishedCaPaths(dir: string): PublishedCaPaths {
  return { dir, issuingCert: join(dir, "issuing.pem"), verificationCert: join(dir, "verification.pem") };
}

/** Options of {@link publishCa}. */
export interface PublishCaOptions {
  readonly pkiDir: string;
  readonly env: string;
  /** The directory to write, `pki.publicDir` resolved against the environment file's directory. */
  readonly dir: string;
  /** Certificate mode DEFAULT: the verification certificate must be there to publish. */
  readonly requireVerification: boolean;
}

/** What {@link publishCa} wrote, and what it kept. */
export interface PublishCaResult {
  readonly written: readonly string[];
  /** Committed files left as they were, each with the reason. */
  readonly kept: readonly { readonly file: string; readonly reason: string }[];
  /** Committed files of a previous CA that no longer apply. */
  readonly removed: readonly string[];
}

/**
 * Copies the issuing CA certificate (and the verification certificate) from the store to the
 * published directory. Only certificates are copied: a file holding anything else is refused.
 * Nothing is written unless every file to publish is present and public.
 */
export function publishCa(options: PublishCaOptions): PublishCaResult {
  const store = pkiPaths(options.pkiDir, options.env);
  const target = publishedCaPaths(options.dir);
  if (!existsSync(store.issuingCert)) {
    throw new MoatError(
      `no issuing CA certificate at ${store.issuingCert}; run moat pki init --env ${options.env} first (or give --pki-dir the store that has it)`,
    );
  }
  const issuingPem = readCertificateFile(store.issuingCert);
  const copies: { to: string; pem: string }[] = [{ to: target.issuingCert, pem: issuingPem }];
  const kept: { file: string; reason: string }[] = [];
  // The verification certificate only matters when IoT Core registers the CA, and Terraform
  // replaces the registration when it changes (verification_certificate_pem forces a new
  // aws_iot_ca_certificate). So for a CA already published, the committed one stays.
  // "Already published" means the committed pair belongs together, not just the same issuing
  // certificate: a publish interrupted between its writes must be repaired by the next one.
  // A committed file that is not a readable certificate (a merge conflict, a stray key) is
  // replaced like a missing one: publish is how it gets repaired.
  const committedIssuing = committedCertificate(target.issuingCert);
  const samePublishedCa = committedIssuing !== undefined && pemBody(committedIssuing) === pemBody(issuingPem);
  const committedVerification = committedCertificate(target.verificationCert);
  if (samePublishedCa && committedVerification !== undefined && signedBy(committedVerification, issuingPem)) {
    kept.push({
      file: target.verificationCert,
      reason: "this CA is already published; a new verification certificate would make Terraform replace its IoT Core registration",
    });
  } else if (existsSync(store.verificationCert)) {
    copies.push({ to: target.verificationCert, pem: readCertificateFile(store.verificationCert) });
  } else if (options.requireVerification) {
    throw new MoatError(
      `no verification certificate at ${store.verificationCert}; broker.certificateMode DEFAULT needs one: run aws iot get-registration-code, then moat pki verification-cert --env ${options.env} --registration-code CODE`,
    );
  }
  // A committed verification certificate that is neither kept nor replaced belongs to another
  // CA (a new CA in certificate mode SNI_ONLY): it proves possession of another key and would
  // only mislead.
  const stale =
    kept.length === 0 && !copies.some((c) => c.to === target.verificationCert) && existsSync(target.verificationCert)
      ? [target.verificationCert]
      : [];
  mkdirSync(options.dir, { recursive: true });
  // The issuing certificate last: until it is written, the directory still names the old CA,
  // so a crash in between leaves a pair that synth refuses and that the next publish replaces.
  for (const file of stale) rmSync(file);
  for (const copy of [...copies].reverse()) writeFileAtomic(copy.to, copy.pem);
  return { written: copies.map((c) => c.to), kept, removed: stale };
}

/** The committed certificate file's text, or undefined when it is missing or not a certificate file. */
function committedCertificate(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return readCertificateFile(file);
  } catch (err) {
    if (err instanceof MoatError) return undefined;
    throw err;
  }
}

/** The first certificate of `pem` carries a signature of the key of `issuerPem`'s first certificate. */
function signedBy(pem: string, issuerPem: string): boolean {
  try {
    return new X509Certificate(pem).verify(new X509Certificate(issuerPem).publicKey);
  } catch {
    return false;
  }
}

/** The base64 of the PEM blocks: line endings and surrounding text do not make a different certificate. */
export function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----|\s/g, "");
}

/** A file that must hold PEM certificates only; `file` names it in the error. */
export function readCertificateFile(file: string): string {
  const pem = readFileSync(file, "utf8");
  const keyProblem = privateKeyProblem(pem);
  if (keyProblem)
    throw new MoatError(
      `${file} ${keyProblem}; only public certificates are published or read for synth (keys never enter the repository or Terraform)`,
    );
  if (!/^(\s*-----BEGIN CERTIFICATE-----[\sA-Za-z0-9+/=]+-----END CERTIFICATE-----)+\s*$/.test(pem)) {
    throw new MoatError(`${file} is not a PEM certificate file; publish it with moat pki publish`);
  }
  return pem;
}
