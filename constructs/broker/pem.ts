import { X509Certificate } from "node:crypto";
import { ValidationError } from "../../errors";
import { privateKeyProblem } from "../../core/pem";

/**
 * Checks that `pem` is exactly one public certificate (never a private key: keys must not
 * reach Terraform config or state) and returns it parsed. `what` names the input in errors.
 */
export function parsePublicCertificate(pem: string, what: string): X509Certificate {
  const keyProblem = privateKeyProblem(pem);
  if (keyProblem) throw new ValidationError(`${what} ${keyProblem}; pass only the public certificate PEM (keys never enter Terraform)`);
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 1) {
    throw new ValidationError(
      `${what} must hold exactly one PEM certificate, found ${blocks.length}; pass the issuing CA's certificate alone`,
    );
  }
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new ValidationError(`${what} is not a readable X.509 certificate (${(err as Error).message}); pass the PEM written by moat pki`);
  }
}
