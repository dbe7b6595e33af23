import { contains } from "../../../core/cidr";
import { cidrOf } from "../../cidr-value";
import { ReviewModel } from "../../model";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import {
  asUnknownIfMaybe,
  attachedGroups,
  prefixListCidrs,
  brokerSecurityGroups,
  brokerSideOf,
  deviceSecurityGroups,
  GroupRule,
  groupRules,
  Peer,
  subnetsWithRole,
} from "../../segment";
import { Role, ROLE_TAG } from "../../../core/tags";
import { Ref, Value } from "../../value";
import { coversAllV4, coversAllV6 } from "../../cidr-union";

/**
 * Ingress to the broker comes only from the device subnets (tagged `moat:role=device`) or the
 * device security group; never 0.0.0.0/0 or ::/0. No other group of the segment takes ingress
 * from 0.0.0.0/0 or ::/0 either: a group the file shows only as "not the broker's" may still sit
 * on something devices or the Internet reach, and nothing in an isolated segment needs such a rule.
 */
export const deviceSourcesOnly: RuleCheck = (model, context) => {
  const violations: Violation[] = [];
  const side = brokerSecurityGroups(model);
  const deviceSubnets = subnetsWithRole(model, Role.DEVICE);
  const deviceCidrs = deviceSubnets.map((s) => cidrOf(s.attributes.cidr_block)).filter((c) => c !== undefined);
  const configured = context.deviceSubnetCidrs?.map((c) => cidrOf(c)).filter((c) => c !== undefined);
  const deviceGroups = deviceSecurityGroups(model);
  const deviceSubnetAddresses = new Set(deviceSubnets.map((s) => s.address));

  // Asked only when a broker rule names a group: finding attachments evaluates every resource.
  let devices: ReadonlySet<string> | undefined;
  const deviceSources = () => {
    if (devices === undefined) {
      const attached = attachedGroups(model);
      devices = new Set([...deviceGroups].filter((g) => !attached.has(g)));
    }
    return devices;
  };

  // Many rules share a source; each distinct source is judged once.
  const verdicts = new Map<string, ReturnType<typeof judge>>();
  const ingress = groupRules(model).filter((rule) => rule.direction === "ingress");
  violations.push(...everywhereTogether(model, ingress));
  for (const rule of ingress) {
    const on = brokerSideOf(side, rule.group);
    if (on === undefined || rule.group === undefined) {
      violations.push(...fromEverywhere(rule));
      continue;
    }
    for (const peer of rule.peers) {
      const key = `${peer.kind} ${String(peer.value)} ${typeof peer.value}`;
      if (!verdicts.has(key)) verdicts.set(key, judge(model, peer, deviceCidrs, configured, deviceSources, deviceSubnetAddresses));
      const verdict = verdicts.get(key);
      if (verdict === "unknown") violations.push(unknown(rule.resource, `source ${String(peer.value)} is known only at apply time`));
      else if (verdict !== undefined) violations.push(asUnknownIfMaybe(fail(rule.resource, verdict), on, rule.group));
    }
  }
  return violations;
};

/** Ingress from 0.0.0.0/0 or ::/0 on a group that is not the broker's. */
function fromEverywhere(rule: GroupRule): Violation[] {
  const into = rule.group ?? String(rule.groupValue);
  return rule.peers.flatMap((peer) => {
    const everywhere =
      peer.kind === "cidr"
        ? cidrOf(peer.value)?.prefix === 0
        : peer.kind === "cidr6" && typeof peer.value === "string" && /\/0$/.test(peer.value);
    if (!everywhere) return [];
    return [
      fail(
        rule.resource,
        `allows ${peer.kind === "cidr6" ? "IPv6 " : ""}${String(peer.value)} into ${into}: the whole Internet; no group of the IoT segment takes traffic from everywhere (devices need no ingress)`,
      ),
    ];
  });
}

/**
 * Ingress that covers every address only together: 0.0.0.0/1 and 128.0.0.0/1 on the same group,
 * or a prefix list holding 0.0.0.0/0, is "everywhere" as surely as 0.0.0.0/0.
 */
