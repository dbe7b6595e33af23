import { derived, Resource, ReviewModel, tag } from "./model";
import { Role, ROLE_TAG } from "../core/tags";
import { unknown, Violation } from "./rule";
import { asBool } from "./terraform-types";
import { blocks, isRecord, referencesIn, Ref, Unknown, Value } from "./value";

/**
 * The IoT segment as the synthesized JSON shows it. Every VPC in a moat stack is a segment VPC;
 * the broker side is the security groups attached to the `iot.data` interface endpoint (by
 * `security_group_ids`, an association or an ENI attachment) and to any Amazon MQ broker; device subnets carry `moat:role=device`, endpoint subnets
 * `moat:role=endpoint`.
 */

export function hasRole(resource: Resource, role: string): boolean {
  return tag(resource, ROLE_TAG) === role;
}

/** Subnets by their `moat:role` tag, sorted once per model: several rules ask for each role. */
const subnetsByRole = derived((model: ReviewModel): ReadonlyMap<Value | undefined, readonly Resource[]> => {
  const byRole = new Map<Value | undefined, Resource[]>();
  for (const subnet of model.ofType("aws_subnet")) {
    const role = tag(subnet, ROLE_TAG);
    const list = byRole.get(role);
    if (list) list.push(subnet);
    else byRole.set(role, [subnet]);
  }
  return byRole;
});

export function subnetsWithRole(model: ReviewModel, role: string): readonly Resource[] {
  return subnetsByRole(model).get(role) ?? [];
}

/** How a text from {@link knownText} reads in a message: each hole as `${…}`. */
export function showText(text: string): string {
  return text.replace(/\u0000/g, "${…}");
}

// Rules ask for the text of the same policy resources and endpoint names again and again.
const texts = new WeakMap<Unknown, string>();

/** The text of a string value, with each apply-time hole as `\u0000`; undefined when nothing is known. */
export function knownText(value: Value | undefined): string | undefined {
  if (typeof value === "string") return value;
  if (!(value instanceof Unknown) || !value.parts) return undefined;
  let text = texts.get(value);
  if (text === undefined) {
    text = value.parts.map((p) => (typeof p === "string" ? p : "\u0000")).join("");
    texts.set(value, text);
  }
  return text;
}

const IOT_DATA = ".iot.data";

/**
 * What an endpoint's `service_name` says: the IoT data plane, another service, or "unknown" when
 * an apply-time part could still make it end in `.iot.data` (`com.amazonaws.${var.region}.s3`
 * cannot, `${var.service}` can).
 */
function endpointService(endpoint: Resource): "broker" | "other" | "unknown" {
  const text = knownText(endpoint.attributes.service_name);
  if (text === undefined) return "unknown";
  if (text.endsWith(IOT_DATA)) return "broker";
  const hole = text.lastIndexOf("\u0000");
  return hole !== -1 && IOT_DATA.endsWith(text.slice(hole + 1)) ? "unknown" : "other";
}

/** Interface endpoints for the AWS IoT data plane (`com.amazonaws.<region>.iot.data`). */
export const brokerEndpoints = derived((model: ReviewModel): readonly Resource[] =>
  model.ofType("aws_vpc_endpoint").filter((e) => endpointService(e) === "broker"),
);

/** IoT resources that mean the stack runs an IoT Core broker. */
const BROKER_TYPES = ["aws_iot_policy", "aws_iot_ca_certificate", "aws_iot_domain_configuration", "aws_iot_topic_rule"];

export function brokerTypesPresent(model: ReviewModel): boolean {
  return BROKER_TYPES.some((t) => model.ofType(t).length > 0);
}

/** The broker side of the segment's security groups, as far as the file tells. */
export interface BrokerSide {
  /** Addresses of groups on the broker side. */
  readonly groups: ReadonlySet<string>;
  /** Groups that are on the broker side unless an apply-time value says otherwise: their rules are judged, failures reported as unknown. */
  readonly maybe: ReadonlySet<string>;
  /** Why the broker side is not fully known: each is an unknown finding of FW-1. */
  readonly unresolved: readonly { readonly resource: string; readonly message: string }[];
}

/**
 * The security groups of the broker side: those of the iot.data endpoint and of any Amazon MQ
 * broker, however attached: `security_group_ids`, `aws_vpc_endpoint_security_group_association`,
 * or `aws_network_interface_sg_attachment` to one of the endpoint's network interfaces.
 */
