import { Cidr, contains } from "../../../core/cidr";
import { cidrOf } from "../../cidr-value";
import { ReviewModel } from "../../model";
import { AclEntry, aclAssociations, aclEntries, subnetAcls } from "../../network-acl";
import { MQTT_TLS_PORT } from "../../ports";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { hasRole, isAllProtocols, isTcp, subnetsWithRole } from "../../segment";
import { Role, ROLE_TAG } from "../../../core/tags";
import { asNumber } from "../../terraform-types";
import { Ref } from "../../value";

/** Ephemeral ports: where replies to a device's MQTT connection come back. */
const EPHEMERAL: readonly [number, number] = [1024, 65535];

/** What one direction of a subnet's ACL may allow: TCP, within a port range, from or to the subnets of one role. */
interface Allowance {
  readonly ports: readonly [number, number];
  readonly peerRole: string;
}

/**
 * The traffic each kind of subnet needs, and so all its ACL may allow (the VPC resolver is not
 * filtered by ACLs, so DNS needs no entry): devices send TCP 8883 to the endpoint subnets and take
 * the replies on ephemeral ports; the endpoint subnets the reverse. Any other subnet needs nothing.
 */
const SCOPES: Readonly<Record<string, { readonly ingress: Allowance; readonly egress: Allowance }>> = {
  [Role.DEVICE]: {
    egress: { ports: [MQTT_TLS_PORT, MQTT_TLS_PORT], peerRole: Role.ENDPOINT },
    ingress: { ports: EPHEMERAL, peerRole: Role.ENDPOINT },
  },
  [Role.ENDPOINT]: {
    ingress: { ports: [MQTT_TLS_PORT, MQTT_TLS_PORT], peerRole: Role.DEVICE },
    egress: { ports: EPHEMERAL, peerRole: Role.DEVICE },
  },
};

/**
 * Every subnet has exactly one network ACL of the stack's, and that ACL allows nothing
 * beyond what the subnet's role needs (an allow-all entry, one split into halves, a lateral allow
 * to the whole VPC, any Internet range are all outside it). The default ACL allows nothing.
 */
export const subnetAclsScoped: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const { unresolved } = aclAssociations(model);
  unresolved.forEach((u) => violations.push(unknown(u.resource, `subnet association ${String(u.value)} cannot be placed from the file`)));
  const byAcl = new Map<string, AclEntry[]>();
  for (const entry of aclEntries(model)) {
    if (entry.acl === undefined) {
      violations.push(
        unknown(entry.resource, "an ACL rule whose network ACL is not one of this stack's: cannot tell which subnets it opens"),
      );
      continue;
    }
    const list = byAcl.get(entry.acl);
    if (list) list.push(entry);
    else byAcl.set(entry.acl, [entry]);
  }
  const judged = new Set<string>();
  // The peer subnets' CIDRs by role, once: every entry of every ACL is judged against them.
  const peersByRole = new Map(
    Object.values(Role).map((role) => [
      role as string,
      subnetsWithRole(model, role)
        .map((s) => cidrOf(s.attributes.cidr_block))
        .filter((c) => c !== undefined),
    ]),
  );
  for (const { subnet, acls, defaultAcl } of subnetAcls(model)) {
    if (acls.length > 1) {
      violations.push(
        fail(
          subnet.address,
          `is claimed by ${acls.length} network ACLs (${acls.join(", ")}): a subnet has exactly one, the last association AWS applies wins, so the rules of only one of them hold`,
        ),
      );
    }
    const used = acls.length > 0 ? acls : defaultAcl ? [defaultAcl] : [];
    if (used.length === 0 && unresolved.length === 0)
      violations.push(
        fail(
          subnet.address,
          "no network ACL is associated and the VPC's default ACL is not managed: the subnet gets AWS's allow-all default ACL",
        ),
      );
    const role = Object.keys(SCOPES).find((r) => hasRole(subnet, r));
    for (const acl of used) {
      const key = `${acl} ${role}`;
      if (judged.has(key)) continue;
      judged.add(key);
      for (const entry of byAcl.get(acl) ?? []) {
        const problem = outOfScope(model, entry, role, peersByRole);
        if (problem) violations.push(problem);
      }
    }
  }
  // The default ACL is where every subnet made outside this stack lands: it allows nothing.
  for (const acl of model.ofType("aws_default_network_acl")) {
    if (judged.has(`${acl.address} undefined`)) continue;
    for (const entry of byAcl.get(acl.address) ?? []) {
      const problem = outOfScope(model, entry, undefined, peersByRole);
      if (problem) violations.push(problem);
    }
  }
  return violations;
};

