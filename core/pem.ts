/**
 * The "public certificates only" check shared by the CA constructs (a PEM prop) and the PKI store
 * (a published file): any PRIVATE KEY block, of any kind (RSA, EC, ENCRYPTED), refuses the input,
 * because keys must never reach Terraform config, state or the repository.
 */
export function privateKeyProblem(pem: string): string | undefined {
  return /PRIVATE KEY/.test(pem) ? "contains a PRIVATE KEY block" : undefined;
}

/**
 * A PEM private-key header of any kind (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`,
 * `ENCRYPTED PRIVATE KEY`): what the review looks for in configuration and state.
 */
export const PRIVATE_KEY_HEADER = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
