import { contains } from "../../../core/cidr";
import { cidrOf } from "../../cidr-value";
import { ReviewModel } from "../../model";
import { DNS_PORT, MQTT_TLS_PORT } from "../../ports";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { brokerSecurityGroups, deviceSecurityGroups, GroupRule, groupRules, isTcp, Peer, portRange, subnetsWithRole } from "../../segment";
import { Role } from "../../../core/tags";
import { Ref } from "../../value";

/**
 * Device security groups send only TCP 8883 to the broker endpoint, and DNS (53) inside the
 * VPC, and take no ingress at all: devices open every connection they need, and security groups
 * are stateful, so replies come back without an ingress rule.
 */
export const deviceEgressToBrokerOnly: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const devices = deviceSecurityGroups(model);
  const brokers = brokerSecurityGroups(model).groups;
  const endpointSubnets = new Set(subnetsWithRole(model, Role.ENDPOINT).map((s) => s.address));
  const endpointCidrs = subnetsWithRole(model, Role.ENDPOINT)
    .map((s) => cidrOf(s.attributes.cidr_block))
    .filter((c) => c !== undefined);
  const vpcCidrs = model
    .ofType("aws_vpc")
    .map((v) => cidrOf(v.attributes.cidr_block))
    .filter((c) => c !== undefined);

  for (const rule of groupRules(model)) {
    if (rule.group === undefined || !devices.has(rule.group)) continue;
    if (rule.direction === "ingress") {
      violations.push(
        fail(
          rule.resource,
          `ingress to device group ${rule.group}: devices need no ingress (they open every MQTT connection and the group lets replies back in); remove the rule`,
        ),
      );
      continue;
    }
    const range = portRange(rule);
    const protocol = typeof rule.protocol === "string" || typeof rule.protocol === "number" ? String(rule.protocol) : undefined;
    if (!range || protocol === undefined) {
      violations.push(unknown(rule.resource, "device egress rule with ports or protocol known only at apply time"));
      continue;
    }
    const isMqtt = isTcp(rule.protocol) && range[0] === MQTT_TLS_PORT && range[1] === MQTT_TLS_PORT;
    const isDns = ["tcp", "udp", "6", "17"].includes(protocol) && range[0] === DNS_PORT && range[1] === DNS_PORT;
    if (!isMqtt && !isDns) {
      violations.push(
        fail(
          rule.resource,
          `devices may send ${protocol} ${range[0]}-${range[1]}; only TCP ${MQTT_TLS_PORT} to the broker and DNS inside the VPC`,
        ),
      );
      continue;
    }
    for (const peer of rule.peers) {
      const verdict = isMqtt ? toBroker(model, peer, brokers, endpointSubnets, endpointCidrs) : insideVpc(model, peer, vpcCidrs);
      if (verdict === "unknown") violations.push(unknown(rule.resource, `destination ${String(peer.value)} is known only at apply time`));
      else if (verdict) violations.push(fail(rule.resource, `${describe(rule)} to ${String(peer.value)}: ${verdict}`));
    }
  }
  return violations;
};

function describe(rule: GroupRule): string {
  return `device egress ${String(rule.protocol)} ${String(rule.fromPort)}`;
}

type Cidrs = NonNullable<ReturnType<typeof cidrOf>>[];

function toBroker(
  model: ReviewModel,
  peer: Peer,
  brokers: ReadonlySet<string>,
  endpointSubnets: ReadonlySet<string>,
  endpointCidrs: Cidrs,
): string | "unknown" | undefined {
  if (peer.kind === "group") {
    const target = model.target(peer.value);
    if (!target) return "unknown";
    return brokers.has(target.address) ? undefined : "not the broker endpoint's security group";
  }
  if (peer.kind === "cidr") {
    if (peer.value instanceof Ref) return endpointSubnets.has(peer.value.address) ? undefined : "not an endpoint subnet";
    const cidr = cidrOf(peer.value);
    if (!cidr) return typeof peer.value === "string" ? "not an IPv4 CIDR" : "unknown";
    return endpointCidrs.some((c) => contains(c, cidr)) ? undefined : "not inside an endpoint subnet";
  }
  return "only the broker endpoint may be reached";
}

function insideVpc(model: ReviewModel, peer: Peer, vpcCidrs: Cidrs): string | "unknown" | undefined {
  if (peer.kind !== "cidr") return "DNS only to addresses inside the VPC";
  if (peer.value instanceof Ref) return model.get(peer.value.address)?.type === "aws_vpc" ? undefined : "not the VPC's CIDR";
  const cidr = cidrOf(peer.value);
  if (!cidr) return typeof peer.value === "string" ? "not an IPv4 CIDR" : "unknown";
  return vpcCidrs.some((c) => contains(c, cidr)) ? undefined : "outside the VPC";
}
