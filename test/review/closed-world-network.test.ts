import { Json } from "./fixture-stack";
import { add, first, isBrokerGroup, isDevice, isDeviceAcl, isEndpoint, ref, reviewInProcess, shippedStacks } from "./closed-world-support";

/**
 * Issue 13, classes 2, 7, 8 and 9: insecure edits of the shipped dev stack, each a few lines of
 * Terraform JSON that Terraform would apply. Each row: the variant, the rule that must block it,
 * the resource it must name. Written as an attacker would write the pull request.
 */
interface Variant {
  readonly variant: string;
  readonly rule: string;
  /** Makes the edit and returns the address the finding must name. */
  readonly edit: (stack: Json) => string;
}

const stacks = shippedStacks();

const vpc = (s: Json) => ref(s, "aws_vpc");
const deviceSubnet = (s: Json) => ref(s, "aws_subnet", "id", isDevice);
const brokerGroup = (s: Json) => ref(s, "aws_security_group", "id", isBrokerGroup);
const deviceRoutes = (s: Json) => ref(s, "aws_route_table", "id", (b) => String(b.tags?.Name).includes("device"));
const deviceAcl = (s: Json) => ref(s, "aws_network_acl", "id", isDeviceAcl);

/** Class 2: resource types no rule knew, each opening a path in or out of the segment. */
const CLASS_2: Variant[] = [
  {
    variant: "a client VPN endpoint associated with a device subnet",
    rule: "CW-1",
    edit: (s) =>
      add(s, "aws_ec2_client_vpn_network_association", "vpn", {
        client_vpn_endpoint_id: "cvpn-endpoint-0123456789abcdef0",
        subnet_id: deviceSubnet(s),
      }),
  },
  { variant: "an internet gateway of the awscc provider", rule: "CW-1", edit: (s) => add(s, "awscc_ec2_internet_gateway", "igw", {}) },
  {
    variant: "a CloudFormation stack whose template builds a gateway",
    rule: "CW-1",
    edit: (s) =>
      add(s, "aws_cloudformation_stack", "gw", {
        name: "gw",
        template_body: JSON.stringify({ Resources: { Igw: { Type: "AWS::EC2::InternetGateway" } } }),
      }),
  },
  {
    variant: "a route through a gateway load balancer endpoint",
    rule: "NET-2",
    edit: (s) =>
      add(s, "aws_route", "gwlb", {
        route_table_id: deviceRoutes(s),
        destination_cidr_block: "0.0.0.0/0",
        vpc_endpoint_id: "vpce-0123456789abcdef0",
      }),
  },
  {
    variant: "route propagation from a VPN gateway",
    rule: "NET-2",
    edit: (s) =>
      add(s, "aws_vpn_gateway_route_propagation", "p", { vpn_gateway_id: "vgw-0123456789abcdef0", route_table_id: deviceRoutes(s) }),
  },
  {
    variant: "propagating_vgws on the device route table",
    rule: "NET-2",
    edit: (s) => (
      (s.resource.aws_route_table[first(s, "aws_route_table")].propagating_vgws = ["vgw-0123456789abcdef0"]),
      `aws_route_table.${first(s, "aws_route_table")}`
    ),
  },
  {
    variant: "an S3 gateway endpoint on the route tables",
    rule: "NET-2",
    edit: (s) =>
      add(s, "aws_vpc_endpoint", "s3", {
        vpc_id: vpc(s),
        service_name: "com.amazonaws.eu-west-1.s3",
        vpc_endpoint_type: "Gateway",
        route_table_ids: [deviceRoutes(s)],
      }),
  },
  {
    variant: "a gateway endpoint added to a route table by association",
    rule: "CW-1",
    edit: (s) =>
      add(s, "aws_vpc_endpoint_route_table_association", "a", {
        vpc_endpoint_id: "vpce-0123456789abcdef0",
        route_table_id: deviceRoutes(s),
      }),
  },
  {
    variant: "a peering accepter",
    rule: "NET-2",
    edit: (s) =>
      add(s, "aws_vpc_peering_connection_accepter", "peer", { vpc_peering_connection_id: "pcx-0123456789abcdef0", auto_accept: true }),
  },
  {
    variant: "an interface endpoint to a third party's service",
    rule: "NET-2",
    edit: (s) =>
      add(s, "aws_vpc_endpoint", "partner", {
        vpc_id: vpc(s),
        service_name: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0",
        vpc_endpoint_type: "Interface",
        subnet_ids: [deviceSubnet(s)],
      }),
  },
  {
    variant: "a public IP by aws_eip_association",
    rule: "NET-3",
    edit: (s) =>
      add(s, "aws_eip_association", "ip", { allocation_id: "eipalloc-0123456789abcdef0", network_interface_id: "eni-0123456789abcdef0" }),
  },
  {
    variant: "an aws_instance in a device subnet",
    rule: "CW-1",
    edit: (s) =>
      add(s, "aws_instance", "jump", {
        ami: "ami-0123456789abcdef0",
        instance_type: "t3.micro",
        subnet_id: deviceSubnet(s),
        associate_public_ip_address: true,
      }),
  },
  { variant: "an aws_default_subnet", rule: "CW-1", edit: (s) => add(s, "aws_default_subnet", "d", { availability_zone: "eu-west-1a" }) },
  {
    variant: "a secondary VPC CIDR",
    rule: "CW-1",
    edit: (s) => add(s, "aws_vpc_ipv4_cidr_block_association", "more", { vpc_id: vpc(s), cidr_block: "100.64.0.0/16" }),
  },
  {
    variant: "a Lambda function placed in the device subnets",
    rule: "CW-1",
    edit: (s) =>
      add(s, "aws_lambda_function", "f", {
        function_name: "f",
        role: "arn:aws:iam::123456789012:role/x",
        vpc_config: { subnet_ids: [deviceSubnet(s)], security_group_ids: [brokerGroup(s)] },
      }),
  },
  {
    variant: "a role devices could assume through a role alias",
    rule: "CW-1",
    edit: (s) =>
      add(s, "aws_iam_role", "devices", {
        assume_role_policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "credentials.iot.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      }),
  },
  {
    variant: "the provisioning role allowed to attach any IoT policy",
    rule: "CW-1",
    edit: (s) => {
      const role = ref(s, "aws_iam_role", "name", (b) => String(b["//"]?.metadata?.path).endsWith("provisioning-role"));
      const policy = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "iot:AttachPolicy", Resource: "arn:aws:iot:eu-west-1:123456789012:policy/*" }],
      };
      return add(s, "aws_iam_role_policy", "attach_any", { role, policy: JSON.stringify(policy) });
    },
  },
  {
    variant: "an administrator policy attached to a service role",
    rule: "CW-1",
    edit: (s) =>
      add(s, "aws_iam_role_policy_attachment", "admin", {
        role: ref(s, "aws_iam_role", "name"),
        policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess",
      }),
  },
  {
    variant: "an API Gateway VPC link into subnets named by an SSM parameter",
    rule: "CW-1",
    edit: (s) => {
      s.data.aws_ssm_parameter = { subnet: { name: "/ops/subnet" } };
      return add(s, "aws_apigatewayv2_vpc_link", "in", {
        name: "in",
        subnet_ids: ["${data.aws_ssm_parameter.subnet.value}"],
        security_group_ids: [],
      });
    },
  },
  {
    variant: "a resource given a subnet id through a data source",
    rule: "CW-1",
    edit: (s) => {
      s.data.aws_ssm_parameter = { subnet: { name: "/ops/subnet" } };
      return add(s, "aws_kafkaconnect_connector", "c", {
        name: "c",
        kafka_cluster: {
          apache_kafka_cluster: {
            bootstrap_servers: "b:9098",
            vpc: { subnets: ["${data.aws_ssm_parameter.subnet.value}"], security_groups: [] },
          },
        },
      });
    },
  },
  {
    variant: "a type that names a segment id literally",
    rule: "CW-1",
    edit: (s) => add(s, "aws_ssm_parameter", "p", { name: "x", type: "String", value: "subnet-0123456789abcdef0" }),
  },
];

