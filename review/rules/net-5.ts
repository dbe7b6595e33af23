import { aclAssociations, aclEntries } from "../network-acl";
import { fail, RuleCheck, unknown, Violation } from "../rule";
import { isAllProtocols, portRange } from "../segment";

const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

/** NET-5: every subnet has a network ACL of its own, and no ACL allows everything from or to anywhere. */
export const subnetAcls: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const { bySubnet, unresolved } = aclAssociations(model);
  unresolved.forEach((u) => violations.push(unknown(u.resource, `subnet association ${String(u.value)} cannot be placed from the file`)));
  for (const subnet of model.ofType("aws_subnet")) {
    if (!bySubnet.has(subnet.address) && unresolved.length === 0) violations.push(fail(subnet.address, "no network ACL is associated: the subnet falls back to the VPC's default ACL"));
  }
  for (const entry of aclEntries(model)) {
    if (entry.action !== "allow") continue;
    const cidr = typeof entry.cidr === "string" ? entry.cidr : typeof entry.ipv6Cidr === "string" ? entry.ipv6Cidr : undefined;
    const range = portRange(entry);
    const everyPort = isAllProtocols(entry.protocol) || (range !== undefined && range[0] <= 0 && range[1] >= 65535);
    if (cidr !== undefined && ANYWHERE.has(cidr) && everyPort) {
      violations.push(fail(entry.resource, `rule ${String(entry.ruleNumber)} allows all ${entry.egress ? "egress to" : "ingress from"} ${cidr}`));
    }
  }
  return violations;
};
