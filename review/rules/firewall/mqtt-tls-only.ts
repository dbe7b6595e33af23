import { MQTT_TLS_PORT } from "../../ports";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import {
  asUnknownIfMaybe,
  brokerEndpoints,
  brokerSecurityGroups,
  brokerSideOf,
  GroupRule,
  groupRules,
  isAllProtocols,
  isTcp,
  portRange,
} from "../../segment";
import { blocks } from "../../value";

/** FW-1: the broker side accepts TCP 8883 and nothing else: no 1883, no range, no other port or protocol. */
export const mqttTlsOnly: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const side = brokerSecurityGroups(model);
  side.unresolved.forEach((u) => violations.push(unknown(u.resource, u.message)));
  for (const endpoint of brokerEndpoints(model)) {
    if (blocks(endpoint.attributes.security_group_ids).length === 0) {
      violations.push(fail(endpoint.address, "the iot.data endpoint has no security group, so it gets the VPC's default group"));
    }
  }
  for (const rule of groupRules(model)) {
    if (rule.direction !== "ingress") continue;
    if (rule.group === undefined) {
      if (side.groups.size > 0)
        violations.push(
          unknown(rule.resource, `ingress rule on ${String(rule.groupValue)}: cannot tell whether that is a broker security group`),
        );
      continue;
    }
    const on = brokerSideOf(side, rule.group);
    const problem = on && portProblem(rule);
    if (on && problem) violations.push(asUnknownIfMaybe(problem, on, rule.group));
  }
  return violations;
};

/** What is wrong with a broker-side ingress rule's protocol and ports, if anything. */
function portProblem(rule: GroupRule): Violation | undefined {
  if (isAllProtocols(rule.protocol)) return fail(rule.resource, "allows every protocol and port to the broker");
  if (!isTcp(rule.protocol)) {
    return typeof rule.protocol === "string" || typeof rule.protocol === "number"
      ? fail(rule.resource, `allows protocol ${rule.protocol} to the broker; only TCP ${MQTT_TLS_PORT}`)
      : unknown(rule.resource, `protocol ${String(rule.protocol)} is known only at apply time`);
  }
  const range = portRange(rule);
  if (!range) return unknown(rule.resource, "its ports are known only at apply time");
  if (range[0] === MQTT_TLS_PORT && range[1] === MQTT_TLS_PORT) return undefined;
  const ports = range[0] === range[1] ? `port ${range[0]}` : `ports ${range[0]}-${range[1]}`;
  return fail(rule.resource, `allows TCP ${ports} to the broker; only ${MQTT_TLS_PORT} (MQTT over TLS) is allowed`);
}
