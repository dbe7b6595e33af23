/**
 * Issue 13's adversarial suite as one table: every insecure variant of the shipped dev and prod
 * stacks, written as an attacker would write the pull request, each defined once with its class,
 * the rule that must block it and the resource that finding must name. The tests review each
 * variant as cdk.tf.json (closed-world-*.test.ts, identity-*.test.ts, device-rights.test.ts,
 * log-store.test.ts) and, unless it is listed in {@link STACK_ONLY} or {@link NOT_PLANNED}, as its
 * real Terraform plan (closed-world-plans.test.ts; the plans come from test/terraform/plan-cases.ts).
 */
import { generateKeyPairSync } from "node:crypto";
import { findResource, Variant } from "./clean-stacks";
import { add, first, isBrokerGroup, isDevice, isDeviceAcl, isEndpoint, ref } from "./closed-world-support";
import { Json } from "./fixture-stack";

export interface ClosedWorldVariant extends Variant {
  /** The class of issue 13 it belongs to (1 to 12). */
  readonly cls: number;
  /** The table of the test file that reviews it as cdk.tf.json. */
  readonly group: string;
  /**
   * Where its real plan shows the variant differently, and why (a module's resources and the
   * resources of other files are in the plan under their own addresses): the finding expected there.
   */
  readonly onPlan?: { readonly rule: string; readonly resource: string; readonly why: string };
}

export const VARIANTS: ClosedWorldVariant[] = [];

function group(cls: number, title: string, variants: (Variant & Pick<ClosedWorldVariant, "onPlan">)[]): void {
  for (const v of variants) VARIANTS.push({ ...v, cls, group: title });
}

/** The variants of one table, for the test file that reviews them. */
export function variantsOf(title: string): ClosedWorldVariant[] {
  const found = VARIANTS.filter((v) => v.group === title);
  if (found.length === 0) throw new Error(`no closed-world variants in group "${title}"`);
  return found;
}

const FOREIGN_CA = "-----BEGIN CERTIFICATE-----\nMIIBforeign\n-----END CERTIFICATE-----\n";
// Made here and now, never committed: the review must find any private key, however written.
const keyPem = (): string =>
  generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
const parameter = (s: Json, name: string, value: string): string =>
  add(s, "aws_ssm_parameter", name, { name, type: "SecureString", value });

const THING = "$${iot:Connection.Thing.ThingName}";
const ARN = (s: Json) => {
  const [account] = findResource(s, "aws_iot_policy", (p) => p.name.endsWith("-connect"))[1].policy.match(
    /\$\{data\.aws_caller_identity\.[^}]+\}/,
  );
  return `arn:aws:iot:eu-west-1:${account}`;
};
const policyOf = (s: Json, suffix: string): [string, Json] => findResource(s, "aws_iot_policy", (p) => p.name.endsWith(suffix));
const groupOf = (s: Json, klass: string): string => findResource(s, "aws_iot_thing_group", (g) => g.name.endsWith(`-${klass}`))[0];
/** Adds one Allow statement to a class policy of the clean stack; returns its address. */
const grant = (s: Json, suffix: string, action: string, resource: string): string => {
  const [name, policy] = policyOf(s, suffix);
  const doc = JSON.parse(policy.policy);
  doc.Statement.push({ Effect: "Allow", Action: action, Resource: resource });
  policy.policy = JSON.stringify(doc);
  return `aws_iot_policy.${name}`;
};
const ca = (s: Json): [string, Json] => findResource(s, "aws_iot_ca_certificate");
/** Adds a resource to the JITP template of the stack's CA; returns the CA's address. */
const templateResource = (s: Json, id: string, body: Json): string => {
  const [name, cert] = ca(s);
  const template = JSON.parse(cert.registration_config.template_body);
  template.Resources[id] = body;
  cert.registration_config.template_body = JSON.stringify(template);
  return `aws_iot_ca_certificate.${name}`;
};

const flowLog = (s: Json, type: string): [string, Json] => findResource(s, "aws_flow_log", (l) => l.log_destination_type === type);
const only = (s: Json, type: string): [string, Json] => findResource(s, type);
const bucketPolicy = (s: Json, edit: (doc: Json) => void): string => {
  const [name, policy] = only(s, "aws_s3_bucket_policy");
  const doc = JSON.parse(policy.policy);
  edit(doc);
  policy.policy = JSON.stringify(doc);
  return `aws_s3_bucket_policy.${name}`;
};
const tlsDeny = (doc: Json): Json => doc.Statement.find((st: Json) => st.Sid === "DenyInsecureTransport");
const flowKey = (s: Json): [string, Json] => findResource(s, "aws_kms_key", (k) => String(k.description).includes("flow logs"));
const keyPolicy = (s: Json, edit: (doc: Json) => void): string => {
  const [name, key] = flowKey(s);
  const doc = JSON.parse(key.policy);
  edit(doc);
  key.policy = JSON.stringify(doc);
  return `aws_kms_key.${name}`;
};
/** The alarm on a metric: a plain alarm's metric_name, or one of the metrics its metric-math sum adds up. */
const alarm = (s: Json, metric: string): [string, Json] =>
  findResource(
    s,
    "aws_cloudwatch_metric_alarm",
    (a) => a.metric_name === metric || ((a.metric_query ?? []) as Json[]).some((q) => q.metric?.metric_name === metric),
  );

const vpc = (s: Json) => ref(s, "aws_vpc");
const deviceSubnet = (s: Json) => ref(s, "aws_subnet", "id", isDevice);
const brokerGroup = (s: Json) => ref(s, "aws_security_group", "id", isBrokerGroup);
const deviceRoutes = (s: Json) => ref(s, "aws_route_table", "id", (b) => String(b.tags?.Name).includes("device"));
const deviceAcl = (s: Json) => ref(s, "aws_network_acl", "id", isDeviceAcl);

/**
 * Class 1: configuration Terraform applies that the review must read or refuse. Files written into
 * `files` go next to cdk.tf.json (the CLI test writes them there, the plan case beside the plan's
 * configuration); a resource `file <name>` is that file's path in the stack directory.
 */
