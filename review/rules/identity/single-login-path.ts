import { Resource } from "../../model";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { isOpen } from "../../segment";
import { pemBody } from "../../../pki/published";
import { blocks, isRecord, Value } from "../../value";

/** Domain configuration authentication types that accept something other than an X.509 client certificate. */
const NON_CERTIFICATE_AUTH = ["CUSTOM_AUTH", "CUSTOM_AUTH_X509", "AWS_SIGV4"];

/**
 * The only way a device logs in is a client certificate of the one CA moat registers.
 * Each of the other doors IoT Core offers is a finding: a custom authorizer (a Lambda decides,
 * worse with signing disabled), a domain configuration that defaults to one or to SigV4, a second
 * CA (with auto-registration any certificate it signs registers itself), a certificate registered
 * by Terraform without moat's CA, a role alias (it exchanges a certificate for IAM credentials)
 * and fleet provisioning (a claim certificate buys new certificates from AWS's CA).
 */
export const singleLoginPath: RuleCheck = (model, context) => {
  const violations: Violation[] = [];
  for (const authorizer of model.ofType("aws_iot_authorizer")) {
    const signing = authorizer.attributes.signing_disabled;
    const detail =
      signing === true
        ? ", and signing_disabled is true: anyone can call it with any token"
        : isOpen(signing)
          ? `, and signing_disabled is ${String(signing)} (known only at apply time)`
          : "";
    violations.push(
      fail(
        authorizer.address,
        `a custom authorizer lets clients log in with whatever its Lambda accepts instead of a certificate of moat's CA${detail}`,
      ),
    );
  }
  for (const domain of model.ofType("aws_iot_domain_configuration")) violations.push(...domainLogin(domain));
  const cas = model.ofType("aws_iot_ca_certificate");
  if (cas.length > 1) {
    for (const ca of cas) {
      const auto = ca.attributes.allow_auto_registration;
      // The first three others by name, the rest counted: a stack of many CAs lists each once per CA.
      const shown: string[] = [];
      for (let i = 0; i < cas.length && shown.length < 3; i++) if (cas[i] !== ca) shown.push(cas[i].address);
      const more = cas.length - 1 - shown.length;
      const listed = more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
      violations.push(
        fail(
          ca.address,
          `one of ${cas.length} registered CAs (also ${listed}): moat registers one issuing CA, and every other CA's certificates log in too${auto === true ? " (auto-registration on: each certificate it signs registers itself on first connect)" : ""}`,
        ),
      );
    }
  }
  if (context.caCertificatePem !== undefined) {
    const expected = pemBody(context.caCertificatePem);
    for (const ca of cas) {
      const pem = ca.attributes.ca_certificate_pem;
      if (typeof pem !== "string")
        violations.push(
          unknown(
            ca.address,
            `ca_certificate_pem ${String(pem)} is known only at apply time, so whether it is the environment's issuing CA cannot be told`,
          ),
        );
      else if (pemBody(pem) !== expected)
        violations.push(
          fail(
            ca.address,
            "registers a CA certificate that is not the environment's issuing CA (pki.publicDir or the PKI store): devices of whoever holds that CA's key log in",
          ),
        );
    }
  }
  const caPems = new Set(cas.map((ca) => ca.attributes.ca_certificate_pem).filter((pem): pem is string => typeof pem === "string"));
  for (const cert of model.ofType("aws_iot_certificate")) {
    const { ca_pem: caPem, csr, certificate_pem: pem } = cert.attributes;
    if (typeof csr === "string" && csr.trim() !== "" && !(typeof pem === "string" && pem.trim() !== "")) {
      violations.push(
        fail(
          cert.address,
          "a certificate issued by AWS's CA from a CSR: it logs in without moat's CA, its revocation list or its provisioning template",
        ),
      );
    } else if (caPem === undefined || caPem === null || caPem === "") {
      violations.push(
        fail(
          cert.address,
          "a device certificate registered without a CA (ca_pem unset): IoT Core does not check that it chains to moat's CA",
        ),
      );
    } else if (typeof caPem !== "string") {
      violations.push(
        unknown(
          cert.address,
          `ca_pem ${String(caPem)} is known only at apply time, so whether the certificate chains to moat's CA cannot be told`,
        ),
      );
    } else if (!caPems.has(caPem)) {
      violations.push(fail(cert.address, "a device certificate registered under a CA that is not the stack's registered CA"));
    }
  }
  for (const attachment of model.ofType("aws_iot_thing_principal_attachment")) {
    violations.push(
      fail(
        attachment.address,
        `attaches principal ${String(attachment.attributes.principal)} to thing ${String(attachment.attributes.thing)} outside the CA's provisioning template: an identity moat's provisioning did not create`,
      ),
    );
  }
  for (const alias of model.ofType("aws_iot_role_alias")) {
    violations.push(
      fail(
        alias.address,
        `a role alias hands any device whose policy allows iot:AssumeRoleWithCertificate the IAM role ${String(alias.attributes.role_arn)}: AWS credentials outside the topic model`,
      ),
    );
  }
  for (const template of model.ofType("aws_iot_provisioning_template")) {
    const type = template.attributes.type;
    if (type === "JITP") continue;
    if (isOpen(type))
      violations.push(
        unknown(
          template.address,
          `type ${String(type)} is known only at apply time: a FLEET_PROVISIONING template issues certificates from AWS's CA`,
        ),
      );
    else
      violations.push(
        fail(
          template.address,
          "a fleet provisioning template: a device holding the claim certificate gets new certificates from AWS's CA, outside moat's CA",
        ),
      );
  }
  return violations;
};

/** Why a domain configuration admits logins without a certificate of moat's CA. */
function domainLogin(domain: Resource): Violation[] {
  const out: Violation[] = [];
  const { authentication_type: auth, authorizer_config: config } = domain.attributes;
  if (typeof auth === "string" && NON_CERTIFICATE_AUTH.includes(auth))
    out.push(fail(domain.address, `authentication_type ${auth} accepts logins without a certificate of moat's CA`));
  else if (auth !== undefined && auth !== null && typeof auth !== "string")
    out.push(unknown(domain.address, `authentication_type ${String(auth)} is known only at apply time`));
  for (const block of blocks(config)) {
    const name: Value | undefined = isRecord(block) ? block.default_authorizer_name : undefined;
    if (name !== undefined && name !== null && name !== "")
      out.push(
        fail(
          domain.address,
          `authorizer_config sets default authorizer ${String(name)}: clients log in through a custom authorizer, not moat's CA`,
        ),
      );
    const override: Value | undefined = isRecord(block) ? block.allow_authorizer_override : undefined;
    if (override === true)
      out.push(fail(domain.address, "authorizer_config allows authorizer override: a client may name any authorizer of the account"));
  }
  return out;
}
