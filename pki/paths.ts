import { resolve, join } from "node:path";
import { MoatError } from "../errors";
import { environmentNameProblem } from "../core/names";

/** Where one environment's CA lives inside the PKI store; every path is absolute. */
export interface PkiPaths {
  /** `<pkiDir>/<env>`: everything below belongs to this environment's CA. */
  readonly envDir: string;
  readonly rootCert: string;
  readonly rootKey: string;
  readonly issuingCert: string;
  readonly issuingKey: string;
  /** Issuing CA then root CA, PEM: what a device presents after its own certificate. */
  readonly chain: string;
  /** The issuing CA's current CRL (PEM). */
  readonly crl: string;
  /** The last CRL number used, so numbers only ever increase. */
  readonly crlNumber: string;
  /** Append-only JSON-lines journal of every certificate issued and revoked. */
  readonly index: string;
  /** One PEM per issued certificate, named by serial. */
  readonly issuedDir: string;
  /** AWS IoT registration material (public only). */
  readonly awsDir: string;
  /** AWS IoT CA verification certificate (CN = registration code). */
  readonly verificationCert: string;
  /** Held while the store is being changed. */
  readonly lock: string;
}

/**
 * The PKI store every command and the stacks use unless told otherwise: `$MOAT_PKI_DIR`, else
 * `.pki` (git-ignored). One place, so synth and `moat pki` cannot pick different stores.
 */
export function defaultPkiDir(): string {
  return process.env.MOAT_PKI_DIR || ".pki";
}

/** The store layout for one environment. The env name becomes a directory, so it is checked. */
export function pkiPaths(pkiDir: string, env: string): PkiPaths {
  const nameProblem = environmentNameProblem(env);
  if (nameProblem) throw new MoatError(nameProblem);
  return storeLayout(resolve(pkiDir, env));
}

/** The layout below an environment directory (also used for a CA being built in a temp dir). */
export function storeLayout(envDir: string): PkiPaths {
  const ca = join(envDir, "ca");
  const aws = join(envDir, "aws");
  return {
    envDir,
    rootCert: join(ca, "root.pem"),
    rootKey: join(ca, "root.key"),
    issuingCert: join(ca, "issuing.pem"),
    issuingKey: join(ca, "issuing.key"),
    chain: join(ca, "chain.pem"),
    crl: join(envDir, "crl.pem"),
    crlNumber: join(envDir, "crlnumber"),
    index: join(envDir, "index.jsonl"),
    issuedDir: join(envDir, "issued"),
    awsDir: aws,
    verificationCert: join(aws, "verification.pem"),
    lock: join(envDir, ".lock"),
  };
}
