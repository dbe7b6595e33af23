import { Value } from "../../value";
import { fail, RuleCheck, STACK, unknown, Violation } from "../../rule";
import { brokerTypesPresent, isOpen } from "../../segment";

/**
 * Devices authenticate with certificates of a CA registered for mutual TLS; no certificate
 * whose private key AWS makes (it would land in state). The provider treats an empty `csr` or
 * `certificate_pem` as unset and then calls CreateKeysAndCertificate, so `""` counts as absent.
 */
export const registeredCa: RuleCheck = (model) => {
  const violations: Violation[] = [];
  for (const cert of model.ofType("aws_iot_certificate")) {
    const inputs = [cert.attributes.csr, cert.attributes.certificate_pem].map(presence);
    if (inputs.includes("set")) continue;
    if (inputs.includes("open"))
      violations.push(
        unknown(
          cert.address,
          "csr and certificate_pem are known only at apply time: if both end up empty, AWS generates the key pair and its private key lands in Terraform state",
        ),
      );
    else
      violations.push(
        fail(
          cert.address,
          "aws_iot_certificate without a non-empty csr or certificate_pem: AWS generates the key pair and its private key lands in Terraform state",
        ),
      );
  }
  const cas = model.ofType("aws_iot_ca_certificate");
  for (const ca of cas) {
    const active = ca.attributes.active;
    if (active === false)
      violations.push(fail(ca.address, "the CA certificate is registered inactive: devices cannot authenticate with it"));
    else if (isOpen(active)) violations.push(unknown(ca.address, `active is ${String(active)}, known only at apply time`));
  }
  if (cas.length === 0 && brokerTypesPresent(model)) {
    violations.push(fail(STACK, "the stack runs an IoT broker but registers no CA certificate (aws_iot_ca_certificate) for mutual TLS"));
  }
  return violations;
};

/** Whether a PEM or CSR argument is given: a non-empty string, nothing (absent, null or ""), or an apply-time value. */
function presence(value: Value | undefined): "set" | "absent" | "open" {
  if (value === undefined || value === null || value === "") return "absent";
  if (typeof value === "string") return value.trim() === "" ? "absent" : "set";
  return "open";
}
