import { derived, Resource, ReviewModel, tag } from "./model";
import { Role, ROLE_TAG } from "./tags";
import { blocks, isRecord, Ref, Unknown, Value } from "./value";

/**
 * The IoT segment as the synthesized JSON shows it. Every VPC in a moat stack is a segment VPC;
 * the broker side is the security groups attached to the `iot.data` interface endpoint (and to
 * any Amazon MQ broker); device subnets carry `moat:role=device`, endpoint subnets
 * `moat:role=endpoint`.
 */

export function hasRole(resource: Resource, role: string): boolean {
  return tag(resource, ROLE_TAG) === role;
}

export function subnetsWithRole(model: ReviewModel, role: string): Resource[] {
  return model.ofType("aws_subnet").filter((s) => hasRole(s, role));
}

/** How a text from {@link knownText} reads in a message: each hole as `${…}`. */
export function showText(text: string): string {
  return text.replace(/\u0000/g, "${…}");
}

/** The text of a string value, with each apply-time hole as `\u0000`; undefined when nothing is known. */
export function knownText(value: Value | undefined): string | undefined {
  if (typeof value === "string") return value;
  if (value instanceof Unknown && value.parts) return value.parts.map((p) => (typeof p === "string" ? p : "\u0000")).join("");
  return undefined;
}

/** Interface endpoints for the AWS IoT data plane (`com.amazonaws.<region>.iot.data`). */
export function brokerEndpoints(model: ReviewModel): Resource[] {
  return model.ofType("aws_vpc_endpoint").filter((e) => knownText(e.attributes.service_name)?.endsWith(".iot.data"));
}

/** IoT resources that mean the stack runs an IoT Core broker. */
const BROKER_TYPES = ["aws_iot_policy", "aws_iot_ca_certificate", "aws_iot_domain_configuration", "aws_iot_topic_rule"];

export function brokerTypesPresent(model: ReviewModel): boolean {
  return BROKER_TYPES.some((t) => model.ofType(t).length > 0);
}

/** Addresses of security groups the broker side uses, and the values that could not be resolved. */
export const brokerSecurityGroups = derived((model: ReviewModel): { groups: ReadonlySet<string>; unresolved: readonly { resource: string; value: Value }[] } => {
  const groups = new Set<string>();
  const unresolved: { resource: string; value: Value }[] = [];
  const collect = (owner: Resource, list: Value | undefined) => {
    for (const item of blocks(list)) {
      const target = model.target(item);
      if (target) groups.add(target.address);
      else unresolved.push({ resource: owner.address, value: item });
    }
  };
  brokerEndpoints(model).forEach((e) => collect(e, e.attributes.security_group_ids));
  model.ofType("aws_mq_broker").forEach((b) => collect(b, b.attributes.security_groups));
  return { groups, unresolved };
});

/**
 * Device-side security groups: those tagged `moat:role=device`, and every other group of the
 * stack that is not on the broker side (a moat stack has no third kind of group).
 */
export function deviceSecurityGroups(model: ReviewModel): Set<string> {
  const broker = brokerSecurityGroups(model).groups;
  return new Set(model.ofType("aws_security_group").filter((g) => hasRole(g, Role.DEVICE) || !broker.has(g.address)).map((g) => g.address));
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
            peers: [
              ...listPeers("cidr", b.cidr_blocks),
              ...listPeers("cidr6", b.ipv6_cidr_blocks),
              ...listPeers("group", b.security_groups),
              ...listPeers("prefix-list", b.prefix_list_ids),
              ...(b.self === true ? [{ kind: "self" as const, value: true }] : []),
            ],
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
      peers: [
        ...listPeers("cidr", a.cidr_blocks),
        ...listPeers("cidr6", a.ipv6_cidr_blocks),
        ...listPeers("group", a.source_security_group_id === undefined ? undefined : [a.source_security_group_id]),
        ...listPeers("prefix-list", a.prefix_list_ids),
        ...(a.self === true ? [{ kind: "self" as const, value: true }] : []),
      ],
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
        peers: [
          ...listPeers("cidr", a.cidr_ipv4 === undefined ? undefined : [a.cidr_ipv4]),
          ...listPeers("cidr6", a.cidr_ipv6 === undefined ? undefined : [a.cidr_ipv6]),
          ...listPeers("group", a.referenced_security_group_id === undefined ? undefined : [a.referenced_security_group_id]),
          ...listPeers("prefix-list", a.prefix_list_id === undefined ? undefined : [a.prefix_list_id]),
        ],
        description: a.description,
      });
    }
  }
  return rules;
});

function listPeers(kind: Peer["kind"], list: Value | undefined): Peer[] {
  if (list instanceof Unknown || list instanceof Ref) return [{ kind, value: list }];
  return blocks(list).map((value) => ({ kind, value }));
}

/** The address of the group a `security_group_id` points at; `aws_vpc.x.default_security_group_id` means the VPC's default group. */
export function groupAddress(model: ReviewModel, value: Value | undefined): string | undefined {
  if (!(value instanceof Ref)) return undefined;
  if (value.attribute === "default_security_group_id") {
    const managed = model.ofType("aws_default_security_group").find((g) => g.attributes.vpc_id instanceof Ref && g.attributes.vpc_id.address === value.address);
    return managed?.address ?? `${value.address}.default_security_group_id`;
  }
  return model.get(value.address) ? value.address : undefined;
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
  return Number.isFinite(from) && Number.isFinite(to) && scalar(rule.fromPort) !== undefined && scalar(rule.toPort) !== undefined ? [from, to] : undefined;
}

/** True when a value could not be decided from the file. */
export function isOpen(value: Value | undefined): boolean {
  return value instanceof Unknown || value instanceof Ref;
}