export const brokerSecurityGroups = derived((model: ReviewModel): BrokerSide => {
  const groups = new Set<string>();
  const maybe = new Set<string>();
  const unresolved: { resource: string; message: string }[] = [];
  const collect = (owner: Resource, list: Value | undefined, into: Set<string>) => {
    for (const item of blocks(list)) {
      const target = model.target(item);
      if (target) into.add(target.address);
      else
        unresolved.push({
          resource: owner.address,
          message: `security group ${String(item)} is not a group of this stack, so its rules cannot be checked`,
        });
    }
  };
  const sides = new Map<string, Set<string> | undefined>();
  for (const endpoint of model.ofType("aws_vpc_endpoint")) {
    const service = endpointService(endpoint);
    const into = service === "broker" ? groups : service === "unknown" ? maybe : undefined;
    sides.set(endpoint.address, into);
    if (service === "unknown") {
      unresolved.push({
        resource: endpoint.address,
        message: `service_name ${String(endpoint.attributes.service_name)} is known only at apply time: cannot tell whether it is the iot.data endpoint, so the ingress of its security groups is reported as unknown`,
      });
    }
    if (into) collect(endpoint, endpoint.attributes.security_group_ids, into);
  }
  model.ofType("aws_mq_broker").forEach((b) => collect(b, b.attributes.security_groups, groups));
  for (const association of model.ofType("aws_vpc_endpoint_security_group_association")) {
    const { vpc_endpoint_id: endpoint, security_group_id: group } = association.attributes;
    const target = model.target(endpoint);
    if (target?.type === "aws_vpc_endpoint") {
      const into = sides.get(target.address);
      if (into) collect(association, group, into);
      continue;
    }
    unresolved.push({
      resource: association.address,
      message: `cannot tell whether ${String(endpoint)} is the iot.data endpoint, so the ingress of ${String(group)} is reported as unknown`,
    });
    collect(association, group, maybe);
  }
  for (const attachment of model.ofType("aws_network_interface_sg_attachment")) {
    const { network_interface_id: eni, security_group_id: group } = attachment.attributes;
    const targets = [...referencesIn(eni)].map((address) => model.get(address)).filter((t) => t !== undefined);
    const endpointSides = targets.filter((t) => t.type === "aws_vpc_endpoint").map((t) => sides.get(t.address));
    if (endpointSides.includes(groups)) collect(attachment, group, groups);
    else if (endpointSides.includes(maybe)) collect(attachment, group, maybe);
    else if (!targets.some((t) => t.mode === "managed")) {
      // A literal ENI id or a data source: it may be one of the endpoint's interfaces.
      unresolved.push({
        resource: attachment.address,
        message: `cannot tell whether network interface ${String(eni)} belongs to the iot.data endpoint, so the ingress of ${String(group)} is reported as unknown`,
      });
      collect(attachment, group, maybe);
    }
  }
  groups.forEach((g) => maybe.delete(g));
  return { groups, maybe, unresolved };
});

/**
 * Device-side security groups: those tagged `moat:role=device`, and every other group of the
 * stack that is not (or may not be) on the broker side (a moat stack has no third kind of group).
 */
export const deviceSecurityGroups = derived((model: ReviewModel): ReadonlySet<string> => {
  const { groups, maybe } = brokerSecurityGroups(model);
  return new Set(
    model
      .ofType("aws_security_group")
      .filter((g) => hasRole(g, Role.DEVICE) || (!groups.has(g.address) && !maybe.has(g.address)))
      .map((g) => g.address),
  );
});

/**
 * Which side a rule's group is on: "broker", "maybe" (its findings become unknowns, see
 * {@link asUnknownIfMaybe}), or undefined for neither.
 */
export function brokerSideOf(side: BrokerSide, group: string | undefined): "broker" | "maybe" | undefined {
  if (group === undefined) return undefined;
  return side.groups.has(group) ? "broker" : side.maybe.has(group) ? "maybe" : undefined;
}

/** A failure on a group that may be on the broker side, as the unknown it is. */
export function asUnknownIfMaybe(violation: Violation, side: "broker" | "maybe", group: string): Violation {
  if (side === "broker" || violation.unknown) return violation;
  return unknown(violation.resource, `${violation.message} (if ${group} is on the broker side; its endpoint is known only at apply time)`);
}

/** Where traffic of a security group rule comes from or goes to. */
export interface Peer {
  readonly kind: "cidr" | "cidr6" | "group" | "prefix-list" | "self";
  readonly value: Value;
}

