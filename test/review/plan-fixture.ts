/**
 * A plan as `terraform show -json PLANFILE` writes it (format 1.2), written by hand after
 * Terraform's JSON output format documentation: planned_values, resource_changes with
 * after_unknown, and configuration expressions naming the references of unknown values.
 */
import { Json } from "./fixture-stack";

const PROVIDER = "registry.terraform.io/hashicorp/aws";

function change(address: string, after: Json | null, afterUnknown: Json, actions: string[] = ["create"]): Json {
  const [type, name] = address.replace(/^module\.[^.]+\./, "").replace(/\[.*\]$/, "").split(".");
  return {
    address,
    mode: "managed",
    type,
    name,
    provider_name: PROVIDER,
    change: { actions, before: actions.includes("create") ? null : {}, after, after_unknown: afterUnknown, before_sensitive: false, after_sensitive: {} },
  };
}

function configuration(address: string, expressions: Json): Json {
  const [type, name] = address.split(".");
  return { address, mode: "managed", type, name, provider_config_key: "aws", expressions, schema_version: 0 };
}

const refs = (...references: string[]) => ({ references });

export function brokerPlan(): Json {
  const changes = [
    change("aws_vpc.vpc", { cidr_block: "10.42.0.0/16", tags: { Name: "iot" } }, { id: true, arn: true, default_security_group_id: true }),
    change("aws_subnet.device", { cidr_block: "10.42.0.0/20", map_public_ip_on_launch: false, tags: { "moat:role": "device" } }, { id: true, vpc_id: true }),
    change("aws_security_group.broker", { description: "IoT Core data endpoint", ingress: [], egress: [], tags: null }, { id: true, vpc_id: true, ingress: [], egress: [] }),
    change(
      "aws_vpc_security_group_ingress_rule.broker_mqtt",
      { cidr_ipv4: "10.42.0.0/20", from_port: 8883, to_port: 8883, ip_protocol: "tcp", description: "MQTT over TLS from device subnet" },
      { id: true, arn: true, security_group_id: true },
    ),
    change(
      "aws_vpc_endpoint.endpoint",
      { service_name: "com.amazonaws.eu-west-1.iot.data", vpc_endpoint_type: "Interface", private_dns_enabled: false },
      { id: true, vpc_id: true, subnet_ids: true, security_group_ids: [true] },
    ),
    change(
      "aws_iot_policy.connect",
      {
        name: "iot-connect",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["iot:Publish"], Resource: ["arn:aws:iot:eu-west-1:123456789012:topic/devices/${iot:Connection.Thing.ThingName}/telemetry"] }],
        }),
      },
      { arn: true, id: true },
    ),
    change("aws_internet_gateway.gone", null, {}, ["delete"]),
    change("module.edge.aws_subnet.extra[0]", { cidr_block: "10.42.32.0/20", map_public_ip_on_launch: false, tags: {} }, { id: true, vpc_id: true }),
  ];
  return {
    format_version: "1.2",
    terraform_version: "1.9.8",
    planned_values: {
      root_module: {
        resources: changes
          .filter((c) => c.change.after !== null && !c.address.startsWith("module."))
          .map((c) => ({ address: c.address, mode: "managed", type: c.type, name: c.name, provider_name: PROVIDER, schema_version: 0, values: c.change.after, sensitive_values: {} })),
        child_modules: [
          {
            address: "module.edge",
            resources: [{ address: "module.edge.aws_subnet.extra[0]", mode: "managed", type: "aws_subnet", name: "extra", index: 0, provider_name: PROVIDER, schema_version: 1, values: { cidr_block: "10.42.32.0/20" }, sensitive_values: {} }],
          },
        ],
      },
    },
    resource_changes: changes,
    configuration: {
      provider_config: { aws: { name: "aws", full_name: PROVIDER, expressions: { region: { constant_value: "eu-west-1" } } } },
      root_module: {
        resources: [
          configuration("aws_subnet.device", { vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc"), cidr_block: { constant_value: "10.42.0.0/20" } }),
          configuration("aws_security_group.broker", { vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc") }),
          configuration("aws_vpc_security_group_ingress_rule.broker_mqtt", { security_group_id: refs("aws_security_group.broker.id", "aws_security_group.broker") }),
          configuration("aws_vpc_endpoint.endpoint", {
            vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc"),
            subnet_ids: refs("aws_subnet.device.id", "aws_subnet.device"),
            security_group_ids: refs("aws_security_group.broker.id", "aws_security_group.broker"),
          }),
        ],
      },
    },
  };
}
