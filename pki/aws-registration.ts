import { mkdirSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../core/atomic-file";
import { loadIssuingCa } from "./ca";
import { StoreOptions } from "./issue";
import { issueLeaves } from "./issuance";
import { generateKeyPair, spkiOf } from "./signer";
import { validityWindow } from "./validity";
import { MoatError } from "../errors";

/** Options of {@link verificationCert}. */
export interface VerificationCertOptions extends StoreOptions {
  /** The account's CA registration code (`aws iot get-registration-code`). */
  readonly registrationCode: string;
}

/** What AWS IoT needs to register the issuing CA: both public PEMs. */
export interface CaRegistrationMaterial {
  /** The issuing CA certificate, PEM. */
  readonly caCertificatePem: string;
  /** The verification certificate, PEM (also written to `pkiPaths().verificationCert`). */
  readonly verificationCertificatePem: string;
  readonly path: string;
  readonly serial: string;
}

/**
 * Proves to AWS IoT that we hold the issuing CA key: a certificate whose CN is the account's
 * registration code, signed by that key. Its own key is thrown away at once.
 */
export function verificationCert(options: VerificationCertOptions): CaRegistrationMaterial {
  if (!/^[A-Za-z0-9]{1,128}$/.test(options.registrationCode)) {
    throw new MoatError(
      `registration code '${options.registrationCode.slice(0, 80)}' is not an AWS IoT registration code (letters and digits); copy it from 'aws iot get-registration-code'`,
    );
  }
  const ca = loadIssuingCa(options.pkiDir, options.env, options.passphrase);
  const now = options.now ?? new Date();
  const [leaf] = issueLeaves(
    ca,
    [
      {
        commonName: options.registrationCode,
        profile: "verification",
        subjectPublicKeyInfo: spkiOf(generateKeyPair("p256").publicKey),
        ...validityWindow({}, 30, now, ca.identity.notAfter),
      },
    ],
    now,
  );
  mkdirSync(ca.paths.awsDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(ca.paths.verificationCert, leaf.certPem);
  return {
    caCertificatePem: readFileSync(ca.paths.issuingCert, "utf8"),
    verificationCertificatePem: leaf.certPem,
    path: ca.paths.verificationCert,
    serial: leaf.serial,
  };
}
