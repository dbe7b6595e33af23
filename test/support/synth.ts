import { App, TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";

/** A synthesized stack as Terraform JSON, with `resource` indexed by type. */
export interface SynthResult {
  readonly text: string;
  readonly json: {
    resource: Record<string, Record<string, Record<string, any>>>;
    data?: Record<string, any>;
    output?: Record<string, any>;
    terraform?: any;
  };
}

/** Builds `body` in a fresh stack with an AWS provider and synthesizes it with validations on. */
export function synthWith(body: (stack: TerraformStack) => void): SynthResult {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  body(stack);
  return parsed(Testing.synth(stack, true));
}

export function parsed(text: string): SynthResult {
  return { text, json: JSON.parse(text) };
}

/** All resources of a type, as attribute objects. */
export function resourcesOf(result: SynthResult, type: string): Record<string, any>[] {
  return Object.values(result.json.resource[type] ?? {});
}

/** Resource types that would give the segment a way out (a gateway, a peering, a route, a public address): none may exist. */
export const WAY_OUT_RESOURCE_TYPES: readonly string[] = [
  "aws_internet_gateway",
  "aws_nat_gateway",
  "aws_egress_only_internet_gateway",
  "aws_vpc_peering_connection",
  "aws_ec2_transit_gateway_vpc_attachment",
  "aws_vpn_gateway",
  "aws_route",
  "aws_eip",
];

export type { Construct };