/** Why an ACL entry allows more than a subnet of `role` needs; undefined when it does not. */
function outOfScope(
  model: ReviewModel,
  entry: AclEntry,
  role: string | undefined,
  peersByRole: ReadonlyMap<string, readonly Cidr[]>,
): Violation | undefined {
  if (entry.action === "deny") return undefined;
  const where = `rule ${String(entry.ruleNumber)} of ${entry.acl}`;
  if (typeof entry.action !== "string") return unknown(entry.resource, `${where}: its action is known only at apply time`);
  if (entry.egress === "unknown")
    return unknown(entry.resource, `${where}: whether it applies to ingress or egress is known only at apply time`);
  const direction = entry.egress ? "egress" : "ingress";
  const scope = role === undefined ? undefined : SCOPES[role][direction];
  const what = `${where} allows ${direction} ${describe(entry)}`;
  if (scope === undefined)
    return fail(
      entry.resource,
      `${what}; ${role === undefined ? `a subnet without a ${ROLE_TAG} role, or the default ACL,` : `a ${role} subnet`} needs no ${direction} allow at all`,
    );
  if (entry.ipv6Cidr !== undefined && entry.ipv6Cidr !== null) return fail(entry.resource, `${what}: the segment is IPv4 only`);
  if (isAllProtocols(entry.protocol)) return fail(entry.resource, `${what}: every protocol and port`);
  if (!isTcp(entry.protocol))
    return typeof entry.protocol === "string" || typeof entry.protocol === "number"
      ? fail(entry.resource, `${what}: only TCP is needed`)
      : unknown(entry.resource, `${where}: its protocol is known only at apply time`);
  const from = asNumber(entry.fromPort);
  const to = asNumber(entry.toPort);
  if (from === "unknown" || to === "unknown") return unknown(entry.resource, `${where}: its ports are known only at apply time`);
  if (from === undefined || to === undefined || from < scope.ports[0] || to > scope.ports[1])
    return fail(entry.resource, `${what}: a ${role} subnet needs ${direction} TCP ${scope.ports[0]}-${scope.ports[1]} only`);
  const peer = peerCidr(model, entry.cidr);
  if (peer === "unknown") return unknown(entry.resource, `${where}: its CIDR ${String(entry.cidr)} is known only at apply time`);
  const peers = peersByRole.get(scope.peerRole) ?? [];
  if (peer === undefined || !peers.some((p) => contains(p, peer))) {
    return fail(entry.resource, `${what}: a ${role} subnet talks only to the ${scope.peerRole} subnets (${ROLE_TAG}=${scope.peerRole})`);
  }
  return undefined;
}

/** The CIDR an entry names: a literal, or a subnet's `cidr_block` by reference. */
function peerCidr(model: ReviewModel, value: AclEntry["cidr"]): ReturnType<typeof cidrOf> | "unknown" {
  if (value instanceof Ref) {
    const target = model.get(value.address);
    return target?.type === "aws_subnet" && value.attribute === "cidr_block"
      ? (cidrOf(target.attributes.cidr_block) ?? "unknown")
      : "unknown";
  }
  if (typeof value === "string") return cidrOf(value);
  return "unknown";
}

function describe(entry: AclEntry): string {
  const cidr = entry.ipv6Cidr ?? entry.cidr;
  return `${String(entry.protocol)} ${String(entry.fromPort ?? "")}-${String(entry.toPort ?? "")} ${entry.egress ? "to" : "from"} ${String(cidr)}`;
}
