import { fail, RuleCheck, unknown, Violation } from "../rule";
import { blocks, isRecord } from "../value";

/** AWS IoT security policies that negotiate TLS 1.3 are named `IoTSecurityPolicy_TLS13_*`. */
const TLS13_POLICY = /^IoTSecurityPolicy_TLS13_/;

/** TLS-1: every IoT domain configuration uses a TLS 1.3 security policy. */
export const tls13DomainPolicy: RuleCheck = (model) => {
  const violations: Violation[] = [];
  for (const domain of model.ofType("aws_iot_domain_configuration")) {
    const config = blocks(domain.attributes.tls_config)[0];
    const policy = isRecord(config) ? config.security_policy : undefined;
    if (policy === undefined || policy === null) violations.push(fail(domain.address, "no tls_config.security_policy: AWS IoT's default policy accepts TLS 1.0"));
    else if (typeof policy !== "string") violations.push(unknown(domain.address, `security_policy ${String(policy)} is known only at apply time`));
    else if (!TLS13_POLICY.test(policy)) violations.push(fail(domain.address, `security_policy ${policy} is not a TLS 1.3 policy`));
  }
  return violations;
};