/** One security group rule, whichever of the four Terraform spellings wrote it. */
export interface GroupRule {
  /** The resource that writes the rule. */
  readonly resource: string;
  /** Address of the group it belongs to, or undefined when the file cannot tell. */
  readonly group: string | undefined;
  readonly groupValue: Value | undefined;
  readonly direction: "ingress" | "egress";
  readonly protocol: Value | undefined;
  readonly fromPort: Value | undefined;
  readonly toPort: Value | undefined;
  readonly peers: readonly Peer[];
  readonly description: Value | undefined;
}

/** Every security group rule of the model: inline blocks, `aws_security_group_rule` and the `aws_vpc_security_group_*_rule` resources. */
export const groupRules = derived((model: ReviewModel): readonly GroupRule[] => {
  const rules: GroupRule[] = [];
  for (const type of ["aws_security_group", "aws_default_security_group"]) {
    for (const group of model.ofType(type)) {
      for (const direction of ["ingress", "egress"] as const) {
        for (const block of blocks(group.attributes[direction])) {
          const b = isRecord(block) ? block : {};
          rules.push({
            resource: group.address,
            group: group.address,
            groupValue: undefined,
            direction,
            protocol: b.protocol,
            fromPort: b.from_port,
            toPort: b.to_port,
            peers: peersOf(
              [
                ["cidr", b.cidr_blocks],
                ["cidr6", b.ipv6_cidr_blocks],
                ["group", b.security_groups],
                ["prefix-list", b.prefix_list_ids],
              ],
              asBool(b.self) !== false && b.self !== undefined && b.self !== null,
            ),
            description: b.description,
          });
        }
      }
    }
  }
  for (const r of model.ofType("aws_security_group_rule")) {
    const a = r.attributes;
    rules.push({
      resource: r.address,
      group: groupAddress(model, a.security_group_id),
      groupValue: a.security_group_id,
      direction: a.type === "egress" ? "egress" : "ingress",
      protocol: a.protocol,
      fromPort: a.from_port,
      toPort: a.to_port,
      peers: peersOf(
        [
          ["cidr", a.cidr_blocks],
          ["cidr6", a.ipv6_cidr_blocks],
          ["group", single(a.source_security_group_id)],
          ["prefix-list", a.prefix_list_ids],
        ],
        asBool(a.self) !== false && a.self !== undefined && a.self !== null,
      ),
      description: a.description,
    });
  }
  for (const direction of ["ingress", "egress"] as const) {
    for (const r of model.ofType(`aws_vpc_security_group_${direction}_rule`)) {
      const a = r.attributes;
      rules.push({
        resource: r.address,
        group: groupAddress(model, a.security_group_id),
        groupValue: a.security_group_id,
        direction,
        protocol: a.ip_protocol,
        fromPort: a.from_port,
        toPort: a.to_port,
        peers: peersOf(
          [
            ["cidr", single(a.cidr_ipv4)],
            ["cidr6", single(a.cidr_ipv6)],
            ["group", single(a.referenced_security_group_id)],
            ["prefix-list", single(a.prefix_list_id)],
          ],
          false,
        ),
        description: a.description,
      });
    }
  }
  return rules;
});

/** The peers of a rule from its source lists (an unresolved list is one unknown peer), and `self`. */
function peersOf(lists: readonly (readonly [Peer["kind"], Value | undefined])[], self: boolean): Peer[] {
  const peers: Peer[] = [];
  for (const [kind, list] of lists) {
    if (list instanceof Unknown || list instanceof Ref) peers.push({ kind, value: list });
    else for (const value of blocks(list)) peers.push({ kind, value });
  }
  if (self) peers.push({ kind: "self", value: true });
  return peers;
}

/** A single-valued source as a list of itself, or nothing. */
function single(value: Value | undefined): Value | undefined {
  return value === undefined ? undefined : [value];
}

/** The address of the group a `security_group_id` points at; `aws_vpc.x.default_security_group_id` means the VPC's default group. */
export function groupAddress(model: ReviewModel, value: Value | undefined): string | undefined {
  if (!(value instanceof Ref)) return undefined;
  if (value.attribute === "default_security_group_id") {
    const managed = model
      .ofType("aws_default_security_group")
      .find((g) => g.attributes.vpc_id instanceof Ref && g.attributes.vpc_id.address === value.address);
    return managed?.address ?? `${value.address}.default_security_group_id`;
  }
  // Only a group this stack manages is known: a data source may name any group, the broker's included.
  const target = model.get(value.address);
  return target?.mode === "managed" && (target.type === "aws_security_group" || target.type === "aws_default_security_group")
    ? value.address
    : undefined;
}

