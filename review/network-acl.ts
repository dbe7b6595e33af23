import { derived, Resource, ReviewModel } from "./model";
import { asBool, asNumber } from "./terraform-types";
import { blocks, isRecord, Ref, Value } from "./value";

/** One network ACL entry, inline or an `aws_network_acl_rule`. */
export interface AclEntry {
  readonly resource: string;
  /** Address of the ACL it belongs to, undefined when the file cannot tell. */
  readonly acl: string | undefined;
  /** "unknown" when only apply time says which way the entry applies. */
  readonly egress: boolean | "unknown";
  readonly ruleNumber: number | "unknown" | undefined;
  readonly action: Value | undefined;
  readonly protocol: Value | undefined;
  readonly cidr: Value | undefined;
  readonly ipv6Cidr: Value | undefined;
  readonly fromPort: Value | undefined;
  readonly toPort: Value | undefined;
}

const ACL_TYPES = ["aws_network_acl", "aws_default_network_acl"];

export const aclEntries = derived((model: ReviewModel): readonly AclEntry[] => {
  const entries: AclEntry[] = [];
  for (const type of ACL_TYPES) {
    for (const acl of model.ofType(type)) {
      for (const direction of ["ingress", "egress"]) {
        for (const block of blocks(acl.attributes[direction])) {
          const b = isRecord(block) ? block : {};
          entries.push({
            resource: acl.address,
            acl: acl.address,
            egress: direction === "egress",
            ruleNumber: asNumber(b.rule_no),
            action: b.action,
            protocol: b.protocol,
            cidr: b.cidr_block,
            ipv6Cidr: b.ipv6_cidr_block,
            fromPort: b.from_port,
            toPort: b.to_port,
          });
        }
      }
    }
  }
  for (const rule of model.ofType("aws_network_acl_rule")) {
    const a = rule.attributes;
    entries.push({
      resource: rule.address,
      acl: model.target(a.network_acl_id)?.address,
      egress: asBool(a.egress) ?? false,
      ruleNumber: asNumber(a.rule_number),
      action: a.rule_action,
      protocol: a.protocol,
      cidr: a.cidr_block,
      ipv6Cidr: a.ipv6_cidr_block,
      fromPort: a.from_port,
      toPort: a.to_port,
    });
  }
  return entries;
});

/**
 * Subnet address -> addresses of the ACLs associated with it, from `subnet_ids` and
 * `aws_network_acl_association`; `unresolved` lists associations the file cannot place.
 */
export const aclAssociations = derived(
  (model: ReviewModel): { bySubnet: ReadonlyMap<string, string[]>; unresolved: readonly { resource: string; value: Value }[] } => {
    const bySubnet = new Map<string, string[]>();
    const unresolved: { resource: string; value: Value }[] = [];
    const associate = (resource: string, subnet: Value, acl: string | undefined) => {
      const target = model.target(subnet);
      if (!target || !acl) {
        unresolved.push({ resource, value: subnet });
        return;
      }
      const list = bySubnet.get(target.address);
      if (list) list.push(acl);
      else bySubnet.set(target.address, [acl]);
    };
    for (const type of ACL_TYPES) {
      for (const acl of model.ofType(type)) {
        const ids = acl.attributes.subnet_ids;
        if (ids instanceof Ref || (ids !== undefined && !Array.isArray(ids))) unresolved.push({ resource: acl.address, value: ids });
        else blocks(ids).forEach((s) => associate(acl.address, s, acl.address));
      }
    }
    for (const association of model.ofType("aws_network_acl_association")) {
      associate(association.address, association.attributes.subnet_id, model.target(association.attributes.network_acl_id)?.address);
    }
    return { bySubnet, unresolved };
  },
);

/**
 * The ACL of each subnet. A subnet has exactly one network ACL: an association replaces the
 * previous one, so two resources claiming a subnet leave it with whichever AWS applied last, not
 * with a merge of both. `acls` holds every claimant (more than one is itself a finding); a subnet
 * no resource claims has its VPC's default ACL (`defaultAcl`, the managed aws_default_network_acl,
 * or undefined when the stack leaves AWS's allow-all default in place).
 */
export interface SubnetAcl {
  readonly subnet: Resource;
  readonly acls: readonly string[];
  readonly defaultAcl: string | undefined;
}

export const subnetAcls = derived((model: ReviewModel): readonly SubnetAcl[] => {
  const { bySubnet } = aclAssociations(model);
  const defaults = new Map<string, string>();
  for (const acl of model.ofType("aws_default_network_acl")) {
    const id = acl.attributes.default_network_acl_id;
    if (id instanceof Ref && id.attribute === "default_network_acl_id") defaults.set(id.address, acl.address);
  }
  return model.ofType("aws_subnet").map((subnet) => {
    const vpc = subnet.attributes.vpc_id;
    return {
      subnet,
      acls: [...new Set(bySubnet.get(subnet.address) ?? [])],
      defaultAcl: vpc instanceof Ref ? defaults.get(vpc.address) : undefined,
    };
  });
});