group(1, "class 1: configuration Terraform applies", [
  {
    variant: "a module block",
    env: "dev",
    rule: "CW-1",
    apply: (s) => ((s.module = { edge: { source: "terraform-aws-modules/vpc/aws", create_igw: true } }), "module.edge"),
  },
  {
    variant: "a local module that adds an internet gateway",
    env: "dev",
    rule: "CW-1",
    onPlan: {
      rule: "NET-1",
      resource: "module.edge.aws_internet_gateway.igw",
      why: "a plan holds the module's resources under their own addresses, and the rules read them there",
    },
    apply: (s, files) => {
      s.module = { edge: { source: "./modules/edge", vpc_id: vpc(s) } };
      files["modules/edge/main.tf.json"] = JSON.stringify({
        variable: { vpc_id: { type: "string" } },
        resource: { aws_internet_gateway: { igw: { vpc_id: "${var.vpc_id}" } } },
      });
      return "module.edge";
    },
  },
  {
    variant: "a local module that opens the broker group to everywhere",
    env: "dev",
    rule: "CW-1",
    onPlan: {
      rule: "FW-2",
      resource: "module.open.aws_vpc_security_group_ingress_rule.all",
      why: "a plan holds the module's resources under their own addresses, and the rules read them there",
    },
    apply: (s, files) => {
      s.module = { open: { source: "./modules/open", group: brokerGroup(s) } };
      files["modules/open/main.tf.json"] = JSON.stringify({
        variable: { group: { type: "string" } },
        resource: {
          aws_vpc_security_group_ingress_rule: {
            all: { security_group_id: "${var.group}", ip_protocol: "-1", cidr_ipv4: "0.0.0.0/0", description: "all" },
          },
        },
      });
      return "module.open";
    },
  },
  {
    variant: "a dynamic block on the broker group",
    env: "dev",
    rule: "CW-1",
    apply: (s) => {
      const name = first(s, "aws_security_group", isBrokerGroup);
      s.resource.aws_security_group[name].dynamic = {
        ingress: {
          for_each: "${var.ports}",
          content: { from_port: "${ingress.value}", to_port: "${ingress.value}", protocol: "tcp", cidr_blocks: ["0.0.0.0/0"] },
        },
      };
      return `aws_security_group.${name}`;
    },
  },
  {
    variant: "an import block",
    env: "dev",
    rule: "CW-1",
    apply: (s) => ((s.import = [{ to: "aws_internet_gateway.igw", id: "igw-0123456789abcdef0" }]), "import"),
  },
  {
    variant: "a local-exec provisioner that creates a gateway with the CLI",
    env: "dev",
    rule: "CW-1",
    apply: (s) => {
      const name = first(s, "aws_vpc");
      s.resource.aws_vpc[name].provisioner = [{ "local-exec": { command: "aws ec2 create-internet-gateway" } }];
      return `aws_vpc.${name}`;
    },
  },
  {
    variant: "a local-exec provisioner on a null_resource-like terraform_data",
    env: "dev",
    rule: "CW-1",
    apply: (s) => add(s, "terraform_data", "gw", { provisioner: [{ "local-exec": { command: "aws ec2 create-internet-gateway" } }] }),
  },
  {
    variant: "a local module whose DNS zone runs a local-exec provisioner",
    env: "prod",
    rule: "CW-1",
    onPlan: {
      rule: "CW-1",
      resource: "module.ops.aws_route53_zone.z",
      why: "a plan holds the module's resources under their own addresses; the provisioner is in its configuration section",
    },
    apply: (s, files) => {
      s.module = { ops: { source: "./modules/ops" } };
      files["modules/ops/main.tf.json"] = JSON.stringify({
        resource: {
          aws_route53_zone: {
            z: { name: "ops.example.internal", provisioner: [{ "local-exec": { command: "aws ec2 create-internet-gateway" } }] },
          },
        },
      });
      return "module.ops";
    },
  },
  {
    variant: "another *.tf.json in the stack directory adding an internet gateway",
    env: "dev",
    rule: "NET-1",
    apply: (s, files) => {
      files["extra.tf.json"] = JSON.stringify({ resource: { aws_internet_gateway: { igw: { vpc_id: ref(s, "aws_vpc") } } } });
      return "aws_internet_gateway.igw";
    },
  },
  {
    variant: "an *_override.tf.json turning on public IPs",
    env: "dev",
    rule: "NET-3",
    apply: (s, files) => {
      const name = first(s, "aws_subnet", isDevice);
      files["net_override.tf.json"] = JSON.stringify({ resource: { aws_subnet: { [name]: { map_public_ip_on_launch: true } } } });
      return `aws_subnet.${name}`;
    },
  },
  {
    variant: "an *_override.tf.json opening the broker group to everywhere",
    env: "dev",
    rule: "FW-2",
    apply: (s, files) => {
      const name = first(s, "aws_vpc_security_group_ingress_rule");
      files["z_override.tf.json"] = JSON.stringify({
        resource: { aws_vpc_security_group_ingress_rule: { [name]: { cidr_ipv4: "0.0.0.0/0" } } },
      });
      return `aws_vpc_security_group_ingress_rule.${name}`;
    },
  },
  {
    variant: "an HCL file in the stack directory",
    env: "dev",
    rule: "CW-1",
    onPlan: {
      rule: "NET-1",
      resource: "aws_internet_gateway.igw",
      why: "Terraform reads the HCL file, so the plan holds the gateway it adds",
    },
    apply: (_s, files) => ((files["main.tf"] = 'resource "aws_internet_gateway" "igw" {}\n'), "file main.tf"),
  },
  {
    variant: "a tfvars file giving an unset variable the insecure value",
    env: "dev",
    rule: "FW-2",
    apply: (s, files) => {
      s.variable = { ...s.variable, allowed_cidr: { type: "string" } };
      files["terraform.tfvars.json"] = JSON.stringify({ allowed_cidr: "0.0.0.0/0" });
      return add(s, "aws_vpc_security_group_ingress_rule", "v", {
        security_group_id: ref(s, "aws_security_group", "id", isBrokerGroup),
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        cidr_ipv4: "${var.allowed_cidr}",
        description: "from var",
      });
    },
  },
  {
    variant: "count 0 on the office deny",
    env: "dev",
    rule: "NET-6",
    apply: (s) => {
      const deny = first(
        s,
        "aws_network_acl_rule",
        (b) => b.rule_action === "deny" && b.egress === true && String(b.network_acl_id).includes("device"),
      );
      s.resource.aws_network_acl_rule[deny].count = 0;
      return `aws_subnet.${first(s, "aws_subnet", isDevice)}`;
    },
  },
  {
    variant: "a count known only at apply time on the default security group",
    env: "dev",
    rule: "CW-1",
    apply: (s) => {
      const name = first(s, "aws_default_security_group");
      s.resource.aws_default_security_group[name].count = "${var.manage}";
      return `aws_default_security_group.${name}`;
    },
  },
  {
    variant: "ignore_changes on the broker group (drift made outside Terraform stays)",
    env: "dev",
    rule: "CW-1",
    apply: (s) => {
      const name = first(s, "aws_security_group", isBrokerGroup);
      s.resource.aws_security_group[name].lifecycle = { create_before_destroy: true, ignore_changes: "all" };
      return `aws_security_group.${name}`;
    },
  },
  {
    variant: "a Lambda invocation at apply time",
    env: "dev",
    rule: "CW-1",
    apply: (s) => add(s, "aws_lambda_invocation", "make_igw", { function_name: "ops-tools", input: "{}" }),
  },
  {
    variant: "an aws provider pointed at another source",
    env: "dev",
    rule: "CW-1",
    apply: (s) => ((s.terraform.required_providers.aws.source = "evil/aws"), "terraform.required_providers.aws"),
  },
]);

