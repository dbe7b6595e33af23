import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { asBool } from "../../terraform-types";

/** Subnet attributes that hand out public addresses. */
const PUBLIC_ADDRESSING = ["map_public_ip_on_launch", "assign_ipv6_address_on_creation", "map_customer_owned_ip_on_launch"];

/** NET-3: no subnet maps public IPs on launch. */
export const noPublicIps: RuleCheck = (model) => {
  const violations: Violation[] = [];
  for (const subnet of model.ofType("aws_subnet")) {
    for (const attribute of PUBLIC_ADDRESSING) {
      const value = subnet.attributes[attribute];
      const on = asBool(value);
      if (on === true) violations.push(fail(subnet.address, `${attribute} is true: instances launched here get a public address`));
      else if (on === "unknown") violations.push(unknown(subnet.address, `${attribute} is ${String(value)}, not known to be false`));
    }
  }
  model.ofType("aws_eip").forEach((eip) => violations.push(fail(eip.address, "an Elastic IP is a public address in the segment")));
  model
    .ofType("aws_eip_association")
    .forEach((a) => violations.push(fail(a.address, "associates a public (Elastic) IP with an instance or interface in the segment")));
  return violations;
};