/** Class 7: values Terraform converts, and variables. */
const CLASS_7: Variant[] = [
  {
    variant: '"true" for map_public_ip_on_launch',
    rule: "NET-3",
    edit: (s) => (
      (s.resource.aws_subnet[first(s, "aws_subnet", isDevice)].map_public_ip_on_launch = "true"),
      `aws_subnet.${first(s, "aws_subnet", isDevice)}`
    ),
  },
  {
    variant: 'an allow-all ACL egress written with egress "true"',
    rule: "NET-5",
    edit: (s) =>
      add(s, "aws_network_acl_rule", "out", {
        network_acl_id: deviceAcl(s),
        egress: "true",
        rule_number: "300",
        rule_action: "allow",
        protocol: "-1",
        cidr_block: "0.0.0.0/0",
      }),
  },
  {
    variant: "a variable whose default is 0.0.0.0/0 as broker ingress source",
    rule: "FW-2",
    edit: (s) => {
      s.variable = { source: { type: "string", default: "0.0.0.0/0" } };
      return add(s, "aws_vpc_security_group_ingress_rule", "v", {
        security_group_id: brokerGroup(s),
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        cidr_ipv4: "${var.source}",
        description: "from var",
      });
    },
  },
  {
    variant: "a variable without default as broker ingress source (unknown, never a pass)",
    rule: "FW-2",
    edit: (s) => {
      s.variable = { source: { type: "string" } };
      return add(s, "aws_vpc_security_group_ingress_rule", "v", {
        security_group_id: brokerGroup(s),
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        cidr_ipv4: "${var.source}",
        description: "from var",
      });
    },
  },
  {
    variant: "a local holding 0.0.0.0/0",
    rule: "FW-2",
    edit: (s) => {
      s.locals = { anywhere: "0.0.0.0/0" };
      return add(s, "aws_vpc_security_group_ingress_rule", "l", {
        security_group_id: brokerGroup(s),
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        cidr_ipv4: "${local.anywhere}",
        description: "from local",
      });
    },
  },
  {
    variant: 'a bool variable "true" for map_public_ip_on_launch',
    rule: "NET-3",
    edit: (s) => {
      s.variable = { public: { type: "bool", default: "true" } };
      const name = first(s, "aws_subnet", isEndpoint);
      s.resource.aws_subnet[name].map_public_ip_on_launch = "${var.public}";
      return `aws_subnet.${name}`;
    },
  },
  {
    variant: 'a rule_number "50" allow to the office before its deny',
    rule: "NET-6",
    edit: (s) => {
      add(s, "aws_network_acl_rule", "office", {
        network_acl_id: deviceAcl(s),
        egress: true,
        rule_number: "50",
        rule_action: "allow",
        protocol: "-1",
        cidr_block: "192.168.0.0/16",
      });
      return `aws_subnet.${first(s, "aws_subnet", isDevice)}`;
    },
  },
];