group(2, "class 2: resource types no rule knew", [
  {
    variant: "a client VPN endpoint associated with a device subnet",
    env: "dev",
    rule: "CW-1",
    apply: (s) =>
      add(s, "aws_ec2_client_vpn_network_association", "vpn", {
        client_vpn_endpoint_id: "cvpn-endpoint-0123456789abcdef0",
        subnet_id: deviceSubnet(s),
      }),
  },
  {
    variant: "an internet gateway of the awscc provider",
    env: "dev",
    rule: "CW-1",
    apply: (s) => add(s, "awscc_ec2_internet_gateway", "igw", {}),
  },
  {
    variant: "a CloudFormation stack whose template builds a gateway",
    env: "dev",
    rule: "CW-1",
    apply: (s) =>
      add(s, "aws_cloudformation_stack", "gw", {
        name: "gw",
        template_body: JSON.stringify({ Resources: { Igw: { Type: "AWS::EC2::InternetGateway" } } }),
      }),
  },
  {
    variant: "a route through a gateway load balancer endpoint",
    env: "dev",
    rule: "NET-2",
    apply: (s) =>
      add(s, "aws_route", "gwlb", {
        route_table_id: deviceRoutes(s),
        destination_cidr_block: "0.0.0.0/0",
        vpc_endpoint_id: "vpce-0123456789abcdef0",
      }),
  },
  {
    variant: "route propagation from a VPN gateway",
    env: "dev",
    rule: "NET-2",
    apply: (s) =>
      add(s, "aws_vpn_gateway_route_propagation", "p", { vpn_gateway_id: "vgw-0123456789abcdef0", route_table_id: deviceRoutes(s) }),
  },
  {
    variant: "propagating_vgws on the device route table",
    env: "dev",
    rule: "NET-2",
    apply: (s) => (
      (s.resource.aws_route_table[first(s, "aws_route_table")].propagating_vgws = ["vgw-0123456789abcdef0"]),
      `aws_route_table.${first(s, "aws_route_table")}`
    ),
  },
  {
    variant: "an S3 gateway endpoint on the route tables",
    env: "dev",
    rule: "NET-2",
    apply: (s) =>
      add(s, "aws_vpc_endpoint", "s3", {
        vpc_id: vpc(s),
        service_name: "com.amazonaws.eu-west-1.s3",
        vpc_endpoint_type: "Gateway",
        route_table_ids: [deviceRoutes(s)],
      }),
  },
  {
    variant: "a gateway endpoint added to a route table by association",
    env: "dev",
    rule: "CW-1",
    apply: (s) =>
      add(s, "aws_vpc_endpoint_route_table_association", "a", {
        vpc_endpoint_id: "vpce-0123456789abcdef0",
        route_table_id: deviceRoutes(s),
      }),
  },
  {
    variant: "a peering accepter",
    env: "dev",
    rule: "NET-2",
    apply: (s) =>
      add(s, "aws_vpc_peering_connection_accepter", "peer", { vpc_peering_connection_id: "pcx-0123456789abcdef0", auto_accept: true }),
  },
  {
    variant: "an interface endpoint to a third party's service",
    env: "dev",
    rule: "NET-2",
    apply: (s) =>
      add(s, "aws_vpc_endpoint", "partner", {
        vpc_id: vpc(s),
        service_name: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0",
        vpc_endpoint_type: "Interface",
        subnet_ids: [deviceSubnet(s)],
      }),
  },
  {
    variant: "a public IP by aws_eip_association",
    env: "dev",
    rule: "NET-3",
    apply: (s) =>
      add(s, "aws_eip_association", "ip", { allocation_id: "eipalloc-0123456789abcdef0", network_interface_id: "eni-0123456789abcdef0" }),
  },
  {
    variant: "an aws_instance in a device subnet",
    env: "dev",
    rule: "CW-1",
    apply: (s) =>
      add(s, "aws_instance", "jump", {
        ami: "ami-0123456789abcdef0",
        instance_type: "t3.micro",
        subnet_id: deviceSubnet(s),
        associate_public_ip_address: true,
      }),
  },
  {
    variant: "an aws_default_subnet",
    env: "dev",
    rule: "CW-1",
    apply: (s) => add(s, "aws_default_subnet", "d", { availability_zone: "eu-west-1a" }),
  },
  {
    variant: "a secondary VPC CIDR",
    env: "dev",
    rule: "CW-1",
    apply: (s) => add(s, "aws_vpc_ipv4_cidr_block_association", "more", { vpc_id: vpc(s), cidr_block: "100.64.0.0/16" }),
  },
  {
    variant: "a Lambda function placed in the device subnets",
    env: "dev",
    rule: "CW-1",
    apply: (s) =>
      add(s, "aws_lambda_function", "f", {
        function_name: "f",
        role: "arn:aws:iam::123456789012:role/x",
        package_type: "Image",
        image_uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/f:latest",
        vpc_config: { subnet_ids: [deviceSubnet(s)], security_group_ids: [brokerGroup(s)] },
      }),
  },
  {
    variant: "a role devices could assume through a role alias",
    env: "dev",
    rule: "CW-1",
    apply: (s) =>
      add(s, "aws_iam_role", "devices", {
        assume_role_policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "credentials.iot.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      }),
  },
  {
    variant: "the provisioning role allowed to attach any IoT policy",
    env: "dev",
    rule: "CW-1",
    apply: (s) => {
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
    env: "dev",
    rule: "CW-1",
    apply: (s) =>
      add(s, "aws_iam_role_policy_attachment", "admin", {
        role: ref(s, "aws_iam_role", "name"),
        policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess",
      }),
  },
  {
    variant: "an API Gateway VPC link into subnets named by an SSM parameter",
    env: "dev",
    rule: "CW-1",
    apply: (s) => {
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
    env: "dev",
    rule: "CW-1",
    apply: (s) => {
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
    env: "dev",
    rule: "CW-1",
    apply: (s) => add(s, "aws_ssm_parameter", "p", { name: "x", type: "String", value: "subnet-0123456789abcdef0" }),
  },
]);

group(3, "logins outside moat's CA (AUTH-3)", [
  {
    variant: "a custom authorizer with signing disabled",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_authorizer", "backdoor", {
        name: "backdoor",
        authorizer_function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:allow",
        signing_disabled: true,
        status: "ACTIVE",
      }),
  },
  {
    variant: "an inactive custom authorizer (activated later outside Terraform)",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_authorizer", "dormant", {
        name: "dormant",
        authorizer_function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:allow",
        status: "INACTIVE",
        token_key_name: "t",
        token_signing_public_keys: { k: "x" },
      }),
  },
  {
    variant: "a domain configuration with a default authorizer",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_domain_configuration", "custom", {
        name: "custom",
        service_type: "DATA",
        authorizer_config: { default_authorizer_name: "backdoor", allow_authorizer_override: false },
        tls_config: { security_policy: "IoTSecurityPolicy_TLS13_1_3_2022_10" },
      }),
  },
  {
    variant: "a domain configuration with SigV4 authentication",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_domain_configuration", "sigv4", {
        name: "sigv4",
        authentication_type: "AWS_SIGV4",
        application_protocol: "MQTT_WSS",
        tls_config: { security_policy: "IoTSecurityPolicy_TLS13_1_3_2022_10" },
      }),
  },
  {
    variant: "a second CA with auto-registration",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_ca_certificate", "second", {
        active: true,
        allow_auto_registration: true,
        ca_certificate_pem: FOREIGN_CA,
        certificate_mode: "SNI_ONLY",
      }),
  },
  {
    variant: "the one registered CA swapped for another",
    env: "prod",
    rule: "AUTH-3",
    message: /not the environment's issuing CA/,
    apply: (s) => {
      const [name, ca] = findResource(s, "aws_iot_ca_certificate");
      ca.ca_certificate_pem = FOREIGN_CA;
      return `aws_iot_ca_certificate.${name}`;
    },
  },
  {
    variant: "the registered CA read from a variable",
    env: "dev",
    rule: "AUTH-3",
    status: "unknown",
    message: /whether it is the environment's issuing CA cannot be told/,
    apply: (s) => {
      const [name, ca] = findResource(s, "aws_iot_ca_certificate");
      ca.ca_certificate_pem = "${var.ca_pem}";
      return `aws_iot_ca_certificate.${name}`;
    },
  },
  {
    variant: "a device certificate registered without a CA",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_certificate", "lone", {
        active: true,
        certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIBdevice\n-----END CERTIFICATE-----\n",
      }),
  },
  {
    variant: "a device certificate under a CA that is not the stack's",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_certificate", "foreign", {
        active: true,
        certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIBdevice\n-----END CERTIFICATE-----\n",
        ca_pem: FOREIGN_CA,
      }),
  },
  {
    variant: "a certificate AWS's CA issues from a CSR",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_certificate", "from_csr", {
        active: true,
        csr: "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
      }),
  },
  {
    variant: "a certificate attached to a thing by Terraform",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_thing_principal_attachment", "manual", {
        thing: "sensor-17",
        principal: "arn:aws:iot:eu-west-1:123456789012:cert/0123abcd",
      }),
  },
  {
    variant: "a role alias handing devices an IAM role",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) => {
      const [role] = findResource(s, "aws_iam_role");
      return add(s, "aws_iot_role_alias", "creds", { alias: "device-creds", role_arn: `\${aws_iam_role.${role}.arn}` });
    },
  },
  {
    variant: "a fleet provisioning template (type left to its default)",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) => {
      const [role] = findResource(s, "aws_iam_role");
      return add(s, "aws_iot_provisioning_template", "claim", {
        name: "claim",
        provisioning_role_arn: `\${aws_iam_role.${role}.arn}`,
        enabled: true,
        template_body: '{"Resources":{}}',
      });
    },
  },
]);

