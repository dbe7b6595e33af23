import { Resource } from "../../model";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { brokerEndpoints, routeDestination } from "../../segment";
import { blocks, isRecord, Value } from "../../value";

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
  // A Gateway Load Balancer endpoint sends the traffic to appliances outside the segment.
  "vpc_endpoint_id",
];

/** Resources that connect a VPC to another network, whatever the route tables say. */
const CONNECTIONS = [
  "aws_vpc_peering_connection",
  "aws_vpc_peering_connection_accepter",
  "aws_ec2_transit_gateway_vpc_attachment",
  "aws_vpn_gateway",
  "aws_vpn_gateway_attachment",
  "aws_vpn_connection",
  "aws_vpn_gateway_route_propagation",
];

/** NET-2: route tables have local routes only: nothing to a gateway, NAT, peering, transit gateway or VPN. */
export const localRoutesOnly: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const checkRoute = (owner: Resource, route: Record<string, Value>) => {
    for (const target of LEAVING_TARGETS) {
      const value = route[target];
      if (value === undefined || value === null || value === "") continue;
      if (target === "gateway_id" && value === "local") continue;
      const destination = routeDestination(route);
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
      const vgws = table.attributes.propagating_vgws;
      if (vgws !== undefined && vgws !== null && !(Array.isArray(vgws) && vgws.length === 0)) {
        violations.push(
          fail(table.address, `propagating_vgws ${String(vgws)}: a VPN gateway propagates the routes of another network into the segment`),
        );
      }
    }
  }
  // An edge association routes a gateway's inbound traffic through the table: a way in.
  for (const association of model.ofType("aws_route_table_association")) {
    const gateway = association.attributes.gateway_id;
    if (gateway !== undefined && gateway !== null && gateway !== "")
      violations.push(
        fail(
          association.address,
          `associates the route table with gateway ${String(gateway)}: traffic from outside the segment enters through it`,
        ),
      );
  }
  // Any endpoint but the broker's leads out: to another AWS service, a third party's PrivateLink service, or an appliance.
  const broker = new Set(brokerEndpoints(model).map((e) => e.address));
  for (const endpoint of model.ofType("aws_vpc_endpoint")) {
    if (broker.has(endpoint.address)) continue;
    const service = endpoint.attributes.service_name;
    if (typeof service === "string")
      violations.push(fail(endpoint.address, `an endpoint to ${service}: the segment reaches only the iot.data service`));
    else
      violations.push(
        unknown(
          endpoint.address,
          `an endpoint whose service_name ${String(service)} is known only at apply time: it may lead out of the segment`,
        ),
      );
  }
  model.ofType("aws_route").forEach((r) => checkRoute(r, r.attributes));
  for (const type of CONNECTIONS) {
    model.ofType(type).forEach((c) => violations.push(fail(c.address, `${c.type} connects the IoT segment to another network`)));
  }
  return violations;
};
