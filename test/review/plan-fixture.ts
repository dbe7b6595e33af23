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
    change: { actions, before: actions.includes("create") ? null : actions.includes("no-op") ? after : {}, after, after_unknown: afterUnknown, before_sensitive: false, after_sensitive: {} },
  };
}

function configuration(address: string, expressions: Json): Json {
  const [type, name] = address.split(".");
  return { address, mode: "managed", type, name, provider_config_key: "aws", expressions, schema_version: 0 };
}

export const refs = (...references: string[]) => ({ references });

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

/** One resource of an applied stack: its address, its state, and its configuration expressions. */
interface Deployed {
  readonly address: string;
  readonly values: Json;
  readonly expressions?: Json;
}

const ACCOUNT = "123456789012";
const arn = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:${ACCOUNT}:${resource}`;

/** The isolated segment of a moat stack as it stands after apply: every id a literal. */
const DEPLOYED: readonly Deployed[] = [
  { address: "aws_vpc.vpc", values: { id: "vpc-0abc", arn: arn("ec2", "vpc/vpc-0abc"), cidr_block: "10.42.0.0/16", default_security_group_id: "sg-0def", tags: { Name: "iot" } } },
  { address: "aws_default_security_group.default", values: { id: "sg-0def", vpc_id: "vpc-0abc", ingress: [], egress: [] }, expressions: { vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc") } },
  {
    address: "aws_subnet.device",
    values: { id: "subnet-0dev", vpc_id: "vpc-0abc", cidr_block: "10.42.0.0/20", map_public_ip_on_launch: false, tags: { "moat:role": "device" } },
    expressions: { vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc"), cidr_block: { constant_value: "10.42.0.0/20" } },
  },
  {
    address: "aws_subnet.endpoint",
    values: { id: "subnet-0ep", vpc_id: "vpc-0abc", cidr_block: "10.42.240.0/26", map_public_ip_on_launch: false, tags: { "moat:role": "endpoint" } },
    expressions: { vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc") },
  },
  { address: "aws_security_group.broker", values: { id: "sg-0ep", vpc_id: "vpc-0abc", description: "IoT Core data endpoint", ingress: [], egress: [] }, expressions: { vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc") } },
  { address: "aws_security_group.devices", values: { id: "sg-0dev", vpc_id: "vpc-0abc", description: "IoT devices", ingress: [], egress: [] }, expressions: { vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc") } },
  {
    address: "aws_vpc_security_group_ingress_rule.broker_mqtt",
    values: { id: "sgr-0in", security_group_id: "sg-0ep", ip_protocol: "tcp", from_port: 8883, to_port: 8883, cidr_ipv4: "10.42.0.0/20", description: "MQTT over TLS from the device subnet" },
    expressions: { security_group_id: refs("aws_security_group.broker.id", "aws_security_group.broker"), cidr_ipv4: refs("aws_subnet.device.cidr_block", "aws_subnet.device") },
  },
  {
    address: "aws_vpc_security_group_egress_rule.devices_mqtt",
    values: { id: "sgr-0out", security_group_id: "sg-0dev", ip_protocol: "tcp", from_port: 8883, to_port: 8883, referenced_security_group_id: "sg-0ep", description: "MQTT over TLS to the broker endpoint" },
    expressions: { security_group_id: refs("aws_security_group.devices.id", "aws_security_group.devices"), referenced_security_group_id: refs("aws_security_group.broker.id", "aws_security_group.broker") },
  },
  {
    address: "aws_vpc_endpoint.endpoint",
    values: {
      id: "vpce-0iot",
      vpc_id: "vpc-0abc",
      service_name: "com.amazonaws.eu-west-1.iot.data",
      vpc_endpoint_type: "Interface",
      subnet_ids: ["subnet-0ep"],
      security_group_ids: ["sg-0ep"],
      network_interface_ids: ["eni-0ep"],
      private_dns_enabled: false,
    },
    expressions: {
      vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc"),
      subnet_ids: refs("aws_subnet.endpoint.id", "aws_subnet.endpoint"),
      security_group_ids: refs("aws_security_group.broker.id", "aws_security_group.broker"),
    },
  },
  { address: "aws_kms_key.logs", values: { id: "key-0logs", arn: arn("kms", "key/key-0logs"), enable_key_rotation: true } },
  {
    address: "aws_cloudwatch_log_group.flow",
    values: { id: "/moat/iot/flow", arn: arn("logs", "log-group:/moat/iot/flow"), name: "/moat/iot/flow", kms_key_id: arn("kms", "key/key-0logs"), retention_in_days: 365 },
    expressions: { kms_key_id: refs("aws_kms_key.logs.arn", "aws_kms_key.logs") },
  },
  {
    address: "aws_flow_log.flow",
    values: { id: "fl-0abc", vpc_id: "vpc-0abc", traffic_type: "ALL", log_destination_type: "cloud-watch-logs", log_destination: arn("logs", "log-group:/moat/iot/flow") },
    expressions: { vpc_id: refs("aws_vpc.vpc.id", "aws_vpc.vpc"), log_destination: refs("aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow") },
  },
];

/**
 * A plan of the segment above when nothing changes (`terraform plan` after apply): every change
 * is "no-op" with before = after, no after_unknown, and every id a literal such as "vpc-0abc";
 * the configuration still names the references the ids came from. `extra` resources are
 * added as changes to create.
 */
export function deployedPlan(...extra: Deployed[]): Json {
  const changes = [
    ...DEPLOYED.map((d) => change(d.address, d.values, {}, ["no-op"])),
    ...extra.map((d) => change(d.address, d.values, {})),
  ];
  const all = [...DEPLOYED, ...extra];
  return {
    format_version: "1.2",
    terraform_version: "1.9.8",
    planned_values: {
      root_module: { resources: changes.map((c) => ({ address: c.address, mode: "managed", type: c.type, name: c.name, provider_name: PROVIDER, schema_version: 0, values: c.change.after, sensitive_values: {} })) },
    },
    resource_changes: changes,
    configuration: {
      provider_config: { aws: { name: "aws", full_name: PROVIDER, expressions: { region: { constant_value: "eu-west-1" } } } },
      root_module: { resources: all.flatMap((d) => (d.expressions ? [configuration(d.address, d.expressions)] : [])) },
    },
  };
}