group(4, "device permissions from every source (class 4, AUTHZ-4)", [
  {
    variant: "an external policy attached to a class group",
    env: "prod",
    rule: "AUTHZ-4",
    message: /attaches policy LegacyFleetPolicy, which is not an aws_iot_policy of this stack/,
    apply: (s) =>
      add(s, "aws_iot_policy_attachment", "legacy", {
        policy: "LegacyFleetPolicy",
        target: `\${aws_iot_thing_group.${groupOf(s, "sensor")}.arn}`,
      }),
  },
  {
    variant: "an inline policy in the JITP template granting another thing's topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /template policy extra: iot:Receive on topic\/devices\/device-7\/commands is granted to classes gateway, sensor/,
    apply: (s) =>
      templateResource(s, "extra", {
        Type: "AWS::IoT::Policy",
        Properties: {
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "iot:Receive", Resource: `${ARN(s)}:topic/devices/device-7/commands` }],
          }),
        },
      }),
  },
  {
    variant: "an external policy named in the JITP template",
    env: "dev",
    rule: "AUTHZ-4",
    message: /template policy legacy attaches policy LegacyWidePolicy/,
    apply: (s) => templateResource(s, "legacy", { Type: "AWS::IoT::Policy", Properties: { PolicyName: "LegacyWidePolicy" } }),
  },
  {
    variant: "the gateway policy also attached to the sensor group",
    env: "dev",
    rule: "AUTHZ-4",
    message: /iot:Subscribe on topicfilter\/fleet\/firmware is granted to class sensor,/,
    apply: (s) => {
      const [name] = policyOf(s, "-gateway-0");
      add(s, "aws_iot_policy_attachment", "gateway_to_sensor", {
        policy: `\${aws_iot_policy.${name}.name}`,
        target: `\${aws_iot_thing_group.${groupOf(s, "sensor")}.arn}`,
      });
      return `aws_iot_policy.${name}`;
    },
  },
  {
    variant: "a parent thing group whose policy every sensor inherits",
    env: "prod",
    rule: "AUTHZ-4",
    message: /iot:Publish on topic\/fleet\/firmware is granted to class sensor,/,
    apply: (s) => {
      add(s, "aws_iot_thing_group", "parent", { name: "fleet-root" });
      s.resource.aws_iot_thing_group[groupOf(s, "sensor")].parent_group_name = "${aws_iot_thing_group.parent.name}";
      add(s, "aws_iot_policy", "root", {
        name: "fleet-root",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "iot:Publish", Resource: `${ARN(s)}:topic/fleet/firmware` }],
        }),
      });
      add(s, "aws_iot_policy_attachment", "root", { policy: "${aws_iot_policy.root.name}", target: "${aws_iot_thing_group.parent.arn}" });
      return "aws_iot_policy.root";
    },
  },
  {
    variant: "a fleet provisioning template with an inline policy",
    env: "dev",
    rule: "AUTHZ-4",
    message: /template policy p: iot:Subscribe on topicfilter\/devices\/all/,
    apply: (s) =>
      add(s, "aws_iot_provisioning_template", "claim", {
        name: "claim",
        type: "JITP",
        provisioning_role_arn: "arn:aws:iam::123456789012:role/p",
        template_body: JSON.stringify({
          Resources: {
            p: {
              Type: "AWS::IoT::Policy",
              Properties: {
                PolicyDocument: {
                  Version: "2012-10-17",
                  Statement: [{ Effect: "Allow", Action: "iot:Subscribe", Resource: "arn:aws:iot:eu-west-1:1:topicfilter/devices/all" }],
                },
              },
            },
          },
        }),
      }),
  },
  {
    variant: "a topic rule republishing telemetry onto commands",
    env: "prod",
    rule: "AUTHZ-4",
    message: /republishes device messages to devices\//,
    apply: (s) =>
      add(s, "aws_iot_topic_rule", "bounce", {
        name: "bounce",
        enabled: true,
        sql: "SELECT * FROM 'devices/+/telemetry'",
        sql_version: "2016-03-23",
        republish: { role_arn: "arn:aws:iam::123456789012:role/r", topic: "devices/$${topic(2)}/commands" },
      }),
  },
  {
    variant: "a disabled topic rule sending messages to an HTTP endpoint on error",
    env: "dev",
    rule: "AUTHZ-4",
    message: /error_action sends device messages out of the broker \(http\)/,
    apply: (s) =>
      add(s, "aws_iot_topic_rule", "exfil", {
        name: "exfil",
        enabled: false,
        sql: "SELECT * FROM 'devices/+/status'",
        sql_version: "2016-03-23",
        lambda: { function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:f" },
        error_action: { http: { url: "https://collector.example.net/" } },
      }),
  },
]);

group(4, "where devices land: the class they get (class 4, AUTHZ-4)", [
  {
    variant: "the JITP template puts every device into the gateway group",
    env: "dev",
    rule: "AUTHZ-4",
    message: /puts every device into iot-dev-gateway/,
    apply: (s) => {
      const [name, cert] = ca(s);
      const template = JSON.parse(cert.registration_config.template_body);
      template.Resources.thing.Properties.ThingGroups = ["iot-dev-gateway"];
      cert.registration_config.template_body = JSON.stringify(template);
      return `aws_iot_ca_certificate.${name}`;
    },
  },
  {
    variant: "the template places devices by a parameter the device controls",
    env: "prod",
    rule: "AUTHZ-4",
    status: "unknown",
    message: /cannot resolve to a class/,
    apply: (s) => {
      const [name, cert] = ca(s);
      const template = JSON.parse(cert.registration_config.template_body);
      template.Resources.thing.Properties.ThingGroups = [{ Ref: "AWS::IoT::Certificate::CommonName" }];
      cert.registration_config.template_body = JSON.stringify(template);
      return `aws_iot_ca_certificate.${name}`;
    },
  },
  {
    variant: "a thing moved into the gateway group by Terraform",
    env: "prod",
    rule: "AUTHZ-4",
    message: /puts thing sensor-17 into group/,
    apply: (s) =>
      add(s, "aws_iot_thing_group_membership", "promote", {
        thing_name: "sensor-17",
        thing_group_name: `\${aws_iot_thing_group.${groupOf(s, "gateway")}.name}`,
      }),
  },
]);

group(4, "template policies under the document rules (AUTHZ-1, AUTHZ-2)", [
  {
    variant: "iot:* in an inline JITP policy",
    env: "dev",
    rule: "AUTHZ-1",
    message: /^template policy wide: allows action iot:\*/,
    apply: (s) =>
      templateResource(s, "wide", {
        Type: "AWS::IoT::Policy",
        Properties: {
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "iot:*", Resource: `${ARN(s)}:topic/devices/${THING}/status` }],
          }),
        },
      }),
  },
  {
    variant: "a Connect on any client id in an inline JITP policy",
    env: "prod",
    rule: "AUTHZ-2",
    message: /^template policy anyone: iot:Connect is allowed on .*client\/device-1/,
    apply: (s) =>
      templateResource(s, "anyone", {
        Type: "AWS::IoT::Policy",
        Properties: {
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: "iot:Connect",
                Resource: `${ARN(s)}:client/device-1`,
                Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } },
              },
            ],
          },
        },
      }),
  },
  {
    variant: "an inline JITP policy that is not JSON",
    env: "prod",
    rule: "AUTHZ-1",
    message: /^template policy broken: the policy is not valid JSON/,
    apply: (s) => templateResource(s, "broken", { Type: "AWS::IoT::Policy", Properties: { PolicyDocument: "{ not json" } }),
  },
]);

