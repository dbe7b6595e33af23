import { MQTT_TLS_PORT } from "../ports";
import { fail, RuleCheck, unknown, Violation } from "../rule";
import { brokerEndpoints, brokerSecurityGroups, groupRules, isAllProtocols, isTcp, portRange } from "../segment";
import { blocks } from "../value";

/** FW-1: the broker side accepts TCP 8883 and nothing else: no 1883, no range, no other port or protocol. */
export const mqttTlsOnly: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const { groups, unresolved } = brokerSecurityGroups(model);
  unresolved.forEach((u) => violations.push(unknown(u.resource, `security group ${String(u.value)} is not a group of this stack, so its rules cannot be checked`)));
  for (const endpoint of brokerEndpoints(model)) {
    if (blocks(endpoint.attributes.security_group_ids).length === 0) {
      violations.push(fail(endpoint.address, "the iot.data endpoint has no security group, so it gets the VPC's default group"));
    }
  }
  const rules = groupRules(model).filter((r) => r.direction === "ingress");
  for (const rule of rules) {
    if (rule.group === undefined) {
      if (groups.size > 0) violations.push(unknown(rule.resource, `ingress rule on ${String(rule.groupValue)}: cannot tell whether that is a broker security group`));
      continue;
    }
    if (!groups.has(rule.group)) continue;
    const range = portRange(rule);
    if (isAllProtocols(rule.protocol)) violations.push(fail(rule.resource, "allows every protocol and port to the broker"));
    else if (!isTcp(rule.protocol)) {
      if (typeof rule.protocol === "string" || typeof rule.protocol === "number") violations.push(fail(rule.resource, `allows protocol ${rule.protocol} to the broker; only TCP ${MQTT_TLS_PORT}`));
      else violations.push(unknown(rule.resource, `protocol ${String(rule.protocol)} is known only at apply time`));
    } else if (!range) violations.push(unknown(rule.resource, "its ports are known only at apply time"));
    else if (range[0] !== MQTT_TLS_PORT || range[1] !== MQTT_TLS_PORT) {
      const ports = range[0] === range[1] ? `port ${range[0]}` : `ports ${range[0]}-${range[1]}`;
      violations.push(fail(rule.resource, `allows TCP ${ports} to the broker; only ${MQTT_TLS_PORT} (MQTT over TLS) is allowed`));
    }
  }
  return violations;
};
