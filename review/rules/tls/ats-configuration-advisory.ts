import { RuleCheck } from "../../rule";
import { brokerEndpoints } from "../../segment";
import { blocks, isRecord } from "../../value";

/** What a stack says when it names no TLS 1.3 policy of its own: the stricter of moat's two. */
const FALLBACK_POLICY = "IoTSecurityPolicy_TLS13_1_3_2022_10";

/**
 * Advisory: the AWS-created `iot:Data-ATS` domain configuration is account-wide and no
 * plan can set its TLS policy. A client in the segment that dials the endpoint's address with the
 * ATS name as its TLS server name (SNI) meets that policy instead of the stack's own, so each
 * iot.data endpoint carries the one command that closes the gap, with the stack's own policy.
 */
export const atsConfigurationAdvisory: RuleCheck = (model) => {
  const declared = model
    .ofType("aws_iot_domain_configuration")
    .map((domain) => blocks(domain.attributes.tls_config)[0])
    .map((config) => (isRecord(config) ? config.security_policy : undefined))
    .find((policy): policy is string => typeof policy === "string" && policy.startsWith("IoTSecurityPolicy_TLS13_"));
  const policy = declared ?? FALLBACK_POLICY;
  return brokerEndpoints(model).map((endpoint) => ({
    resource: endpoint.address,
    message:
      "the AWS-created iot:Data-ATS domain configuration stays reachable through this endpoint by any client that sends the account's ATS endpoint name as SNI, and its TLS policy is outside every plan; " +
      `once per account and region run: aws iot update-domain-configuration --domain-configuration-name iot:Data-ATS --tls-config securityPolicy=${policy}`,
  }));
};