group(5, "per-device scoping for every action (class 5, AUTHZ-4)", [
  {
    variant: "Publish on another thing's commands topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /iot:Publish on topic\/devices\/device-42\/commands is granted to class sensor, .*another thing/,
    apply: (s) => grant(s, "-sensor-0", "iot:Publish", `${ARN(s)}:topic/devices/device-42/commands`),
  },
  {
    variant: "Receive on another thing's commands",
    env: "dev",
    rule: "AUTHZ-4",
    message: /iot:Receive on topic\/devices\/device-42\/commands is granted to class gateway,/,
    apply: (s) => grant(s, "-gateway-0", "iot:Receive", `${ARN(s)}:topic/devices/device-42/commands`),
  },
  {
    variant: "Subscribe to another thing's shadow",
    env: "dev",
    rule: "AUTHZ-4",
    message: /topicfilter\/\$aws\/things\/device-42\/shadow/,
    apply: (s) => grant(s, "-sensor-0", "iot:Subscribe", `${ARN(s)}:topicfilter/$aws/things/device-42/shadow/update/accepted`),
  },
  {
    variant: "RetainPublish on the device's own topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /grants devices iot:RetainPublish/,
    apply: (s) => grant(s, "-sensor-0", "iot:RetainPublish", `${ARN(s)}:topic/devices/${THING}/status`),
  },
  {
    variant: "the HTTP shadow API on another thing",
    env: "prod",
    rule: "AUTHZ-4",
    message: /grants devices iot:UpdateThingShadow/,
    apply: (s) => grant(s, "-gateway-0", "iot:UpdateThingShadow", `${ARN(s)}:thing/device-42`),
  },
  {
    variant: "a gateway publishing to the shared topic it may only read",
    env: "dev",
    rule: "AUTHZ-4",
    message: /iot:Publish on topic\/fleet\/firmware is granted to class gateway,/,
    apply: (s) => grant(s, "-gateway-0", "iot:Publish", `${ARN(s)}:topic/fleet/firmware`),
  },
  {
    variant: "a sensor reading the gateways' shared topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /iot:Receive on topic\/fleet\/firmware is granted to class sensor,/,
    apply: (s) => grant(s, "-sensor-0", "iot:Receive", `${ARN(s)}:topic/fleet/firmware`),
  },
  {
    variant: "a basic ingest topic",
    env: "dev",
    rule: "AUTHZ-4",
    message: /basic ingest/,
    apply: (s) => grant(s, "-sensor-0", "iot:Publish", `${ARN(s)}:topic/$aws/rules/forward/${THING}`),
  },
  {
    variant: "a new unattached policy (attachable outside Terraform) on a shared topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /iot:Subscribe on topicfilter\/fleet\/firmware is granted to class sensor,/,
    apply: (s) =>
      add(s, "aws_iot_policy", "spare", {
        name: "spare",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["iot:Subscribe"], Resource: [`${ARN(s)}:topicfilter/fleet/firmware`] }],
        }),
      }),
  },
]);

group(6, "AWS-generated key pairs (AUTH-1, class 6)", [
  {
    variant: "csr set to the empty string",
    env: "dev",
    rule: "AUTH-1",
    apply: (s) => add(s, "aws_iot_certificate", "empty_csr", { active: true, csr: "" }),
  },
  {
    variant: "certificate_pem set to the empty string",
    env: "prod",
    rule: "AUTH-1",
    apply: (s) => add(s, "aws_iot_certificate", "empty_pem", { active: true, certificate_pem: "" }),
  },
  {
    variant: "both empty, whitespace only",
    env: "prod",
    rule: "AUTH-1",
    apply: (s) => add(s, "aws_iot_certificate", "blank", { active: true, certificate_pem: "  ", csr: "\n" }),
  },
  {
    variant: "csr from a variable",
    env: "dev",
    rule: "AUTH-1",
    status: "unknown",
    apply: (s) => add(s, "aws_iot_certificate", "var_csr", { active: true, csr: "${var.csr}" }),
  },
]);

group(6, "keys in the configuration (AUTH-2)", [
  {
    variant: "a CA made with the TLS provider (tls_private_key + tls_self_signed_cert)",
    env: "prod",
    rule: "AUTH-2",
    message: /takes the private key \(private_key_pem\)/,
    apply: (s) => {
      add(s, "tls_private_key", "ca", { algorithm: "ECDSA", ecdsa_curve: "P256" });
      return add(s, "tls_self_signed_cert", "ca", {
        private_key_pem: "${tls_private_key.ca.private_key_pem}",
        is_ca_certificate: true,
        validity_period_hours: 87600,
        allowed_uses: ["cert_signing"],
        subject: { common_name: "ca" },
      });
    },
  },
  {
    variant: "a device certificate signed with a CA key from a variable",
    env: "dev",
    rule: "AUTH-2",
    message: /a CA's key/,
    apply: (s) =>
      add(s, "tls_locally_signed_cert", "device", {
        cert_request_pem: "${var.csr}",
        ca_private_key_pem: "${var.ca_key}",
        ca_cert_pem: "${var.ca_cert}",
        validity_period_hours: 24,
        allowed_uses: ["client_auth"],
      }),
  },
  {
    variant: "a key encoded with base64decode",
    env: "prod",
    rule: "AUTH-2",
    message: /value: a base64-encoded PEM private key, decoded at apply time/,
    apply: (s) => parameter(s, "decoded", `\${base64decode("${Buffer.from(keyPem()).toString("base64")}")}`),
  },
  {
    variant: "a key kept as base64 text in a tag",
    env: "dev",
    rule: "AUTH-2",
    message: /tags\.blob: a base64-encoded PEM private key/,
    apply: (s) => {
      const [name, vpc] = Object.entries(s.resource.aws_vpc as Record<string, Json>)[0];
      vpc.tags = { ...vpc.tags, blob: Buffer.from(`x${keyPem()}`).toString("base64") };
      return `aws_vpc.${name}`;
    },
  },
  {
    variant: "a PEM header split by interpolation",
    env: "prod",
    rule: "AUTH-2",
    message: /assembled by interpolation|completed by interpolation/,
    apply: (s) => {
      // The armour is built at run time, so no file of the repository holds a private-key header.
      const armour = (edge: string) => `-----${edge} ${"PRIVATE"} KEY-----`;
      const body = keyPem().replace(armour("BEGIN"), "-----BEGIN PRI${local.vate}").replace(armour("END"), "-----END PRI${local.vate}");
      s.output.device_key = { value: body, sensitive: true };
      return "output.device_key";
    },
  },
  {
    variant: "a PEM whose fences come from a local",
    env: "dev",
    rule: "AUTH-2",
    message: /completed by interpolation/,
    apply: (s) => parameter(s, "fenced", "${local.begin}\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n${local.end}-----\n"),
  },
  {
    variant: "a PEM joined from pieces by a function",
    env: "dev",
    rule: "AUTH-2",
    message: /built by a function/,
    apply: (s) =>
      parameter(s, "joined", '${join("", ["-----BEGIN EC PRIV", "ATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIV", "ATE KEY-----\n"])}'),
  },
  {
    variant: "a key file read with file()",
    env: "prod",
    rule: "AUTH-2",
    message: /file\("secrets\/ca\.key"\) reads a key file/,
    apply: (s) => parameter(s, "from_file", '${file("secrets/ca.key")}'),
  },
  {
    variant: "a key file read by a local_sensitive_file data source",
    env: "dev",
    rule: "AUTH-2",
    message: /reads \.pki\/dev\/ca\/issuing\.key into Terraform state/,
    apply: (s) => {
      s.data.local_sensitive_file = { ca: { filename: ".pki/dev/ca/issuing.key" } };
      return "data.local_sensitive_file.ca";
    },
  },
]);

