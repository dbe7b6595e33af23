import { Testing } from "cdktf";
import { loadEnvironment } from "../../config";
import { IotEnvironmentStack } from "../../stacks/environment-stack";
import { parsed, resourcesOf, SynthResult, WAY_OUT_RESOURCE_TYPES } from "../support/synth";

function synthEnvironment(name: string): SynthResult {
  const stack = new IotEnvironmentStack(Testing.app(), `iot-${name}`, { environment: loadEnvironment(name) });
  return parsed(Testing.synth(stack, true));
}

describe.each(["dev", "prod"])("the %s environment stack", (name) => {
  const result = synthEnvironment(name);
  const env = loadEnvironment(name);

  test("matches its snapshot", () => {
    expect(result.json).toMatchSnapshot();
  });

  test("has no internet, NAT or egress-only gateway, and no peering, transit or VPN route", () => {
    for (const type of WAY_OUT_RESOURCE_TYPES) expect(resourcesOf(result, type)).toEqual([]);
    for (const table of [...resourcesOf(result, "aws_route_table"), ...resourcesOf(result, "aws_default_route_table")]) {
      for (const route of table.route ?? []) {
        expect(route).not.toHaveProperty("gateway_id");
        expect(route).not.toHaveProperty("nat_gateway_id");
        expect(route).not.toHaveProperty("transit_gateway_id");
        expect(route).not.toHaveProperty("vpc_peering_connection_id");
      }
    }
  });

  test("every security-group ingress rule is TCP 8883 from a device subnet CIDR", () => {
    const deviceCidrs = env.network.deviceSubnets.map((s) => s.cidr);
    for (const group of resourcesOf(result, "aws_security_group")) expect(group.ingress ?? []).toEqual([]);
    for (const rule of resourcesOf(result, "aws_vpc_security_group_ingress_rule")) {
      expect([rule.ip_protocol, rule.from_port, rule.to_port]).toEqual(["tcp", 8883, 8883]);
      expect(deviceCidrs).toContain(rule.cidr_ipv4);
    }
    expect(resourcesOf(result, "aws_security_group_rule")).toEqual([]);
  });

  test("a flow log of ALL traffic goes to a KMS-encrypted log group kept at least 365 days", () => {
    const flowLogs = resourcesOf(result, "aws_flow_log").filter((f) => f.log_destination_type === "cloud-watch-logs");
    expect(flowLogs).toHaveLength(1);
    expect(flowLogs[0].traffic_type).toBe("ALL");
    const groups = Object.entries(result.json.resource.aws_cloudwatch_log_group ?? {});
    const group = groups.find(([key]) => flowLogs[0].log_destination === `\${aws_cloudwatch_log_group.${key}.arn}`)?.[1];
    expect(group?.kms_key_id).toMatch(/aws_kms_key/);
    expect(group?.retention_in_days).toBeGreaterThanOrEqual(365);
  });

  test("the provider tags every resource with the environment", () => {
    const provider = (result.json as any).provider;
    expect(provider.aws[0].default_tags[0].tags).toMatchObject({ ManagedBy: "moat", MoatEnvironment: name, ...env.tags });
  });
});

test("prod keeps its state in S3, encrypted, with S3-native locking", () => {
  expect(synthEnvironment("prod").json.terraform.backend.s3).toMatchObject({
    encrypt: true,
    use_lockfile: true,
    bucket: "moat-terraform-state-prod",
  });
});

test("dev keeps local state, so it synthesizes with no AWS account", () => {
  expect(synthEnvironment("dev").json.terraform.backend).toEqual({ local: { path: "terraform.iot-dev.tfstate" } });
});
