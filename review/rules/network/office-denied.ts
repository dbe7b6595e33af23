import { contains, overlaps } from "../../../core/cidr";
import { cidrOf } from "../../cidr-value";
import { AclEntry, aclAssociations, aclEntries, subnetAcls } from "../../network-acl";
import { fail, RuleCheck, STACK, unknown, Violation } from "../../rule";
import { groupRules, isAllProtocols } from "../../segment";
import { blocks, isRecord, Value } from "../../value";

/** NET-6: every office CIDR of the environment is denied both ways by each subnet's ACL, before any allow, and never routed to or allowed by a security group rule. */
export const officeDenied: RuleCheck = (model, context) => {
  if (context.officeCidrs === undefined) {
    return [
      unknown(
        STACK,
        "the environment's office CIDRs are not known; review with the environment (moat review --env E) so they can be checked",
      ),
    ];
  }
  const violations: Violation[] = [];
  const offices = context.officeCidrs.map((text) => ({ text, cidr: cidrOf(text) }));
  const destinations: { resource: string; value: Value | undefined }[] = [];
  for (const table of [...model.ofType("aws_route_table"), ...model.ofType("aws_default_route_table")]) {
    blocks(table.attributes.route).forEach((r) =>
      destinations.push({ resource: table.address, value: isRecord(r) ? r.cidr_block : undefined }),
    );
  }
  model.ofType("aws_route").forEach((r) => destinations.push({ resource: r.address, value: r.attributes.destination_cidr_block }));

  const entriesByAcl = new Map<string, AclEntry[]>();
  for (const entry of aclEntries(model)) {
    if (entry.acl === undefined) continue;
    const list = entriesByAcl.get(entry.acl);
    if (list) list.push(entry);
    else entriesByAcl.set(entry.acl, [entry]);
  }
  const { unresolved } = aclAssociations(model);
  // A subnet has one ACL: each ACL that may be it (several claimants, or the default) must deny on its own.
  const subnetUses = new Map(
    subnetAcls(model).map(({ subnet, acls, defaultAcl }) => [subnet.address, acls.length > 0 ? acls : defaultAcl ? [defaultAcl] : []]),
  );
  for (const office of offices) {
    if (!office.cidr) {
      violations.push(fail(STACK, `office CIDR ${office.text} from the environment is not an IPv4 CIDR`));
      continue;
    }
    const cidr = office.cidr;
    for (const d of destinations) {
      const destination = cidrOf(d.value);
      if (destination && overlaps(destination, cidr))
        violations.push(fail(d.resource, `routes ${destination.text}, which overlaps office network ${office.text}`));
    }
    for (const rule of groupRules(model)) {
      for (const peer of rule.peers) {
        const source = peer.kind === "cidr" ? cidrOf(peer.value) : undefined;
        // Wider sources (0.0.0.0/0) are FW-2's and FW-3's findings; here, rules aimed at the office.
        if (source && contains(cidr, source))
          violations.push(fail(rule.resource, `${rule.direction} rule allows ${source.text}, inside office network ${office.text}`));
      }
    }
    for (const subnet of model.ofType("aws_subnet")) {
      const acls = subnetUses.get(subnet.address) ?? [];
      if (acls.length === 0) {
        if (unresolved.length === 0) violations.push(fail(subnet.address, `no network ACL denies office network ${office.text}`));
        continue;
      }
      for (const acl of acls) {
        const entries = entriesByAcl.get(acl) ?? [];
        for (const egress of [false, true]) {
          const verdict = deniedFirst(
            entries.filter((e) => e.egress === egress || e.egress === "unknown"),
            cidr,
          );
          const way = egress ? "egress to" : "ingress from";
          if (verdict === "unknown")
            violations.push(
              unknown(
                subnet.address,
                `cannot tell whether ${acl} denies ${way} office network ${office.text}: an entry is known only at apply time`,
              ),
            );
          else if (!verdict)
            violations.push(fail(subnet.address, `${acl} does not deny ${way} office network ${office.text} before any allow`));
        }
      }
    }
  }
  return violations;
};

/** True when a deny of every protocol covering `office` comes before every allow that overlaps it (ACLs apply the lowest rule number first). */
function deniedFirst(entries: AclEntry[], office: NonNullable<ReturnType<typeof cidrOf>>): boolean | "unknown" {
  let deny = Infinity;
  let allow = Infinity;
  for (const entry of entries) {
    const number = typeof entry.ruleNumber === "number" ? entry.ruleNumber : NaN;
    const cidr = cidrOf(entry.cidr);
    if (entry.ipv6Cidr !== undefined && entry.ipv6Cidr !== null && (entry.cidr === undefined || entry.cidr === null)) continue;
    if (!cidr || Number.isNaN(number) || entry.egress === "unknown") return "unknown";
    if (entry.action === "deny" && isAllProtocols(entry.protocol) && contains(cidr, office)) deny = Math.min(deny, number);
    if (entry.action === "allow" && overlaps(cidr, office)) allow = Math.min(allow, number);
  }
  return deny < allow;
}