/** Class 8: "everywhere" written another way. */
const CLASS_8: Variant[] = [
  {
    variant: "0.0.0.0/1 + 128.0.0.0/1 on a new group",
    rule: "FW-2",
    edit: (s) => {
      add(s, "aws_security_group", "open", { vpc_id: vpc(s), description: "admin access" });
      add(s, "aws_vpc_security_group_ingress_rule", "low", {
        security_group_id: "${aws_security_group.open.id}",
        ip_protocol: "tcp",
        from_port: 22,
        to_port: 22,
        cidr_ipv4: "0.0.0.0/1",
        description: "low half",
      });
      return add(s, "aws_vpc_security_group_ingress_rule", "high", {
        security_group_id: "${aws_security_group.open.id}",
        ip_protocol: "tcp",
        from_port: 22,
        to_port: 22,
        cidr_ipv4: "128.0.0.0/1",
        description: "high half",
      });
    },
  },
  {
    variant: "::/1 + 8000::/1 on the device group",
    rule: "FW-2",
    edit: (s) => {
      const group = ref(s, "aws_security_group", "id", (b) => !isBrokerGroup(b));
      add(s, "aws_vpc_security_group_ingress_rule", "v6low", {
        security_group_id: group,
        ip_protocol: "-1",
        cidr_ipv6: "::/1",
        description: "low",
      });
      return add(s, "aws_vpc_security_group_ingress_rule", "v6high", {
        security_group_id: group,
        ip_protocol: "-1",
        cidr_ipv6: "8000::/1",
        description: "high",
      });
    },
  },
  {
    variant: "a managed prefix list holding 0.0.0.0/0",
    rule: "FW-2",
    edit: (s) => {
      add(s, "aws_ec2_managed_prefix_list", "all", { name: "all", address_family: "IPv4", max_entries: 1, entry: [{ cidr: "0.0.0.0/0" }] });
      const group = ref(s, "aws_security_group", "id", (b) => !isBrokerGroup(b));
      return add(s, "aws_vpc_security_group_ingress_rule", "pl", {
        security_group_id: group,
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        prefix_list_id: "${aws_ec2_managed_prefix_list.all.id}",
        description: "pl",
      });
    },
  },
  {
    variant: "broker ingress from a group attached to an instance",
    rule: "FW-2",
    edit: (s) => {
      add(s, "aws_security_group", "admin", { vpc_id: vpc(s), description: "admin" });
      add(s, "aws_network_interface", "admin", { subnet_id: deviceSubnet(s), security_groups: ["${aws_security_group.admin.id}"] });
      return add(s, "aws_vpc_security_group_ingress_rule", "admin", {
        security_group_id: brokerGroup(s),
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        referenced_security_group_id: "${aws_security_group.admin.id}",
        description: "admin",
      });
    },
  },
  {
    variant: "ingress on the broker group named through a data source",
    rule: "FW-1",
    edit: (s) => {
      s.data.aws_security_group = { broker: { filter: [{ name: "group-name", values: ["iot-dev-broker-endpoint-*"] }] } };
      return add(s, "aws_vpc_security_group_ingress_rule", "wide", {
        security_group_id: "${data.aws_security_group.broker.id}",
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        cidr_ipv4: "172.16.0.0/12",
        description: "partner",
      });
    },
  },
];

