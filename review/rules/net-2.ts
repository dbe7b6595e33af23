import { Resource } from "../model";
import { fail, RuleCheck, unknown, Violation } from "../rule";
import { blocks, isRecord, Value } from "../value";

/** Route targets that leave the VPC. `gateway_id = "local"` is the VPC's own route and stays. */
const LEAVING_TARGETS = [
  "gateway_id",
  "nat_gateway_id",
  "egress_only_gateway_id",
  "vpc_peering_connection_id",
  "transit_gateway_id",
  "carrier_gateway_id",
  "local_gateway_id",
  "core_network_arn",
  "network_interface_id",
  "instance_id",
];

/** Resources that connect a VPC to another network, whatever the route tables say. */
const CONNECTIONS = ["aws_vpc_peering_connection", "aws_ec2_transit_gateway_vpc_attachment", "aws_vpn_gateway", "aws_vpn_gateway_attachment", "aws_vpn_connection", "aws_vpn_gateway_route_propagation"];

/** NET-2: route tables have local routes only: nothing to a gateway, NAT, peering, transit gateway or VPN. */
export const localRoutesOnly: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const checkRoute = (owner: Resource, route: Record<string, Value>) => {
    for (const target of LEAVING_TARGETS) {
      const value = route[target];
      if (value === undefined || value === null || value === "") continue;
      if (target === "gateway_id" && value === "local") continue;
      const destination = route.destination_cidr_block ?? route.cidr_block ?? route.destination_ipv6_cidr_block ?? route.ipv6_cidr_block ?? route.destination_prefix_list_id;
      if (target === "gateway_id" && typeof value !== "string" && !model.target(value)) {
        violations.push(unknown(owner.address, `route to ${String(destination)} has gateway_id ${String(value)}, not known to be "local"`));
      } else {
        violations.push(fail(owner.address, `route to ${String(destination)} leaves the segment through ${target} ${String(value)}`));
      }
    }
  };
  for (const type of ["aws_route_table", "aws_default_route_table"]) {
    for (const table of model.ofType(type)) {
      for (const route of blocks(table.attributes.route)) if (isRecord(route)) checkRoute(table, route);
    }
  }
  model.ofType("aws_route").forEach((r) => checkRoute(r, r.attributes));
  for (const type of CONNECTIONS) {
    model.ofType(type).forEach((c) => violations.push(fail(c.address, `${c.type} connects the IoT segment to another network`)));
  }
  return violations;
};
