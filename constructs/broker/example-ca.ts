import { Construct } from "constructs";
import { TerraformStack, TerraformVariable } from "cdktf";
import { X509Certificate } from "node:crypto";

/**
 * SHA-256 fingerprints of CA certificates committed to this repository as examples (the prod
 * environment's `prod-ca/issuing.pem`, also the test fixtures' CA). Their keys were discarded:
 * no device certificate can ever be issued under them, and their verification certificate
 * carries a placeholder registration code, so registering one with AWS fails after everything
 * else was created. Synthesis still works with them (tests and a fresh clone use them); a plan
 * or apply stops first.
 */
export const EXAMPLE_CA_FINGERPRINTS: ReadonlySet<string> = new Set([
  "82:5F:CB:6C:39:29:73:00:35:43:7C:14:A7:D9:DD:D3:87:98:49:64:BF:2F:80:51:21:87:01:55:96:43:8E:CE",
]);

/** The Terraform variable that lets a plan go ahead with the example CA (tests and plan fixtures set it). */
export const ALLOW_EXAMPLE_CA_VARIABLE = "allow_example_ca";

/** What stops a plan or apply of a stack whose CA is the example: one line, naming the commands. */
export const EXAMPLE_CA_ERROR =
  "The issuing CA is moat's committed example, whose private key was discarded: AWS cannot register it and no device can be issued under it. " +
  "Make your own with `moat pki init --env ENV --root-key-out FILE`, `moat pki verification-cert --env ENV --registration-code CODE` " +
  "(CODE from `aws iot get-registration-code`) and `moat pki publish --env ENV`, then synthesize again; only a plan that is never applied may set -var allow_example_ca=true.";

export function isExampleCa(certificate: X509Certificate): boolean {
  return EXAMPLE_CA_FINGERPRINTS.has(certificate.fingerprint256);
}

/**
 * The stack's `allow_example_ca` variable (bool, default false), made once per stack: its name
 * is fixed because plan fixtures and `terraform test` files set it.
 */
export function allowExampleCaVariable(scope: Construct): TerraformVariable {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(ALLOW_EXAMPLE_CA_VARIABLE);
  if (existing instanceof TerraformVariable) return existing;
  return new TerraformVariable(stack, ALLOW_EXAMPLE_CA_VARIABLE, {
    type: "bool",
    default: false,
    nullable: false,
    description:
      "Set true only for a plan that is never applied (tests, review fixtures): lets a stack whose issuing CA is moat's committed example (key discarded) plan. Leave false for a real deploy; make a real CA with moat pki init, verification-cert and publish.",
  });
}