function everywhereTogether(model: ReviewModel, ingress: readonly GroupRule[]): Violation[] {
  const byGroup = new Map<string, GroupRule[]>();
  for (const rule of ingress) {
    const key = rule.group ?? String(rule.groupValue);
    const list = byGroup.get(key);
    if (list) list.push(rule);
    else byGroup.set(key, [rule]);
  }
  const violations: Violation[] = [];
  for (const [group, rules] of byGroup) {
    const v4 = rules.flatMap((r) =>
      r.peers.flatMap((p) => (p.kind === "cidr" ? [p.value] : p.kind === "prefix-list" ? (prefixListCidrs(model, p.value) ?? []) : [])),
    );
    const v6 = rules.flatMap((r) =>
      r.peers.flatMap((p) => (p.kind === "cidr6" ? [p.value] : p.kind === "prefix-list" ? (prefixListCidrs(model, p.value) ?? []) : [])),
    );
    for (const [family, values, coversAll] of [
      ["IPv4", v4, coversAllV4],
      ["IPv6", v6, coversAllV6],
    ] as const) {
      // A single 0.0.0.0/0 or ::/0 source is reported on its own rule (fromEverywhere).
      const direct = rules.some((r) =>
        r.peers.some(
          (p) =>
            (p.kind === "cidr" && cidrOf(p.value)?.prefix === 0) ||
            (p.kind === "cidr6" && typeof p.value === "string" && /\/0$/.test(p.value)),
        ),
      );
      if (direct || !coversAll(values)) continue;
      for (const rule of rules)
        violations.push(
          fail(
            rule.resource,
            `its sources, with the other ingress of ${group}, cover every ${family} address (${values.map(String).join(", ")}): the whole Internet; no group of the IoT segment takes traffic from everywhere`,
          ),
        );
    }
  }
  return violations;
}

/** Why a peer is not a device source, "unknown", or undefined when it is one. */
function judge(
  model: ReviewModel,
  peer: Peer,
  deviceCidrs: NonNullable<ReturnType<typeof cidrOf>>[],
  configured: NonNullable<ReturnType<typeof cidrOf>>[] | undefined,
  deviceGroups: () => ReadonlySet<string>,
  deviceSubnets: ReadonlySet<string>,
): string | "unknown" | undefined {
  const value: Value = peer.value;
  switch (peer.kind) {
    case "cidr": {
      if (value instanceof Ref) {
        return deviceSubnets.has(value.address) && value.attribute === "cidr_block"
          ? undefined
          : `allows ${value.toString()}, which is not a device subnet's CIDR (tag device subnets ${ROLE_TAG}=${Role.DEVICE})`;
      }
      const cidr = cidrOf(value);
      if (!cidr) return typeof value === "string" ? `allows ${value}, which is not an IPv4 CIDR` : "unknown";
      if (cidr.prefix === 0) return `allows ${cidr.text}: the whole Internet can reach the broker`;
      if (!deviceCidrs.some((d) => contains(d, cidr)))
        return `allows ${cidr.text}, which is not inside a device subnet (subnets tagged ${ROLE_TAG}=${Role.DEVICE})`;
      if (configured && !configured.some((d) => contains(d, cidr)))
        return `allows ${cidr.text}, which is not among the environment's device subnets`;
      return undefined;
    }
    case "cidr6":
      return typeof value === "string"
        ? `allows IPv6 ${value}${value === "::/0" ? ": the whole Internet" : ""}; device subnets are IPv4`
        : "unknown";
    case "group": {
      const target = model.target(value);
      if (!target)
        return typeof value === "string" ? `allows security group ${value}, which is not a device group of this stack` : "unknown";
      return deviceGroups().has(target.address)
        ? undefined
        : `allows security group ${target.address}, which is not a device group (no ingress, not attached to anything the stack creates, or tagged ${ROLE_TAG}=${Role.DEVICE})`;
    }
    case "prefix-list":
      return `allows prefix list ${String(value)}: only device subnets may reach the broker`;
    case "self":
      return "allows the group itself (self): only device subnets may reach the broker";
  }
}