/** Class 9: network ACL semantics. */
const CLASS_9: Variant[] = [
  {
    variant: "a second ACL associated with a device subnet (the last association wins)",
    rule: "NET-5",
    edit: (s) => {
      add(s, "aws_network_acl", "open", {
        vpc_id: vpc(s),
        ingress: [{ rule_no: 100, action: "allow", protocol: "-1", cidr_block: "0.0.0.0/0", from_port: 0, to_port: 0 }],
        egress: [{ rule_no: 100, action: "allow", protocol: "-1", cidr_block: "0.0.0.0/0", from_port: 0, to_port: 0 }],
      });
      add(s, "aws_network_acl_association", "open", { network_acl_id: "${aws_network_acl.open.id}", subnet_id: deviceSubnet(s) });
      return `aws_subnet.${first(s, "aws_subnet", isDevice)}`;
    },
  },
  {
    variant: "allow-all split in halves",
    rule: "NET-5",
    edit: (s) => {
      add(s, "aws_network_acl_rule", "h1", {
        network_acl_id: deviceAcl(s),
        egress: false,
        rule_number: 300,
        rule_action: "allow",
        protocol: "-1",
        cidr_block: "0.0.0.0/1",
      });
      return add(s, "aws_network_acl_rule", "h2", {
        network_acl_id: deviceAcl(s),
        egress: false,
        rule_number: 301,
        rule_action: "allow",
        protocol: "-1",
        cidr_block: "128.0.0.0/1",
      });
    },
  },
  {
    variant: "a lateral allow to the whole VPC",
    rule: "NET-5",
    edit: (s) =>
      add(s, "aws_network_acl_rule", "lateral", {
        network_acl_id: deviceAcl(s),
        egress: true,
        rule_number: 300,
        rule_action: "allow",
        protocol: "6",
        from_port: 0,
        to_port: 65535,
        cidr_block: "10.42.0.0/16",
      }),
  },
  {
    variant: "the office reached through a wider CIDR before its deny",
    rule: "NET-6",
    edit: (s) => {
      add(s, "aws_network_acl_rule", "wide", {
        network_acl_id: deviceAcl(s),
        egress: true,
        rule_number: 90,
        rule_action: "allow",
        protocol: "6",
        from_port: 443,
        to_port: 443,
        cidr_block: "192.0.0.0/2",
      });
      return `aws_subnet.${first(s, "aws_subnet", isDevice)}`;
    },
  },
  {
    variant: "the office deny renumbered after an allow",
    rule: "NET-6",
    edit: (s) => {
      const deny = first(
        s,
        "aws_network_acl_rule",
        (b) => b.rule_action === "deny" && b.egress === false && String(b.network_acl_id).includes("device"),
      );
      s.resource.aws_network_acl_rule[deny].rule_number = 32000;
      add(s, "aws_network_acl_rule", "anyin", {
        network_acl_id: deviceAcl(s),
        egress: false,
        rule_number: 150,
        rule_action: "allow",
        protocol: "6",
        from_port: 1024,
        to_port: 65535,
        cidr_block: "0.0.0.0/0",
      });
      return `aws_subnet.${first(s, "aws_subnet", isDevice)}`;
    },
  },
  {
    variant: "an allow entry on the default ACL",
    rule: "NET-5",
    edit: (s) => {
      const name = first(s, "aws_default_network_acl");
      s.resource.aws_default_network_acl[name].ingress = [
        { rule_no: 100, action: "allow", protocol: "-1", cidr_block: "0.0.0.0/0", from_port: 0, to_port: 0 },
      ];
      return `aws_default_network_acl.${name}`;
    },
  },
];

describe.each([
  ["class 2: resource types no rule knew", CLASS_2],
  ["class 7: values Terraform converts", CLASS_7],
  ["class 8: everywhere written another way", CLASS_8],
  ["class 9: network ACL semantics", CLASS_9],
])("%s", (_class, variants) => {
  it("has at least three insecure variants", () => expect(variants.length).toBeGreaterThanOrEqual(3));

  it.each(variants.map((v) => [v.variant, v] as const))("blocks %s", (_name, { rule, edit }) => {
    const stack = stacks.dev();
    const resource = edit(stack);
    const { blocking } = reviewInProcess(stack);
    expect(blocking).toContainEqual(expect.objectContaining({ rule, resource }));
  });
});

describe("the shipped stacks stay clean", () => {
  it.each(["dev", "prod"] as const)("%s: no blocking finding, every finding accounted for", (env) => {
    const { findings, blocking } = reviewInProcess(env === "dev" ? stacks.dev() : stacks.prod(), env);
    expect(blocking).toEqual([]);
    expect(findings.map((f) => f.rule)).toEqual(["TLS-3"]);
  });
});
