import { existsSync } from "node:fs";
import { relative } from "node:path";
import { EnvironmentConfig } from "../config";
import { MoatError } from "../errors";
import { pkiPaths } from "../pki/paths";
import { pemBody, publishedCaDir, publishedCaPaths, readCertificateFile } from "../pki/published";

/** The CA's public PEMs an environment stack registers with AWS IoT: never a key. */
export interface CaMaterial {
  readonly caCertificatePem: string;
  /** Certificate mode DEFAULT only. */
  readonly verificationCertificatePem?: string;
}

/**
 * Reads the CA certificates from the environment's `pki.publicDir` (committed with the
 * environment, so a clone or a CI runner synthesizes and deploys with no PKI store), or else
 * from the PKI store. Where both are present they must hold the same issuing CA.
 */
export function readCaMaterial(env: EnvironmentConfig, pkiDir: string): CaMaterial {
  const store = pkiPaths(pkiDir, env.name);
  const needsVerification = env.broker.certificateMode === "DEFAULT";
  if (env.pki.publicDir === undefined) {
    return {
      caCertificatePem: readCertificate(
        store.issuingCert,
        `${env.file}: no issuing CA certificate at ${store.issuingCert}; run moat pki init --env ${env.name} (or point MOAT_PKI_DIR at the store, or commit the CA's certificates with pki.publicDir)`,
      ),
      verificationCertificatePem: needsVerification
        ? readCertificate(store.verificationCert, missingVerification(env, store.verificationCert, ""))
        : undefined,
    };
  }
  const published = publishedCaPaths(publishedCaDir(env.file, env.pki.publicDir));
  const shown = (file: string) => relative(process.cwd(), file) || file;
  const caCertificatePem = readCertificate(
    published.issuingCert,
    `${env.file}: pki.publicDir "${env.pki.publicDir}" has no ${shown(published.issuingCert)}; run moat pki publish --env ${env.name} with the store that holds the CA, and commit the result`,
  );
  if (existsSync(store.issuingCert) && pemBody(readCertificate(store.issuingCert, store.issuingCert)) !== pemBody(caCertificatePem)) {
    throw new MoatError(
      `${env.file}: the PKI store's issuing CA (${shown(store.issuingCert)}) is not the CA committed in ${shown(published.issuingCert)}, so the broker would refuse the devices the store issues; run moat pki publish --env ${env.name} to commit the store's CA, or point MOAT_PKI_DIR at the store of the committed CA`,
    );
  }
  return {
    caCertificatePem,
    verificationCertificatePem: needsVerification
      ? readCertificate(
          published.verificationCert,
          missingVerification(env, shown(published.verificationCert), ` and moat pki publish --env ${env.name}`),
        )
      : undefined,
  };
}

function missingVerification(env: EnvironmentConfig, where: string, then: string): string {
  return `${env.file}: broker.certificateMode DEFAULT needs the CA verification certificate at ${where}; run aws iot get-registration-code, then moat pki verification-cert --env ${env.name} --registration-code CODE${then}`;
}

/** A certificate file: `missing` is the whole error when it does not exist. */
function readCertificate(file: string, missing: string): string {
  if (!existsSync(file)) throw new MoatError(missing);
  return readCertificateFile(file);
}