group(7, "class 7: values Terraform converts", [
  {
    variant: '"true" for map_public_ip_on_launch',
    env: "dev",
    rule: "NET-3",
    apply: (s) => (
      (s.resource.aws_subnet[first(s, "aws_subnet", isDevice)].map_public_ip_on_launch = "true"),
      `aws_subnet.${first(s, "aws_subnet", isDevice)}`
    ),
  },
  {
    variant: 'an allow-all ACL egress written with egress "true"',
    env: "dev",
    rule: "NET-5",
    apply: (s) =>
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
    env: "dev",
    rule: "FW-2",
    apply: (s) => {
      s.variable = { ...s.variable, allowed_cidr: { type: "string", default: "0.0.0.0/0" } };
      return add(s, "aws_vpc_security_group_ingress_rule", "v", {
        security_group_id: brokerGroup(s),
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        cidr_ipv4: "${var.allowed_cidr}",
        description: "from var",
      });
    },
  },
  {
    variant: "a variable without default as broker ingress source (unknown, never a pass)",
    env: "dev",
    rule: "FW-2",
    status: "unknown",
    apply: (s) => {
      s.variable = { ...s.variable, allowed_cidr: { type: "string" } };
      return add(s, "aws_vpc_security_group_ingress_rule", "v", {
        security_group_id: brokerGroup(s),
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        cidr_ipv4: "${var.allowed_cidr}",
        description: "from var",
      });
    },
  },
  {
    variant: "a local holding 0.0.0.0/0",
    env: "dev",
    rule: "FW-2",
    apply: (s) => {
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
    env: "dev",
    rule: "NET-3",
    apply: (s) => {
      s.variable = { ...s.variable, public: { type: "bool", default: "true" } };
      const name = first(s, "aws_subnet", isEndpoint);
      s.resource.aws_subnet[name].map_public_ip_on_launch = "${var.public}";
      return `aws_subnet.${name}`;
    },
  },
  {
    variant: 'a rule_number "50" allow to the office before its deny',
    env: "dev",
    rule: "NET-6",
    apply: (s) => {
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
]);

group(8, "class 8: everywhere written another way", [
  {
    variant: "0.0.0.0/1 + 128.0.0.0/1 on a new group",
    env: "dev",
    rule: "FW-2",
    apply: (s) => {
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
    env: "dev",
    rule: "FW-2",
    apply: (s) => {
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
    env: "dev",
    rule: "FW-2",
    apply: (s) => {
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
    env: "dev",
    rule: "FW-2",
    apply: (s) => {
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
    env: "dev",
    rule: "FW-1",
    status: "unknown",
    apply: (s) => {
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
]);

group(9, "class 9: network ACL semantics", [
  {
    variant: "a second ACL associated with a device subnet (the last association wins)",
    env: "dev",
    rule: "NET-5",
    apply: (s) => {
      // In JSON, ACL entries are attributes: Terraform wants every field of each entry written.
      add(s, "aws_network_acl", "open", {
        vpc_id: vpc(s),
        ingress: [
          {
            rule_no: 100,
            action: "allow",
            protocol: "-1",
            cidr_block: "0.0.0.0/0",
            from_port: 0,
            to_port: 0,
            icmp_code: 0,
            icmp_type: 0,
            ipv6_cidr_block: null,
          },
        ],
        egress: [
          {
            rule_no: 100,
            action: "allow",
            protocol: "-1",
            cidr_block: "0.0.0.0/0",
            from_port: 0,
            to_port: 0,
            icmp_code: 0,
            icmp_type: 0,
            ipv6_cidr_block: null,
          },
        ],
      });
      add(s, "aws_network_acl_association", "open", { network_acl_id: "${aws_network_acl.open.id}", subnet_id: deviceSubnet(s) });
      return `aws_subnet.${first(s, "aws_subnet", isDevice)}`;
    },
  },
  {
    variant: "allow-all split in halves",
    env: "dev",
    rule: "NET-5",
    apply: (s) => {
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
    env: "dev",
    rule: "NET-5",
    apply: (s) =>
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
    env: "dev",
    rule: "NET-6",
    apply: (s) => {
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
    env: "dev",
    rule: "NET-6",
    apply: (s) => {
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
    env: "dev",
    rule: "NET-5",
    apply: (s) => {
      const name = first(s, "aws_default_network_acl");
      s.resource.aws_default_network_acl[name].ingress = [
        {
          rule_no: 100,
          action: "allow",
          protocol: "-1",
          cidr_block: "0.0.0.0/0",
          from_port: 0,
          to_port: 0,
          icmp_code: 0,
          icmp_type: 0,
          ipv6_cidr_block: null,
        },
      ];
      return `aws_default_network_acl.${name}`;
    },
  },
]);

group(10, "flow log records and destinations (LOG-1)", [
  {
    variant: "a log format without addresses",
    env: "prod",
    rule: "LOG-1",
    message: /lacks \$\{srcaddr\}, \$\{dstaddr\}/,
    apply: (s) => {
      const [name, log] = flowLog(s, "s3");
      log.log_format = log.log_format.replace("$${srcaddr} $${dstaddr} ", "");
      return `aws_flow_log.${name}`;
    },
  },
  {
    variant: "a log format without ports or verdict",
    env: "dev",
    rule: "LOG-1",
    message: /lacks \$\{srcport\}, \$\{dstport\}, \$\{action\}/,
    apply: (s) => {
      const [name, log] = flowLog(s, "cloud-watch-logs");
      log.log_format = "$${version} $${srcaddr} $${dstaddr} $${protocol} $${packets}";
      return `aws_flow_log.${name}`;
    },
  },
  {
    variant: "a second flow log to Firehose",
    env: "prod",
    rule: "LOG-1",
    message: /kinesis-data-firehose/,
    apply: (s) => {
      const [, log] = flowLog(s, "s3");
      s.resource.aws_flow_log.firehose = {
        ...log,
        log_destination_type: "kinesis-data-firehose",
        log_destination: "arn:aws:firehose:eu-west-1:210987654321:deliverystream/collect",
      };
      return "aws_flow_log.firehose";
    },
  },
  {
    variant: "delivery through another account's role",
    env: "dev",
    rule: "LOG-1",
    message: /another account/,
    apply: (s) => {
      const [name, log] = flowLog(s, "cloud-watch-logs");
      log.deliver_cross_account_role = "arn:aws:iam::210987654321:role/collector";
      return `aws_flow_log.${name}`;
    },
  },
]);

group(10, "the S3 log store (LOG-3)", [
  {
    variant: "objects expire before the retention",
    env: "prod",
    rule: "LOG-3",
    message: /expires log objects after 30 days/,
    apply: (s) => {
      const [name, lifecycle] = only(s, "aws_s3_bucket_lifecycle_configuration");
      lifecycle.rule[0].expiration = [{ days: 30 }];
      return `aws_s3_bucket_lifecycle_configuration.${name}`;
    },
  },
  {
    variant: "a second lifecycle rule expiring everything on a date",
    env: "prod",
    rule: "LOG-3",
    message: /on 2027-01-01/,
    apply: (s) => {
      const [name, lifecycle] = only(s, "aws_s3_bucket_lifecycle_configuration");
      lifecycle.rule.push({ id: "purge", status: "Enabled", filter: [{ prefix: "" }], expiration: [{ date: "2027-01-01T00:00:00Z" }] });
      return `aws_s3_bucket_lifecycle_configuration.${name}`;
    },
  },
  {
    variant: "the TLS deny narrowed to one principal",
    env: "prod",
    rule: "LOG-3",
    message: /aws:SecureTransport/,
    apply: (s) => {
      bucketPolicy(s, (doc) => (tlsDeny(doc).Principal = { AWS: "arn:aws:iam::123456789012:role/intern" }));
      return `aws_s3_bucket.${only(s, "aws_s3_bucket")[0]}`;
    },
  },
  {
    variant: "the TLS deny narrowed to PutObject",
    env: "prod",
    rule: "LOG-3",
    message: /aws:SecureTransport/,
    apply: (s) => {
      bucketPolicy(s, (doc) => (tlsDeny(doc).Action = "s3:PutObject"));
      return `aws_s3_bucket.${only(s, "aws_s3_bucket")[0]}`;
    },
  },
  {
    variant: "the TLS deny narrowed by an extra condition",
    env: "prod",
    rule: "LOG-3",
    message: /aws:SecureTransport/,
    apply: (s) => {
      bucketPolicy(s, (doc) => (tlsDeny(doc).Condition.StringEquals = { "aws:PrincipalTag/team": "none" }));
      return `aws_s3_bucket.${only(s, "aws_s3_bucket")[0]}`;
    },
  },
  {
    variant: "another account granted read and delete",
    env: "prod",
    rule: "LOG-3",
    message: /allows s3:GetObject, s3:DeleteObject to 210987654321/,
    apply: (s) =>
      bucketPolicy(s, (doc) =>
        doc.Statement.push({
          Sid: "Partner",
          Effect: "Allow",
          Principal: { AWS: "210987654321" },
          Action: ["s3:GetObject", "s3:DeleteObject"],
          Resource: "*",
        }),
      ),
  },
  {
    variant: "the log bucket replicated to another account",
    env: "prod",
    rule: "LOG-3",
    message: /replicates the flow-log bucket/,
    apply: (s) => {
      const [bucket] = only(s, "aws_s3_bucket");
      s.resource.aws_s3_bucket_replication_configuration = {
        out: {
          bucket: `\${aws_s3_bucket.${bucket}.id}`,
          role: "arn:aws:iam::123456789012:role/r",
          rule: [{ id: "all", status: "Enabled", destination: { bucket: "arn:aws:s3:::collector-210987654321" } }],
        },
      };
      return "aws_s3_bucket_replication_configuration.out";
    },
  },
  {
    variant: "an access point on the log bucket",
    env: "prod",
    rule: "LOG-3",
    message: /access point/,
    apply: (s) => {
      const [bucket] = only(s, "aws_s3_bucket");
      s.resource.aws_s3_access_point = { side: { name: "side", bucket: `\${aws_s3_bucket.${bucket}.id}` } };
      return "aws_s3_access_point.side";
    },
  },
  {
    variant: "a bucket ACL granting log delivery write",
    env: "prod",
    rule: "LOG-3",
    message: /bucket ACL/,
    apply: (s) => {
      const [bucket] = only(s, "aws_s3_bucket");
      s.resource.aws_s3_bucket_acl = { acl: { bucket: `\${aws_s3_bucket.${bucket}.id}`, acl: "log-delivery-write" } };
      return "aws_s3_bucket_acl.acl";
    },
  },
]);

group(10, "the log store's keys (LOG-2, LOG-3)", [
  {
    variant: "the flow-log key policy open to *",
    env: "dev",
    rule: "LOG-2",
    message: /to every principal/,
    apply: (s) =>
      keyPolicy(s, (doc) =>
        doc.Statement.push({ Sid: "Open", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*" }),
      ),
  },
  {
    variant: "the flow-log key policy granting another account",
    env: "prod",
    rule: "LOG-3",
    message: /outside the stack's account/,
    apply: (s) =>
      keyPolicy(s, (doc) =>
        doc.Statement.push({
          Sid: "Partner",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::210987654321:root" },
          Action: "kms:*",
          Resource: "*",
        }),
      ),
  },
  {
    variant: "a disabled flow-log key",
    env: "dev",
    rule: "LOG-2",
    message: /is disabled/,
    apply: (s) => {
      const [name, key] = flowKey(s);
      key.is_enabled = false;
      return `aws_kms_key.${name}`;
    },
  },
  {
    variant: "a foreign key on the log group",
    env: "prod",
    rule: "LOG-2",
    status: "unknown",
    message: /not a key of this stack/,
    apply: (s) => {
      const [name, group] = only(s, "aws_cloudwatch_log_group");
      group.kms_key_id = "arn:aws:kms:eu-west-1:210987654321:key/0f6c1c1e-0000-4000-8000-000000000000";
      return `aws_cloudwatch_log_group.${name}`;
    },
  },
  {
    variant: "a foreign key on the bucket",
    env: "prod",
    rule: "LOG-3",
    status: "unknown",
    message: /not a key of this stack/,
    apply: (s) => {
      const [name, sse] = only(s, "aws_s3_bucket_server_side_encryption_configuration");
      sse.rule[0].apply_server_side_encryption_by_default.kms_master_key_id =
        "arn:aws:kms:eu-west-1:210987654321:key/0f6c1c1e-0000-4000-8000-000000000000";
      return `aws_s3_bucket_server_side_encryption_configuration.${name}`;
    },
  },
  {
    variant: "the flow-log group streamed to another account",
    env: "dev",
    rule: "LOG-2",
    message: /streams the flow-log group/,
    apply: (s) => {
      const [group] = only(s, "aws_cloudwatch_log_group");
      s.resource.aws_cloudwatch_log_subscription_filter = {
        out: {
          name: "out",
          log_group_name: `\${aws_cloudwatch_log_group.${group}.name}`,
          filter_pattern: "",
          destination_arn: "arn:aws:logs:eu-west-1:210987654321:destination:collect",
        },
      };
      return "aws_cloudwatch_log_subscription_filter.out";
    },
  },
  {
    variant: "an Infrequent Access flow-log group",
    env: "dev",
    rule: "LOG-2",
    message: /log_group_class INFREQUENT_ACCESS is not STANDARD/,
    apply: (s) => {
      const [name, group] = only(s, "aws_cloudwatch_log_group");
      group.log_group_class = "INFREQUENT_ACCESS";
      return `aws_cloudwatch_log_group.${name}`;
    },
  },
]);

group(10, "alarms that can never fire (LOG-5)", [
  {
    variant: "an auth alarm waiting for the count to fall",
    env: "prod",
    rule: "LOG-5",
    message: /fires when the count falls/,
    apply: (s) => {
      const [name, a] = alarm(s, "Connect.AuthNError");
      a.comparison_operator = "LessThanThreshold";
      return `aws_cloudwatch_metric_alarm.${name}`;
    },
  },
  {
    variant: "more datapoints than evaluated periods",
    env: "dev",
    rule: "LOG-5",
    message: /datapoints_to_alarm 3 exceeds evaluation_periods 1/,
    apply: (s) => {
      const [name, a] = alarm(s, "RejectedMqttFlows");
      a.datapoints_to_alarm = 3;
      return `aws_cloudwatch_metric_alarm.${name}`;
    },
  },
  {
    variant: "an auth alarm threshold far above the environment's",
    env: "prod",
    rule: "LOG-5",
    message: /threshold 100000 lets more failures .* authFailureThreshold 0/,
    apply: (s) => {
      const [name, a] = alarm(s, "PublishIn.AuthZError");
      a.threshold = 100000;
      return `aws_cloudwatch_metric_alarm.${name}`;
    },
  },
  {
    variant: "a day of breaching periods before the alarm fires",
    env: "dev",
    rule: "LOG-5",
    message: /needs 288 breaching periods/,
    apply: (s) => {
      const [name, a] = alarm(s, "Connect.AuthZError");
      a.evaluation_periods = 288;
      a.datapoints_to_alarm = 288;
      return `aws_cloudwatch_metric_alarm.${name}`;
    },
  },
  {
    variant: "a unit the metric never has",
    env: "prod",
    rule: "LOG-5",
    message: /unit Seconds/,
    apply: (s) => {
      const [name, a] = alarm(s, "Subscribe.AuthZError");
      a.unit = "Seconds";
      return `aws_cloudwatch_metric_alarm.${name}`;
    },
  },
  {
    variant: "a metric-math alarm whose expression no longer adds up the failures",
    env: "prod",
    rule: "LOG-5",
    status: "unknown",
    message: /metric math expression other than a sum of counts/,
    apply: (s) => {
      const [name, a] = alarm(s, "Connect.AuthError");
      const returned = (a.metric_query as Json[]).find((q) => q.return_data === true)!;
      returned.expression = `-1 * ${returned.expression}`;
      return `aws_cloudwatch_metric_alarm.${name}`;
    },
  },
  {
    variant: "a metric-math sum that adds a metric it never fetches",
    env: "dev",
    rule: "LOG-5",
    status: "unknown",
    message: /metric math expression other than a sum of counts/,
    apply: (s) => {
      const [name, a] = alarm(s, "Subscribe.AuthError");
      const returned = (a.metric_query as Json[]).find((q) => q.return_data === true)!;
      returned.expression = "SUM([m9])";
      return `aws_cloudwatch_metric_alarm.${name}`;
    },
  },
  {
    variant: "one of two redundant auth alarms silenced",
    env: "dev",
    rule: "LOG-5",
    message: /actions_enabled is false/,
    apply: (s) => {
      const [name, a] = alarm(s, "Connection.AuthNError");
      a.actions_enabled = false;
      return `aws_cloudwatch_metric_alarm.${name}`;
    },
  },
]);

/**
 * Class 11: a reviewer's suppression names a Terraform address; an added resource that copies the
 * suppressed one's `//` metadata (its construct path) must not share the suppression.
 */
group(11, "class 11: suppressions match addresses, not construct paths", [
  {
    variant: "an endpoint to a third party claiming the suppressed endpoint's construct path",
    env: "dev",
    rule: "NET-2",
    suppress: (s) => [{ rule: "TLS-3", resource: `aws_vpc_endpoint.${first(s, "aws_vpc_endpoint")}` }],
    apply: (s) => {
      const endpoint = s.resource.aws_vpc_endpoint[first(s, "aws_vpc_endpoint")];
      return add(s, "aws_vpc_endpoint", "partner", {
        ...endpoint,
        service_name: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0",
      });
    },
  },
  {
    variant: "a second instance claiming the construct path of an instance accepted by address",
    env: "dev",
    rule: "CW-1",
    suppress: () => [{ rule: "CW-1", resource: "aws_instance.jump" }],
    apply: (s) => {
      const meta = { metadata: { path: "iot-dev/network/jump" } };
      const body = { "//": meta, ami: "ami-0123456789abcdef0", instance_type: "t3.micro", subnet_id: deviceSubnet(s) };
      add(s, "aws_instance", "jump", body);
      return add(s, "aws_instance", "other", { ...body });
    },
  },
  {
    variant: "a second internet gateway claiming the construct path of an accepted one",
    env: "prod",
    rule: "NET-1",
    suppress: () => [{ rule: "NET-1", resource: "aws_internet_gateway.lab" }],
    apply: (s) => {
      const body = { "//": { metadata: { path: "iot-prod/network/lab-gateway" } }, vpc_id: vpc(s) };
      add(s, "aws_internet_gateway", "lab", body);
      return add(s, "aws_internet_gateway", "igw", { ...body });
    },
  },
]);

/** Class 12: array-form blocks, valid Terraform JSON, are read (deep nesting is refused: closed-world-config.test.ts). */
group(12, "class 12: array-form blocks are read", [
  {
    variant: "a list of resource sections",
    env: "dev",
    rule: "NET-1",
    apply: (s) => {
      s.resource = [s.resource, { aws_internet_gateway: { igw: { vpc_id: ref(s, "aws_vpc") } } }];
      return "aws_internet_gateway.igw";
    },
  },
  {
    variant: "a list of named blocks under a type",
    env: "dev",
    rule: "NET-1",
    apply: (s) => ((s.resource.aws_internet_gateway = [{ igw: { vpc_id: ref(s, "aws_vpc") } }]), "aws_internet_gateway.igw"),
  },
  {
    variant: "a block body written as a one-element list",
    env: "prod",
    rule: "NET-1",
    apply: (s) => ((s.resource.aws_internet_gateway = { igw: [{ vpc_id: ref(s, "aws_vpc") }] }), "aws_internet_gateway.igw"),
  },
]);

/**
 * Variants that cannot exist as a plan, with the reason: the closed-world plan test checks that
 * every other variant has a committed plan and is caught there as on cdk.tf.json.
 */
export const STACK_ONLY: Readonly<Record<string, string>> = {
  "a PEM header split by interpolation": "a plan would hold the generated private key as literal PEM armour, and it would be committed",
  "a key encoded with base64decode": "a plan would hold the generated private key (decoded by Terraform), and it would be committed",
  "a key kept as base64 text in a tag": "a plan would hold the generated private key as a tag value, and it would be committed",
  "an endpoint to a third party claiming the suppressed endpoint's construct path":
    "the spoof is the `//` metadata of cdk.tf.json; `terraform show -json` writes no construct path",
  "a second instance claiming the construct path of an instance accepted by address":
    "the spoof is the `//` metadata of cdk.tf.json; `terraform show -json` writes no construct path",
  "a second internet gateway claiming the construct path of an accepted one":
    "the spoof is the `//` metadata of cdk.tf.json; `terraform show -json` writes no construct path",
  "ignore_changes on the broker group (drift made outside Terraform stays)":
    "`terraform show -json` writes no lifecycle block: the plan of this edit equals the clean plan",
};

const UNDECLARED =
  "`terraform plan` refuses a reference to an undeclared input variable; declared without a value, `plan -input=false` refuses it too (a plan always knows its variables, so the unknown tested here cannot exist in one)";

/** Variants Terraform itself refused to plan offline, with what it said (see docs/review-closed-world.md). */
export const NOT_PLANNED: Readonly<Record<string, string>> = {
  "a module block":
    "init: the registry module (terraform-aws-modules/vpc/aws) cannot be downloaded offline (Error accessing remote module registry)",
  "a dynamic block on the broker group": UNDECLARED,
  "an import block":
    "plan: Configuration for import target does not exist; with the target configured, the provider reads the object from AWS (EC2 DescribeInternetGateways), which the offline stub does not answer",
  "a count known only at apply time on the default security group": UNDECLARED,
  "an aws provider pointed at another source":
    "the offline plan pins required_providers.aws to the mirror's hashicorp/aws (test/terraform/stack-dir.ts), so the edit never reaches Terraform; a real init would install evil/aws",
  "an internet gateway of the awscc provider":
    "init: hashicorp/awscc is not in the provider mirror (Failed to query available provider packages)",
  "an API Gateway VPC link into subnets named by an SSM parameter":
    "plan: the aws_ssm_parameter data source calls SSM GetParameter on AWS itself; the offline stub answers STS and IoT only",
  "a resource given a subnet id through a data source":
    "plan: aws_kafkaconnect_connector is not a resource type of the mirror's provider (5.100), and its SSM data source calls AWS",
  "the registered CA read from a variable": UNDECLARED,
  "csr from a variable": UNDECLARED,
  "a CA made with the TLS provider (tls_private_key + tls_self_signed_cert)":
    "init: hashicorp/tls is not in the provider mirror (and its plan would hold a generated CA key)",
  "a device certificate signed with a CA key from a variable": "init: hashicorp/tls is not in the provider mirror",
  "a PEM whose fences come from a local":
    "plan: Reference to undeclared local value (the fences are the point: defined, the plan holds a literal key)",
  "a PEM joined from pieces by a function":
    "plan: Invalid multi-line string (a template with newlines is valid only in a heredoc); as a heredoc the plan would hold the key",
  "a key file read with file()": "plan: Invalid function argument (secrets/ca.key does not exist; where it does, the plan holds the key)",
  "a key file read by a local_sensitive_file data source": "init: hashicorp/local is not in the provider mirror",
  "a variable without default as broker ingress source (unknown, never a pass)":
    "plan: No value for required variable (a plan always knows its variables, so this unknown cannot exist in one)",
  "ingress on the broker group named through a data source":
    "plan: the aws_security_group data source calls EC2 DescribeSecurityGroups on AWS itself; the offline stub answers STS and IoT only",
};

/**
 * Variants Terraform can plan whose plan is not committed yet (each plan takes tens of seconds on a
 * shared machine): `npm run plans <name>` makes it, and removing the entry here adds it to the test.
 */
export const PLAN_PENDING: Readonly<Record<string, string>> = {};
