import { Resource } from "../../model";
import { fail, RuleCheck, STACK, unknown, Violation } from "../../rule";
import { brokerEndpoints, brokerTypesPresent, isOpen } from "../../segment";
import { blocks, isRecord } from "../../value";

/** AWS IoT security policies that negotiate TLS 1.3 are named `IoTSecurityPolicy_TLS13_*`. */
const TLS13_POLICY = /^IoTSecurityPolicy_TLS13_/;

/** What to do when no domain configuration of the plan carries the fleet's traffic. */
const NOT_ENFORCED =
  "TLS 1.3 is not enforced by this plan: devices use the AWS-created iot:Data-ATS domain configuration, which Terraform cannot manage, so its TLS policy is whatever the account has (an AWS-managed configuration may still carry a legacy IoTSecurityPolicy_TLS12_1_0_* policy, which accepts TLS 1.0). " +
  "Give the broker its own DATA domain configuration (moat's IotCoreBroker creates one with broker.tlsPolicy, on an AWS-managed domain or broker.customDomain) and point the private zone at its name; " +
  "or run `aws iot update-domain-configuration --domain-configuration-name iot:Data-ATS --tls-config securityPolicy=IoTSecurityPolicy_TLS13_1_2_2022_10` once per account and suppress this finding with that reason";

/**
 * Device traffic is served by a domain configuration with a TLS 1.3 security policy.
 * Every domain configuration must carry one; and a stack that runs a broker (an iot.data
 * endpoint, IoT policies) with no enabled DATA domain configuration of its own leaves the policy to
 * the AWS-created iot:Data-ATS configuration, outside the plan: that is a finding, never a pass.
 */
export const tls13DomainPolicy: RuleCheck = (model) => {
  const violations: Violation[] = [];
  let servesData = false;
  for (const domain of model.ofType("aws_iot_domain_configuration")) {
    const config = blocks(domain.attributes.tls_config)[0];
    const policy = isRecord(config) ? config.security_policy : undefined;
    if (policy === undefined || policy === null)
      violations.push(
        fail(
          domain.address,
          "no tls_config.security_policy: the policy is left to AWS's default instead of being stated in the plan; set an IoTSecurityPolicy_TLS13_* policy",
        ),
      );
    else if (typeof policy !== "string")
      violations.push(unknown(domain.address, `security_policy ${String(policy)} is known only at apply time`));
    else if (!TLS13_POLICY.test(policy)) violations.push(fail(domain.address, `security_policy ${policy} is not a TLS 1.3 policy`));
    const serving = carriesDeviceData(domain);
    if (serving === "unknown")
      violations.push(
        unknown(
          domain.address,
          "service_type or status is known only at apply time, so whether devices' MQTT traffic uses this configuration cannot be told",
        ),
      );
    servesData ||= serving !== false;
  }
  if (servesData) return violations;
  const endpoints = brokerEndpoints(model);
  if (endpoints.length > 0)
    endpoints.forEach((e) => violations.push(fail(e.address, `no enabled DATA domain configuration in the stack; ${NOT_ENFORCED}`)));
  else if (brokerTypesPresent(model))
    violations.push(fail(STACK, `the stack runs an IoT broker but has no enabled DATA domain configuration; ${NOT_ENFORCED}`));
  return violations;
};

/** Whether a domain configuration serves MQTT data (service_type DATA, the default) and is enabled. */
function carriesDeviceData(domain: Resource): boolean | "unknown" {
  const { service_type: service, status } = domain.attributes;
  if (isOpen(service) || isOpen(status)) return "unknown";
  return (service === undefined || service === null || service === "DATA") && status !== "DISABLED";
}
