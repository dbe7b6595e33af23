import { fail, RuleCheck } from "../../rule";

/** Gateway types that give a VPC a way to or from the Internet. */
const INTERNET_GATEWAYS = [
  "aws_internet_gateway",
  "aws_internet_gateway_attachment",
  "aws_egress_only_internet_gateway",
  "aws_nat_gateway",
];

/** NET-1: the segment VPC has no internet, egress-only or NAT gateway (every VPC in a moat stack is a segment VPC). */
export const noInternetGateway: RuleCheck = (model) =>
  INTERNET_GATEWAYS.flatMap((type) => model.ofType(type)).map((g) =>
    fail(g.address, `${g.type} gives the IoT segment a path to the Internet`),
  );