/** A port or protocol as a number or string; other values (unknowns) as undefined. */
export function scalar(value: Value | undefined): string | number | undefined {
  return typeof value === "string" || typeof value === "number" ? value : undefined;
}

/** True for protocol spellings meaning "every protocol". */
export function isAllProtocols(protocol: Value | undefined): boolean {
  return protocol === "-1" || protocol === -1 || protocol === "all";
}

export function isTcp(protocol: Value | undefined): boolean {
  return protocol === "tcp" || protocol === "6" || protocol === 6;
}

/** The port range of a rule as numbers, or undefined when a port is not known. */
export function portRange(rule: { fromPort: Value | undefined; toPort: Value | undefined }): [number, number] | undefined {
  const from = Number(scalar(rule.fromPort));
  const to = Number(scalar(rule.toPort));
  return Number.isFinite(from) && Number.isFinite(to) && scalar(rule.fromPort) !== undefined && scalar(rule.toPort) !== undefined
    ? [from, to]
    : undefined;
}

/** True when a value could not be decided from the file. */
export function isOpen(value: Value | undefined): boolean {
  return value instanceof Unknown || value instanceof Ref;
}

/** Security group rule resources: they write a group's rules, they do not put the group on anything. */
export const SECURITY_GROUP_RULE_TYPES: ReadonlySet<string> = new Set([
  "aws_security_group",
  "aws_security_group_rule",
  "aws_vpc_security_group_ingress_rule",
  "aws_vpc_security_group_egress_rule",
]);

/**
 * Groups the stack puts on something (an endpoint, an instance, a function, an interface): a device group is attached by
 * the devices' own tooling, never by the stack, so such a group is not one.
 */
export function attachedGroups(model: ReviewModel): ReadonlySet<string> {
  return groupHolders(model).attached;
}

/**
 * The resources that put each attached group on something, in file order, found in the one walk
 * of every resource's references that {@link attachedGroups} needs anyway.
 */
export const groupHolders = derived(
  (model: ReviewModel): { attached: ReadonlySet<string>; holders: ReadonlyMap<string, readonly Resource[]> } => {
    const groups = new Set(model.ofType("aws_security_group").map((g) => g.address));
    const attached = new Set<string>();
    const holders = new Map<string, Resource[]>();
    if (groups.size === 0) return { attached, holders };
    for (const resource of model.resources) {
      if (resource.mode !== "managed" || SECURITY_GROUP_RULE_TYPES.has(resource.type)) continue;
      for (const address of resource.references) {
        if (!groups.has(address)) continue;
        attached.add(address);
        const list = holders.get(address);
        if (list) list.push(resource);
        else holders.set(address, [resource]);
      }
    }
    return { attached, holders };
  },
);

/** The CIDRs of a managed prefix list of this stack (its entry blocks and entry resources), or undefined when it is not one. */
export function prefixListCidrs(model: ReviewModel, value: Value): Value[] | undefined {
  const list = model.target(value);
  if (list?.type !== "aws_ec2_managed_prefix_list") return undefined;
  const inline = blocks(list.attributes.entry).flatMap((e) => (isRecord(e) ? [e.cidr] : []));
  const separate = model
    .ofType("aws_ec2_managed_prefix_list_entry")
    .filter((e) => model.target(e.attributes.prefix_list_id)?.address === list.address)
    .map((e) => e.attributes.cidr);
  return [...inline, ...separate];
}

/** The attributes that name a route's target, in the order the provider documents them. */
export const ROUTE_TARGETS: readonly string[] = [
  "gateway_id",
  "nat_gateway_id",
  "egress_only_gateway_id",
  "transit_gateway_id",
  "vpc_peering_connection_id",
  "network_interface_id",
  "instance_id",
  "vpc_endpoint_id",
  "carrier_gateway_id",
  "local_gateway_id",
  "core_network_arn",
];

/** A route's destination: `aws_route` names it `destination_*`, a route table's inline `route` block without the prefix. */
export function routeDestination(route: Record<string, Value>): Value | undefined {
  return (
    route.destination_cidr_block ??
    route.cidr_block ??
    route.destination_ipv6_cidr_block ??
    route.ipv6_cidr_block ??
    route.destination_prefix_list_id
  );
}
