import { MOAT_PACK } from "../../review/pack";
import { ReviewContext } from "../../review/rule";
import { FIXTURE_CONTEXT, findingsOf, Json, moatStack } from "./fixture-stack";
import { pemBlock } from "../support/pem-block";

/** One way to break the compliant fixture, and the finding it must cause. */
interface Case {
  readonly name: string;
  readonly mutate: (stack: Json) => void;
  readonly resource: string;
  readonly message: RegExp;
  readonly status?: "fail" | "unknown";
  readonly context?: ReviewContext;
}

/** One way to change the fixture that must still pass the rule. */
interface Compliant {
  readonly name: string;
  readonly mutate: (stack: Json) => void;
  readonly context?: ReviewContext;
}

const r = (stack: Json) => stack.resource;
const connectStatement = (stack: Json, replace: (text: string) => string) => {
  r(stack).aws_iot_policy.connect.policy = replace(r(stack).aws_iot_policy.connect.policy);
};
const s3FlowLog = (stack: Json) => {
  r(stack).aws_s3_bucket = { logs: { bucket_prefix: "flow" } };
  r(stack).aws_s3_bucket_public_access_block = {
    logs: {
      bucket: "${aws_s3_bucket.logs.id}",
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    },
  };
  r(stack).aws_s3_bucket_server_side_encryption_configuration = {
    logs: {
      bucket: "${aws_s3_bucket.logs.id}",
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.logs.arn}" } }],
    },
  };
  r(stack).aws_s3_bucket_versioning = { logs: { bucket: "${aws_s3_bucket.logs.id}", versioning_configuration: { status: "Enabled" } } };
  r(stack).aws_s3_bucket_lifecycle_configuration = {
    logs: { bucket: "${aws_s3_bucket.logs.id}", rule: [{ id: "expire", status: "Enabled", expiration: { days: 365 } }] },
  };
  r(stack).aws_s3_bucket_policy = {
    logs: {
      bucket: "${aws_s3_bucket.logs.id}",
      policy:
        '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Deny", "Principal" = "*", "Action" = "s3:*", "Resource" = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"], "Condition" = {"Bool" = {"aws:SecureTransport" = "false"}}}]})}',
    },
  };
  r(stack).aws_flow_log.flow.log_destination_type = "s3";
  r(stack).aws_flow_log.flow.log_destination = "${aws_s3_bucket.logs.arn}";
};
const mqBroker = (stack: Json) => {
  r(stack).aws_mq_broker = {
    mq: {
      broker_name: "mq",
      engine_type: "ActiveMQ",
      publicly_accessible: false,
      auto_minor_version_upgrade: true,
      logs: { audit: true, general: true },
      encryption_options: { use_aws_owned_key: false, kms_key_id: "${aws_kms_key.logs.arn}" },
      security_groups: ["${aws_security_group.broker.id}"],
    },
  };
};
/** The connect policy read from `data.aws_iam_policy_document.iot`, with the given extra arguments beside one narrow statement. */
const iotPolicyDocument = (stack: Json, extra: Json, others: Json = {}) => {
  stack.data.aws_iam_policy_document = {
    ...others,
    iot: {
      statement: [{ sid: "publish", actions: ["iot:Publish"], resources: ["arn:aws:iot:eu-west-1:1:topic/devices/telemetry"] }],
      ...extra,
    },
  };
  r(stack).aws_iot_policy.connect.policy = "${data.aws_iam_policy_document.iot.json}";
};
const WIDE_JSON = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Sid: "publish", Effect: "Allow", Action: "iot:*", Resource: "*" }],
});
/**
 * A second security group `extra` with an all-protocol ingress from 0.0.0.0/0, attached to
 * whatever `attach` writes (an association, an ENI attachment, another endpoint).
 */
const extraGroupOpenToAll = (stack: Json, attach: (stack: Json) => void) => {
  r(stack).aws_security_group.extra = { description: "extra", vpc_id: "${aws_vpc.vpc.id}" };
  r(stack).aws_vpc_security_group_ingress_rule.open = {
    security_group_id: "${aws_security_group.extra.id}",
    ip_protocol: "-1",
    cidr_ipv4: "0.0.0.0/0",
    description: "open",
  };
  attach(stack);
};
const associated = (endpoint: string) => (stack: Json) =>
  (r(stack).aws_vpc_endpoint_security_group_association = {
    extra: { vpc_endpoint_id: endpoint, security_group_id: "${aws_security_group.extra.id}" },
  });
const attachedToEni = (eni: string) => (stack: Json) =>
  (r(stack).aws_network_interface_sg_attachment = {
    extra: { network_interface_id: eni, security_group_id: "${aws_security_group.extra.id}" },
  });
const onEndpointOfService = (service: string) => (stack: Json) =>
  (r(stack).aws_vpc_endpoint.other = {
    ...r(stack).aws_vpc_endpoint.endpoint,
    service_name: service,
    security_group_ids: ["${aws_security_group.extra.id}"],
  });
const ingress = (stack: Json) => r(stack).aws_vpc_security_group_ingress_rule.broker_mqtt;
const egress = (stack: Json) => r(stack).aws_vpc_security_group_egress_rule.devices_mqtt;

/**
 * `advisory`: the rule warns about something outside every plan, so the compliant fixture
 * itself carries the finding (it is then one of the violations, not a passing case).
 */
const CASES: Record<string, { compliant?: Compliant[]; violations: Case[]; advisory?: boolean }> = {
  "NET-1": {
    violations: [
      {
        name: "an internet gateway",
        mutate: (s) => (r(s).aws_internet_gateway = { igw: { vpc_id: "${aws_vpc.vpc.id}" } }),
        resource: "aws_internet_gateway.igw",
        message: /path to the Internet/,
      },
      {
        name: "a NAT gateway",
        mutate: (s) => (r(s).aws_nat_gateway = { nat: { subnet_id: "${aws_subnet.device.id}" } }),
        resource: "aws_nat_gateway.nat",
        message: /aws_nat_gateway/,
      },
      {
        name: "an egress-only gateway",
        mutate: (s) => (r(s).aws_egress_only_internet_gateway = { eigw: { vpc_id: "${aws_vpc.vpc.id}" } }),
        resource: "aws_egress_only_internet_gateway.eigw",
        message: /egress_only/,
      },
    ],
  },
  "NET-2": {
    compliant: [
      {
        name: "an explicit local route",
        mutate: (s) => (r(s).aws_route_table.device.route = [{ cidr_block: "10.42.0.0/16", gateway_id: "local" }]),
      },
    ],
    violations: [
      {
        name: "an inline route to an internet gateway",
        mutate: (s) => {
          r(s).aws_internet_gateway = { igw: { vpc_id: "${aws_vpc.vpc.id}" } };
          r(s).aws_route_table.device.route = [{ cidr_block: "0.0.0.0/0", gateway_id: "${aws_internet_gateway.igw.id}" }];
        },
        resource: "aws_route_table.device",
        message: /route to 0\.0\.0\.0\/0 leaves the segment through gateway_id/,
      },
      {
        name: "a NAT route",
        mutate: (s) =>
          (r(s).aws_route = {
            nat: { route_table_id: "${aws_route_table.device.id}", destination_cidr_block: "0.0.0.0/0", nat_gateway_id: "nat-123" },
          }),
        resource: "aws_route.nat",
        message: /nat_gateway_id/,
      },
      {
        name: "a peering connection",
        mutate: (s) => (r(s).aws_vpc_peering_connection = { peer: { vpc_id: "${aws_vpc.vpc.id}", peer_vpc_id: "vpc-1" } }),
        resource: "aws_vpc_peering_connection.peer",
        message: /another network/,
      },
      {
        name: "a transit gateway route",
        mutate: (s) =>
          (r(s).aws_route = { tgw: { route_table_id: "x", destination_cidr_block: "10.0.0.0/8", transit_gateway_id: "tgw-1" } }),
        resource: "aws_route.tgw",
        message: /transit_gateway_id/,
      },
      {
        name: "a gateway known only at apply time",
        mutate: (s) =>
          (r(s).aws_route = { gw: { route_table_id: "x", destination_cidr_block: "0.0.0.0/0", gateway_id: "${var.gateway}" } }),
        resource: "aws_route.gw",
        message: /not known to be "local"/,
        status: "unknown",
      },
    ],
  },
  "NET-3": {
    violations: [
      {
        name: "public IPs on launch",
        mutate: (s) => (r(s).aws_subnet.device.map_public_ip_on_launch = true),
        resource: "aws_subnet.device",
        message: /map_public_ip_on_launch is true/,
      },
      {
        name: "an Elastic IP",
        mutate: (s) => (r(s).aws_eip = { ip: { domain: "vpc" } }),
        resource: "aws_eip.ip",
        message: /public address/,
      },
      {
        name: "a variable",
        mutate: (s) => (r(s).aws_subnet.device.map_public_ip_on_launch = "${var.public}"),
        resource: "aws_subnet.device",
        message: /not known to be false/,
        status: "unknown",
      },
    ],
  },
  "NET-4": {
    compliant: [
      {
        name: "no rule blocks at all (Terraform strips the defaults)",
        mutate: (s) => (r(s).aws_default_security_group.default = { vpc_id: "${aws_vpc.vpc.id}" }),
      },
    ],
    violations: [
      {
        name: "an unmanaged default group",
        mutate: (s) => delete r(s).aws_default_security_group,
        resource: "aws_vpc.vpc",
        message: /default security group is not managed/,
      },
      {
        name: "an inline ingress rule",
        mutate: (s) => (r(s).aws_default_security_group.default.ingress = [{ protocol: "-1", from_port: 0, to_port: 0, self: true }]),
        resource: "aws_default_security_group.default",
        message: /has ingress rules/,
      },
      {
        name: "a rule resource on the VPC's default group",
        mutate: (s) =>
          (r(s).aws_vpc_security_group_egress_rule.open = {
            security_group_id: "${aws_vpc.vpc.default_security_group_id}",
            ip_protocol: "-1",
            cidr_ipv4: "0.0.0.0/0",
            description: "x",
          }),
        resource: "aws_vpc_security_group_egress_rule.open",
        message: /adds a egress rule to the default security group/,
      },
      {
        name: "a VPC known only at apply time",
        mutate: (s) => (r(s).aws_default_security_group.default.vpc_id = "${var.vpc}"),
        resource: "aws_default_security_group.default",
        message: /not a VPC of this stack/,
        status: "unknown",
      },
    ],
  },
  "NET-5": {
    violations: [
      {
        name: "a subnet without ACL",
        mutate: (s) => (r(s).aws_network_acl.device.subnet_ids = []),
        resource: "aws_subnet.device",
        message: /no network ACL is associated/,
      },
      {
        name: "an allow-all entry",
        mutate: (s) =>
          (r(s).aws_network_acl_rule.all = {
            network_acl_id: "${aws_network_acl.device.id}",
            egress: false,
            rule_number: 300,
            rule_action: "allow",
            protocol: "-1",
            cidr_block: "0.0.0.0/0",
          }),
        resource: "aws_network_acl_rule.all",
        message: /allows ingress .*from 0\.0\.0\.0\/0: every protocol and port/,
      },
      {
        name: "subnets known only at apply time",
        mutate: (s) => (r(s).aws_network_acl.device.subnet_ids = "${var.subnets}"),
        resource: "aws_network_acl.device",
        message: /cannot be placed/,
        status: "unknown",
      },
    ],
  },
  "NET-6": {
    compliant: [
      {
        name: "no office networks configured",
        mutate: (s) => delete r(s).aws_network_acl_rule.device_ingress_office,
        context: { ...FIXTURE_CONTEXT, officeCidrs: [] },
      },
    ],
    violations: [
      {
        name: "no environment",
        mutate: () => undefined,
        context: {},
        resource: "stack",
        message: /office CIDRs are not known/,
        status: "unknown",
      },
      {
        name: "a missing deny",
        mutate: (s) => delete r(s).aws_network_acl_rule.device_ingress_office,
        resource: "aws_subnet.device",
        message: /does not deny ingress from office network 192\.168\.0\.0\/16/,
      },
      {
        name: "a deny after an overlapping allow",
        mutate: (s) => {
          r(s).aws_network_acl_rule.device_egress_office.rule_number = 300;
          r(s).aws_network_acl_rule.device_egress_allow.cidr_block = "192.168.1.0/24";
        },
        resource: "aws_subnet.device",
        message: /does not deny egress to office network/,
      },
      {
        name: "a deny of TCP only",
        mutate: (s) => (r(s).aws_network_acl_rule.endpoint_ingress_office.protocol = "6"),
        resource: "aws_subnet.endpoint",
        message: /does not deny ingress from/,
      },
      {
        name: "a route to the office",
        mutate: (s) => (r(s).aws_route_table.device.route = [{ cidr_block: "192.168.4.0/24", gateway_id: "local" }]),
        resource: "aws_route_table.device",
        message: /overlaps office network/,
      },
      {
        name: "a security group allowing the office",
        mutate: (s) => (ingress(s).cidr_ipv4 = "192.168.0.0/24"),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /allows 192\.168\.0\.0\/24, inside office network/,
      },
      {
        name: "a deny known only at apply time",
        mutate: (s) => (r(s).aws_network_acl_rule.device_ingress_office.cidr_block = "${var.office}"),
        resource: "aws_subnet.device",
        message: /cannot tell whether aws_network_acl.device denies/,
        status: "unknown",
      },
    ],
  },
  "NET-7": {
    compliant: [
      {
        name: "the fixture's one path, devices to the broker on TCP 8883",
        mutate: () => undefined,
      },
    ],
    violations: [
      {
        name: "an interface the stack places in a device subnet, with a group of its own, reaching the broker",
        mutate: (s) => {
          r(s).aws_security_group.admin = { vpc_id: "${aws_vpc.vpc.id}", description: "admin tools" };
          r(s).aws_network_interface = {
            admin: { subnet_id: "${aws_subnet.device.id}", security_groups: ["${aws_security_group.admin.id}"] },
          };
          r(s).aws_vpc_security_group_egress_rule.admin = {
            security_group_id: "${aws_security_group.admin.id}",
            ip_protocol: "tcp",
            from_port: 8883,
            to_port: 8883,
            referenced_security_group_id: "${aws_security_group.broker.id}",
            description: "admin to broker",
          };
        },
        resource: "aws_network_acl_rule.device_egress_allow",
        message: /members of aws_security_group\.admin reaches broker endpoint .* on tcp\/8883 .*the broker endpoint accepts only devices/,
      },
    ],
  },
  "FW-1": {
    compliant: [
      {
        name: "an open group on another service's endpoint",
        mutate: (s) => extraGroupOpenToAll(s, onEndpointOfService("com.amazonaws.${var.region}.s3")),
      },
    ],
    violations: [
      {
        name: "a 1883 rule",
        mutate: (s) => (r(s).aws_vpc_security_group_ingress_rule.plain = { ...ingress(s), from_port: 1883, to_port: 1883 }),
        resource: "aws_vpc_security_group_ingress_rule.plain",
        message: /allows TCP port 1883 to the broker/,
      },
      {
        name: "a port range",
        mutate: (s) => Object.assign(ingress(s), { from_port: 8000, to_port: 9000 }),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /ports 8000-9000/,
      },
      {
        name: "all protocols",
        mutate: (s) => (ingress(s).ip_protocol = "-1"),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /every protocol/,
      },
      {
        name: "UDP",
        mutate: (s) => (ingress(s).ip_protocol = "udp"),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /protocol udp/,
      },
      {
        name: "an inline rule on the broker group",
        mutate: (s) =>
          (r(s).aws_security_group.broker.ingress = [
            { protocol: "tcp", from_port: 443, to_port: 443, cidr_blocks: ["10.42.0.0/20"], description: "https" },
          ]),
        resource: "aws_security_group.broker",
        message: /port 443/,
      },
      {
        name: "an aws_security_group_rule",
        mutate: (s) =>
          (r(s).aws_security_group_rule = {
            old: {
              type: "ingress",
              security_group_id: "${aws_security_group.broker.id}",
              protocol: "tcp",
              from_port: 22,
              to_port: 22,
              cidr_blocks: ["10.42.0.0/20"],
              description: "ssh",
            },
          }),
        resource: "aws_security_group_rule.old",
        message: /port 22/,
      },
      {
        name: "an endpoint without group",
        mutate: (s) => delete r(s).aws_vpc_endpoint.endpoint.security_group_ids,
        resource: "aws_vpc_endpoint.endpoint",
        message: /no security group/,
      },
      {
        name: "a port from a variable",
        mutate: (s) => (ingress(s).from_port = "${var.port}"),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /ports are known only at apply time/,
        status: "unknown",
      },
      {
        name: "a group attached by aws_vpc_endpoint_security_group_association",
        mutate: (s) => extraGroupOpenToAll(s, associated("${aws_vpc_endpoint.endpoint.id}")),
        resource: "aws_vpc_security_group_ingress_rule.open",
        message: /every protocol/,
      },
      {
        name: "a group attached to an endpoint ENI",
        mutate: (s) => extraGroupOpenToAll(s, attachedToEni("${element(tolist(aws_vpc_endpoint.endpoint.network_interface_ids), 0)}")),
        resource: "aws_vpc_security_group_ingress_rule.open",
        message: /every protocol/,
      },
      {
        name: "an association with an endpoint from a variable",
        mutate: (s) => extraGroupOpenToAll(s, associated("${var.endpoint}")),
        resource: "aws_vpc_endpoint_security_group_association.extra",
        message: /cannot tell whether .*var\.endpoint.* is the iot\.data endpoint/,
        status: "unknown",
      },
      {
        name: "a group attached to an ENI the file does not name",
        mutate: (s) => extraGroupOpenToAll(s, attachedToEni("eni-0abc")),
        resource: "aws_network_interface_sg_attachment.extra",
        message: /cannot tell whether .*eni-0abc.* belongs to the iot\.data endpoint/,
        status: "unknown",
      },
      {
        name: "an endpoint whose service is known only at apply time",
        mutate: (s) => extraGroupOpenToAll(s, onEndpointOfService("${var.service}")),
        resource: "aws_vpc_endpoint.other",
        message: /service_name .*var\.service.* cannot tell whether it is the iot\.data endpoint/,
        status: "unknown",
      },
      {
        name: "an open rule on the group of an endpoint whose service is known only at apply time",
        mutate: (s) => extraGroupOpenToAll(s, onEndpointOfService("com.amazonaws.eu-west-1.${var.service}")),
        resource: "aws_vpc_security_group_ingress_rule.open",
        message: /every protocol.*if aws_security_group\.extra is on the broker side/,
        status: "unknown",
      },
      {
        name: "an endpoint group from a variable",
        mutate: (s) => r(s).aws_vpc_endpoint.endpoint.security_group_ids.push("${var.sg}"),
        resource: "aws_vpc_endpoint.endpoint",
        message: /not a group of this stack/,
        status: "unknown",
      },
    ],
  },
  "FW-2": {
    compliant: [
      { name: "a reference to the device subnet's CIDR", mutate: (s) => (ingress(s).cidr_ipv4 = "${aws_subnet.device.cidr_block}") },
      {
        name: "the device security group",
        mutate: (s) =>
          Object.assign(ingress(s), { cidr_ipv4: undefined, referenced_security_group_id: "${aws_security_group.devices.id}" }),
      },
    ],
    violations: [
      {
        name: "0.0.0.0/0 on 8883",
        mutate: (s) => (ingress(s).cidr_ipv4 = "0.0.0.0/0"),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /0\.0\.0\.0\/0: the whole Internet/,
      },
      {
        name: "0.0.0.0/0 on a group attached by aws_vpc_endpoint_security_group_association",
        mutate: (s) => extraGroupOpenToAll(s, associated("${aws_vpc_endpoint.endpoint.id}")),
        resource: "aws_vpc_security_group_ingress_rule.open",
        message: /0\.0\.0\.0\/0: the whole Internet can reach the broker/,
      },
      {
        name: "0.0.0.0/0 on a device group (a group known only as not the broker's may be anything's)",
        mutate: (s) =>
          (r(s).aws_vpc_security_group_ingress_rule.open = {
            security_group_id: "${aws_security_group.devices.id}",
            ip_protocol: "tcp",
            from_port: 22,
            to_port: 22,
            cidr_ipv4: "0.0.0.0/0",
            description: "ssh",
          }),
        resource: "aws_vpc_security_group_ingress_rule.open",
        message: /allows 0\.0\.0\.0\/0 into aws_security_group\.devices: the whole Internet/,
      },
      {
        name: "::/0 on a device group",
        mutate: (s) =>
          (r(s).aws_security_group.devices.ingress = [
            { protocol: "-1", from_port: 0, to_port: 0, ipv6_cidr_blocks: ["::/0"], description: "all" },
          ]),
        resource: "aws_security_group.devices",
        message: /allows IPv6 ::\/0 into aws_security_group\.devices: the whole Internet/,
      },
      {
        name: "::/0 on 8883",
        mutate: (s) => Object.assign(ingress(s), { cidr_ipv4: undefined, cidr_ipv6: "::/0" }),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /IPv6 ::\/0/,
      },
      {
        name: "the endpoint subnet",
        mutate: (s) => (ingress(s).cidr_ipv4 = "10.42.240.0/26"),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /not inside a device subnet/,
      },
      {
        name: "a prefix list",
        mutate: (s) => Object.assign(ingress(s), { cidr_ipv4: undefined, prefix_list_id: "pl-123" }),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /prefix list/,
      },
      {
        name: "a device subnet the environment does not list",
        mutate: () => undefined,
        context: { ...FIXTURE_CONTEXT, deviceSubnetCidrs: ["10.42.16.0/20"] },
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /not among the environment's device subnets/,
      },
      {
        name: "a source from a variable",
        mutate: (s) => (ingress(s).cidr_ipv4 = "${var.cidr}"),
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /known only at apply time/,
        status: "unknown",
      },
    ],
  },
  "FW-3": {
    compliant: [
      {
        name: "DNS inside the VPC",
        mutate: (s) =>
          (r(s).aws_vpc_security_group_egress_rule.dns = {
            security_group_id: "${aws_security_group.devices.id}",
            ip_protocol: "udp",
            from_port: 53,
            to_port: 53,
            cidr_ipv4: "10.42.0.0/16",
            description: "DNS",
          }),
      },
      {
        name: "8883 to the endpoint subnet",
        mutate: (s) => Object.assign(egress(s), { referenced_security_group_id: undefined, cidr_ipv4: "10.42.240.0/26" }),
      },
    ],
    violations: [
      {
        name: "HTTPS to anywhere",
        mutate: (s) =>
          (r(s).aws_vpc_security_group_egress_rule.https = {
            ...egress(s),
            from_port: 443,
            to_port: 443,
            referenced_security_group_id: undefined,
            cidr_ipv4: "0.0.0.0/0",
          }),
        resource: "aws_vpc_security_group_egress_rule.https",
        message: /devices may send tcp 443-443/,
      },
      {
        name: "8883 to anywhere",
        mutate: (s) => Object.assign(egress(s), { referenced_security_group_id: undefined, cidr_ipv4: "0.0.0.0/0" }),
        resource: "aws_vpc_security_group_egress_rule.devices_mqtt",
        message: /not inside an endpoint subnet/,
      },
      {
        name: "DNS to a public resolver",
        mutate: (s) =>
          (r(s).aws_vpc_security_group_egress_rule.dns = {
            ...egress(s),
            ip_protocol: "udp",
            from_port: 53,
            to_port: 53,
            referenced_security_group_id: undefined,
            cidr_ipv4: "8.8.8.8/32",
          }),
        resource: "aws_vpc_security_group_egress_rule.dns",
        message: /outside the VPC/,
      },
      {
        name: "ingress to a device group",
        mutate: (s) =>
          (r(s).aws_vpc_security_group_ingress_rule.ssh = {
            security_group_id: "${aws_security_group.devices.id}",
            ip_protocol: "tcp",
            from_port: 22,
            to_port: 22,
            cidr_ipv4: "10.42.240.0/26",
            description: "ssh",
          }),
        resource: "aws_vpc_security_group_ingress_rule.ssh",
        message: /devices need no ingress/,
      },
      {
        name: "a destination from a variable",
        mutate: (s) => (egress(s).referenced_security_group_id = "${var.sg}"),
        resource: "aws_vpc_security_group_egress_rule.devices_mqtt",
        message: /known only at apply time/,
        status: "unknown",
      },
    ],
  },
  "FW-4": {
    violations: [
      {
        name: "a group without description",
        mutate: (s) => delete r(s).aws_security_group.devices.description,
        resource: "aws_security_group.devices",
        message: /security group has no description/,
      },
      {
        name: "Terraform's placeholder",
        mutate: (s) => (r(s).aws_security_group.broker.description = "Managed by Terraform"),
        resource: "aws_security_group.broker",
        message: /no description/,
      },
      {
        name: "a rule without description",
        mutate: (s) => delete ingress(s).description,
        resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
        message: /ingress rule tcp 8883-8883 has no description/,
      },
      {
        name: "a description from a variable",
        mutate: (s) => (egress(s).description = "${var.d}"),
        resource: "aws_vpc_security_group_egress_rule.devices_mqtt",
        message: /known only at apply time/,
        status: "unknown",
      },
    ],
  },
  "TLS-1": {
    compliant: [
      {
        name: "a TLS 1.3 policy that also offers TLS 1.2",
        mutate: (s) => (r(s).aws_iot_domain_configuration.domain.tls_config.security_policy = "IoTSecurityPolicy_TLS13_1_2_2022_10"),
      },
      {
        name: "a DATA domain configuration with no service_type (DATA is the default)",
        mutate: (s) => delete r(s).aws_iot_domain_configuration.domain.service_type,
      },
    ],
    violations: [
      {
        name: "no domain configuration: the endpoint serves iot:Data-ATS, whose policy the plan does not set",
        mutate: (s) => delete r(s).aws_iot_domain_configuration,
        resource: "aws_vpc_endpoint.endpoint",
        message:
          /no enabled DATA domain configuration .*TLS 1\.3 is not enforced by this plan.*broker\.customDomain.*aws iot update-domain-configuration --domain-configuration-name iot:Data-ATS/,
      },
      {
        name: "IoT policies but neither endpoint nor domain configuration",
        mutate: (s) => (delete r(s).aws_iot_domain_configuration, delete r(s).aws_vpc_endpoint),
        resource: "stack",
        message: /runs an IoT broker but has no enabled DATA domain configuration/,
      },
      {
        name: "only a credential-provider domain configuration",
        mutate: (s) => (r(s).aws_iot_domain_configuration.domain.service_type = "CREDENTIAL_PROVIDER"),
        resource: "aws_vpc_endpoint.endpoint",
        message: /no enabled DATA domain configuration/,
      },
      {
        name: "a disabled DATA domain configuration",
        mutate: (s) => (r(s).aws_iot_domain_configuration.domain.status = "DISABLED"),
        resource: "aws_vpc_endpoint.endpoint",
        message: /no enabled DATA domain configuration/,
      },
      {
        name: "a service_type from a variable",
        mutate: (s) => (r(s).aws_iot_domain_configuration.domain.service_type = "${var.service}"),
        resource: "aws_iot_domain_configuration.domain",
        message: /cannot be told/,
        status: "unknown",
      },
      {
        name: "TLS 1.2 with 1.0",
        mutate: (s) => (r(s).aws_iot_domain_configuration.domain.tls_config.security_policy = "IoTSecurityPolicy_TLS12_1_0_2016_01"),
        resource: "aws_iot_domain_configuration.domain",
        message: /not a TLS 1\.3 policy/,
      },
      {
        name: "no tls_config",
        mutate: (s) => delete r(s).aws_iot_domain_configuration.domain.tls_config,
        resource: "aws_iot_domain_configuration.domain",
        message: /left to AWS's default/,
      },
      {
        name: "a policy from a variable",
        mutate: (s) => (r(s).aws_iot_domain_configuration.domain.tls_config.security_policy = "${var.p}"),
        resource: "aws_iot_domain_configuration.domain",
        message: /apply time/,
        status: "unknown",
      },
    ],
  },
  "TLS-2": {
    compliant: [{ name: "a private Amazon MQ broker", mutate: mqBroker }],
    violations: [
      {
        name: "a public broker",
        mutate: (s) => (mqBroker(s), (r(s).aws_mq_broker.mq.publicly_accessible = true)),
        resource: "aws_mq_broker.mq",
        message: /Internet-facing/,
      },
      {
        name: "a variable",
        mutate: (s) => (mqBroker(s), (r(s).aws_mq_broker.mq.publicly_accessible = "${var.pub}")),
        resource: "aws_mq_broker.mq",
        message: /not known to be false/,
        status: "unknown",
      },
    ],
  },
  "TLS-3": {
    advisory: true,
    compliant: [
      { name: "no iot.data endpoint (nothing reaches iot:Data-ATS from the segment)", mutate: (s) => delete r(s).aws_vpc_endpoint },
    ],
    violations: [
      {
        name: "the compliant stack: its endpoint still reaches iot:Data-ATS by SNI; the command carries the stack's own policy",
        mutate: () => undefined,
        resource: "aws_vpc_endpoint.endpoint",
        message:
          /iot:Data-ATS .*reachable through this endpoint .*aws iot update-domain-configuration --domain-configuration-name iot:Data-ATS --tls-config securityPolicy=IoTSecurityPolicy_TLS13_1_3_2022_10$/,
      },
      {
        name: "a stack whose policy offers TLS 1.2: the command names that policy",
        mutate: (s) => (r(s).aws_iot_domain_configuration.domain.tls_config.security_policy = "IoTSecurityPolicy_TLS13_1_2_2022_10"),
        resource: "aws_vpc_endpoint.endpoint",
        message: /securityPolicy=IoTSecurityPolicy_TLS13_1_2_2022_10$/,
      },
      {
        name: "a stack with no domain configuration: the stricter policy",
        mutate: (s) => delete r(s).aws_iot_domain_configuration,
        resource: "aws_vpc_endpoint.endpoint",
        message: /securityPolicy=IoTSecurityPolicy_TLS13_1_3_2022_10$/,
      },
    ],
  },
  "AUTH-1": {
    compliant: [
      {
        name: "a certificate from a CSR",
        mutate: (s) =>
          (r(s).aws_iot_certificate = {
            device: { active: true, csr: "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n" },
          }),
      },
    ],
    violations: [
      {
        name: "an AWS-generated key pair",
        mutate: (s) => (r(s).aws_iot_certificate = { device: { active: true } }),
        resource: "aws_iot_certificate.device",
        message: /private key lands in Terraform state/,
      },
      { name: "no CA", mutate: (s) => delete r(s).aws_iot_ca_certificate, resource: "stack", message: /registers no CA certificate/ },
      {
        name: "an inactive CA",
        mutate: (s) => (r(s).aws_iot_ca_certificate.ca.active = false),
        resource: "aws_iot_ca_certificate.ca",
        message: /inactive/,
      },
      {
        name: "active from a variable",
        mutate: (s) => (r(s).aws_iot_ca_certificate.ca.active = "${var.active}"),
        resource: "aws_iot_ca_certificate.ca",
        message: /apply time/,
        status: "unknown",
      },
    ],
  },
  "AUTH-2": {
    compliant: [
      {
        name: "a public certificate in an output",
        mutate: (s) => (s.output.ca = { value: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }),
      },
    ],
    violations: [
      {
        name: "a key in an output",
        mutate: (s) => (s.output.key = { value: pemBlock(["PRIVATE", "KEY"].join(" "), "MIGH") }),
        resource: "output.key",
        message: /holds a PEM private key/,
      },
      {
        name: "a key in a resource",
        mutate: (s) =>
          (r(s).aws_ssm_parameter = {
            key: { name: "k", type: "SecureString", value: pemBlock(["EC", "PRIVATE", "KEY"].join(" "), "MHc").trimEnd() },
          }),
        resource: "aws_ssm_parameter.key",
        message: /value holds a PEM private key/,
      },
      {
        // No other rule reads this type: the loader finds the PEM in the file's own strings.
        name: "a key nested in a block of a resource no other rule reads",
        mutate: (s) =>
          (r(s).aws_ssm_document = {
            d: {
              name: "d",
              attachments_source: [{ key: "S3FileUrl", name: "k", values: [pemBlock(["RSA", "PRIVATE", "KEY"].join(" "), "MIIE")] }],
            },
          }),
        resource: "aws_ssm_document.d",
        message: /attachments_source\[0\]\.values\[0\] holds a PEM private key/,
      },
      {
        name: "tls_private_key",
        mutate: (s) => (r(s).tls_private_key = { ca: { algorithm: "ECDSA" } }),
        resource: "tls_private_key.ca",
        message: /generates a private key into Terraform state/,
      },
    ],
  },
  "AUTH-3": {
    compliant: [
      {
        name: "a certificate registered under the stack's CA",
        mutate: (s) =>
          (r(s).aws_iot_certificate = {
            device: {
              active: true,
              certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIBdev\n-----END CERTIFICATE-----\n",
              ca_pem: r(s).aws_iot_ca_certificate.ca.ca_certificate_pem,
            },
          }),
      },
    ],
    violations: [
      {
        name: "a custom authorizer",
        mutate: (s) =>
          (r(s).aws_iot_authorizer = {
            a: { name: "a", authorizer_function_arn: "arn:aws:lambda:eu-west-1:1:function:f", signing_disabled: true },
          }),
        resource: "aws_iot_authorizer.a",
        message: /signing_disabled is true/,
      },
      {
        name: "a default authorizer",
        mutate: (s) => (r(s).aws_iot_domain_configuration.domain.authorizer_config = { default_authorizer_name: "a" }),
        resource: "aws_iot_domain_configuration.domain",
        message: /default authorizer a/,
      },
      {
        name: "a second CA",
        mutate: (s) => (r(s).aws_iot_ca_certificate.other = { active: true, allow_auto_registration: true, ca_certificate_pem: "x" }),
        resource: "aws_iot_ca_certificate.other",
        message: /one of 2 registered CAs/,
      },
      {
        name: "a certificate without a CA",
        mutate: (s) =>
          (r(s).aws_iot_certificate = {
            device: { active: true, certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIBdev\n-----END CERTIFICATE-----\n" },
          }),
        resource: "aws_iot_certificate.device",
        message: /without a CA/,
      },
      {
        name: "a role alias",
        mutate: (s) => (r(s).aws_iot_role_alias = { creds: { alias: "c", role_arn: "arn:aws:iam::1:role/r" } }),
        resource: "aws_iot_role_alias.creds",
        message: /IAM role/,
      },
      {
        name: "a provisioning template type from a variable",
        mutate: (s) => (r(s).aws_iot_provisioning_template = { t: { name: "t", type: "${var.t}", template_body: "{}" } }),
        resource: "aws_iot_provisioning_template.t",
        message: /apply time/,
        status: "unknown",
      },
    ],
  },
  "AUTHZ-1": {
    compliant: [
      {
        name: "a Deny with wildcards",
        mutate: (s) =>
          connectStatement(s, (p) =>
            p.replace('"Statement" = [', '"Statement" = [{"Effect" = "Deny", "Action" = ["iot:*"], "Resource" = ["*"]}, '),
          ),
      },
      {
        name: "a narrow statement of the document overriding a wide source by Sid",
        mutate: (s) => iotPolicyDocument(s, { source_policy_documents: [WIDE_JSON] }),
      },
    ],
    violations: [
      {
        name: "a * action",
        mutate: (s) => connectStatement(s, (p) => p.replace('"Action" = ["iot:Publish"]', '"Action" = ["iot:*"]')),
        resource: "aws_iot_policy.connect",
        message: /allows action iot:\*/,
      },
      {
        name: "a ? action",
        mutate: (s) => connectStatement(s, (p) => p.replace('"Action" = ["iot:Publish"]', '"Action" = ["iot:Publis?"]')),
        resource: "aws_iot_policy.connect",
        message: /allows action iot:Publis\?/,
      },
      {
        name: "a ? in a topic",
        mutate: (s) => connectStatement(s, (p) => p.replace("/telemetry", "/telemetr?")),
        resource: "aws_iot_policy.connect",
        message: /allows resource .*telemetr\?/,
      },
      {
        name: "a wide source_policy_documents JSON",
        mutate: (s) => iotPolicyDocument(s, { statement: [], source_policy_documents: [WIDE_JSON] }),
        resource: "aws_iot_policy.connect",
        message: /allows action iot:\*/,
      },
      {
        name: "a wide override_policy_documents reference",
        mutate: (s) =>
          iotPolicyDocument(
            s,
            { override_policy_documents: ["${data.aws_iam_policy_document.wide.json}"] },
            { wide: { statement: [{ sid: "publish", actions: ["iot:*"], resources: ["*"] }] } },
          ),
        resource: "aws_iot_policy.connect",
        message: /allows resource \*/,
      },
      {
        name: "source_policy_documents from a variable",
        mutate: (s) => iotPolicyDocument(s, { source_policy_documents: ["${var.base}"] }),
        resource: "aws_iot_policy.connect",
        message: /source_policy_documents .*var\.base/,
        status: "unknown",
      },
      {
        name: "override_policy_documents as a whole from a variable",
        mutate: (s) => iotPolicyDocument(s, { override_policy_documents: "${var.overrides}" }),
        resource: "aws_iot_policy.connect",
        message: /override_policy_documents .*apply/,
        status: "unknown",
      },
      {
        name: "a # topic",
        mutate: (s) => connectStatement(s, (p) => p.replace("/telemetry", "/#")),
        resource: "aws_iot_policy.connect",
        message: /MQTT wildcard in arn:aws:iot:eu-west-1:\$\{…\}:topic\/devices/,
      },
      {
        name: "a + topic filter",
        mutate: (s) => connectStatement(s, (p) => p.replace("/commands", "/+")),
        resource: "aws_iot_policy.connect",
        message: /MQTT wildcard in .*topicfilter/,
      },
      {
        name: "a * resource",
        mutate: (s) => connectStatement(s, (p) => p.replace("topic/devices/$${iot:Connection.Thing.ThingName}/telemetry", "topic/*")),
        resource: "aws_iot_policy.connect",
        message: /allows resource .*topic\/\*/,
      },
      {
        name: "an unescaped policy variable (JSON.stringify in cdktf)",
        mutate: (s) =>
          (r(s).aws_iot_policy.connect.policy = JSON.stringify({
            Statement: [
              { Effect: "Allow", Action: "iot:Connect", Resource: "arn:aws:iot:eu-west-1:1:client/${iot:Connection.Thing.ThingName}" },
            ],
          })),
        resource: "aws_iot_policy.connect",
        message: /unescaped \$\{iot:\.\.\.\}/,
      },
      {
        name: "a policy from a variable",
        mutate: (s) => (r(s).aws_iot_policy.connect.policy = "${var.policy}"),
        resource: "aws_iot_policy.connect",
        message: /not known until apply/,
        status: "unknown",
      },
      {
        name: "a resource from a variable",
        mutate: (s) =>
          connectStatement(s, (p) =>
            p.replace(
              '"Resource" = ["arn:aws:iot:eu-west-1:${data.aws_caller_identity.account.account_id}:topic/devices/$${iot:Connection.Thing.ThingName}/telemetry"]',
              '"Resource" = [var.topic]',
            ),
          ),
        resource: "aws_iot_policy.connect",
        message: /known only at apply time/,
        status: "unknown",
      },
    ],
  },
  "AUTHZ-2": {
    violations: [
      {
        name: "any client id",
        mutate: (s) => connectStatement(s, (p) => p.replace("client/$${iot:Connection.Thing.ThingName}", "client/device-1")),
        resource: "aws_iot_policy.connect",
        message: /not only on client\/\$\{iot:Connection\.Thing\.ThingName\}/,
      },
      {
        name: "no IsAttached",
        mutate: (s) => connectStatement(s, (p) => p.replace(', "Bool" = {"iot:Connection.Thing.IsAttached" = "true"}', "")),
        resource: "aws_iot_policy.connect",
        message: /IsAttached/,
      },
      {
        name: "a policy from a variable",
        mutate: (s) => (r(s).aws_iot_policy.connect.policy = "${var.policy}"),
        resource: "aws_iot_policy.connect",
        message: /not known until apply/,
        status: "unknown",
      },
    ],
  },
  "AUTHZ-3": {
    violations: [
      {
        name: "no SourceVpce",
        mutate: (s) => connectStatement(s, (p) => p.replace('"StringEquals" = {"aws:SourceVpce" = aws_vpc_endpoint.endpoint.id}, ', "")),
        resource: "aws_iot_policy.connect",
        message: /public endpoint/,
      },
      {
        name: "another resource's id",
        mutate: (s) => connectStatement(s, (p) => p.replace("aws_vpc_endpoint.endpoint.id", "aws_vpc.vpc.id")),
        resource: "aws_iot_policy.connect",
        message: /not the id of the stack's iot\.data endpoint/,
      },
      {
        name: "a literal endpoint id",
        mutate: (s) => connectStatement(s, (p) => p.replace("aws_vpc_endpoint.endpoint.id", '"vpce-0123"')),
        resource: "aws_iot_policy.connect",
        message: /cannot be matched/,
        status: "unknown",
      },
    ],
  },
  "AUTHZ-4": {
    compliant: [
      {
        name: "a Deny on another thing's topic",
        mutate: (s) =>
          connectStatement(s, (p) =>
            p.replace(
              '"Statement" = [',
              '"Statement" = [{"Effect" = "Deny", "Action" = ["iot:Publish"], "Resource" = ["arn:aws:iot:eu-west-1:1:topic/devices/other/telemetry"]}, ',
            ),
          ),
      },
    ],
    violations: [
      {
        name: "a topic of another thing, without the topic model",
        mutate: (s) =>
          connectStatement(s, (p) =>
            p.replace("topic/devices/$${iot:Connection.Thing.ThingName}/telemetry", "topic/devices/other/telemetry"),
          ),
        resource: "aws_iot_policy.connect",
        message: /not scoped to the device's own thing name/,
        status: "unknown",
      },
      {
        name: "a basic ingest topic",
        mutate: (s) =>
          connectStatement(s, (p) =>
            p.replace(
              "topic/devices/$${iot:Connection.Thing.ThingName}/telemetry",
              () => "topic/$aws/rules/r/$${iot:Connection.Thing.ThingName}",
            ),
          ),
        resource: "aws_iot_policy.connect",
        message: /basic ingest/,
      },
      {
        name: "an action outside the model",
        mutate: (s) => connectStatement(s, (p) => p.replace('"Action" = ["iot:Publish"]', '"Action" = ["iot:RetainPublish"]')),
        resource: "aws_iot_policy.connect",
        message: /grants devices iot:RetainPublish/,
      },
      {
        name: "an external policy attached",
        mutate: (s) => (r(s).aws_iot_policy_attachment = { x: { policy: "Outside", target: "arn:aws:iot:eu-west-1:1:thinggroup/g" } }),
        resource: "aws_iot_policy_attachment.x",
        message: /not an aws_iot_policy of this stack/,
      },
      {
        name: "a topic rule",
        mutate: (s) =>
          (r(s).aws_iot_topic_rule = {
            t: { name: "t", enabled: true, sql: "SELECT * FROM 'a'", sqs: { queue_url: "q", role_arn: "r", use_base64: false } },
          }),
        resource: "aws_iot_topic_rule.t",
        message: /out of the broker \(sqs\)/,
      },
      {
        name: "a class topic the model does not grant",
        context: {
          ...FIXTURE_CONTEXT,
          topics: {
            file: "t.yaml",
            classes: [
              {
                name: "sensor",
                publish: ["devices/{thing}/status"],
                subscribe: ["devices/{thing}/commands"],
                receive: ["devices/{thing}/commands"],
                sharedTopics: [],
              },
            ],
          },
        },
        mutate: () => undefined,
        resource: "aws_iot_policy.connect",
        message: /iot:Publish on topic\/devices\/\$\{iot:Connection.Thing.ThingName\}\/telemetry is granted to class sensor/,
      },
    ],
  },
  "LOG-1": {
    violations: [
      { name: "no flow log", mutate: (s) => delete r(s).aws_flow_log, resource: "aws_vpc.vpc", message: /has no flow log/ },
      {
        name: "a subnet flow log only",
        mutate: (s) => Object.assign(r(s).aws_flow_log.flow, { vpc_id: undefined, subnet_id: "${aws_subnet.device.id}" }),
        resource: "aws_vpc.vpc",
        message: /has no flow log/,
      },
      {
        name: "an ENI flow log beside a VPC flow log of rejected traffic",
        mutate: (s) => {
          r(s).aws_flow_log.flow.traffic_type = "REJECT";
          r(s).aws_flow_log.eni = { ...r(s).aws_flow_log.flow, vpc_id: undefined, eni_id: "eni-0abc", traffic_type: "ALL" };
        },
        resource: "aws_vpc.vpc",
        message: /no flow log of the VPC records ALL traffic/,
      },
      {
        name: "a VPC from a variable",
        mutate: (s) => (r(s).aws_flow_log.flow.vpc_id = "${var.vpc}"),
        resource: "aws_vpc.vpc",
        message: /no flow log unless .*var\.vpc/,
        status: "unknown",
      },
      {
        name: "rejected traffic only",
        mutate: (s) => (r(s).aws_flow_log.flow.traffic_type = "REJECT"),
        resource: "aws_flow_log.flow",
        message: /traffic_type REJECT misses accepted connections/,
      },
      {
        name: "traffic type from a variable",
        mutate: (s) => (r(s).aws_flow_log.flow.traffic_type = "${var.t}"),
        resource: "aws_flow_log.flow",
        message: /apply time/,
        status: "unknown",
      },
    ],
  },
  "LOG-2": {
    compliant: [{ name: "a group that never expires", mutate: (s) => (r(s).aws_cloudwatch_log_group.flow.retention_in_days = 0) }],
    violations: [
      {
        name: "a 30-day retention",
        mutate: (s) => (r(s).aws_cloudwatch_log_group.flow.retention_in_days = 30),
        resource: "aws_cloudwatch_log_group.flow",
        message: /retention_in_days 30 is below the 365-day minimum/,
      },
      {
        name: "below the environment's retention",
        mutate: () => undefined,
        context: { ...FIXTURE_CONTEXT, minRetentionDays: 730 },
        resource: "aws_cloudwatch_log_group.flow",
        message: /below the 730-day minimum/,
      },
      {
        name: "no KMS key",
        mutate: (s) => delete r(s).aws_cloudwatch_log_group.flow.kms_key_id,
        resource: "aws_cloudwatch_log_group.flow",
        message: /no kms_key_id/,
      },
      {
        name: "an AWS-managed key",
        mutate: (s) => (r(s).aws_cloudwatch_log_group.flow.kms_key_id = "arn:aws:kms:eu-west-1:1:alias/aws/logs"),
        resource: "aws_cloudwatch_log_group.flow",
        message: /not a customer-managed key/,
      },
      {
        name: "retention from a variable",
        mutate: (s) => (r(s).aws_cloudwatch_log_group.flow.retention_in_days = "${var.days}"),
        resource: "aws_cloudwatch_log_group.flow",
        message: /apply time/,
        status: "unknown",
      },
      {
        name: "a destination from a variable",
        mutate: (s) => (r(s).aws_flow_log.flow.log_destination = "${var.dest}"),
        resource: "aws_flow_log.flow",
        message: /not a log group of this stack/,
        status: "unknown",
      },
    ],
  },
  "LOG-3": {
    compliant: [
      { name: "a hardened S3 store", mutate: s3FlowLog },
      {
        name: "a TLS-only policy from aws_iam_policy_document",
        mutate: (s) => {
          s3FlowLog(s);
          s.data.aws_iam_policy_document = {
            tls: {
              statement: [
                {
                  effect: "Deny",
                  principals: [{ type: "*", identifiers: ["*"] }],
                  actions: ["s3:*"],
                  resources: ["${aws_s3_bucket.logs.arn}", "${aws_s3_bucket.logs.arn}/*"],
                  condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
                },
              ],
            },
          };
          r(s).aws_s3_bucket_policy.logs.policy = "${data.aws_iam_policy_document.tls.json}";
        },
      },
    ],
    violations: [
      {
        name: "no versioning",
        mutate: (s) => (s3FlowLog(s), delete r(s).aws_s3_bucket_versioning),
        resource: "aws_s3_bucket.logs",
        message: /versioning is not enabled/,
      },
      {
        name: "SSE-S3",
        mutate: (s) => (
          s3FlowLog(s),
          (r(s).aws_s3_bucket_server_side_encryption_configuration.logs.rule[0].apply_server_side_encryption_by_default = {
            sse_algorithm: "AES256",
          })
        ),
        resource: "aws_s3_bucket.logs",
        message: /no SSE-KMS/,
      },
      {
        name: "public access allowed",
        mutate: (s) => (s3FlowLog(s), (r(s).aws_s3_bucket_public_access_block.logs.restrict_public_buckets = false)),
        resource: "aws_s3_bucket.logs",
        message: /public access is not fully blocked/,
      },
      {
        name: "no lifecycle",
        mutate: (s) => (s3FlowLog(s), delete r(s).aws_s3_bucket_lifecycle_configuration),
        resource: "aws_s3_bucket.logs",
        message: /no enabled lifecycle rule/,
      },
      {
        name: "no TLS-only policy",
        mutate: (s) => (s3FlowLog(s), delete r(s).aws_s3_bucket_policy),
        resource: "aws_s3_bucket.logs",
        message: /aws:SecureTransport/,
      },
      {
        name: "a policy from a variable",
        mutate: (s) => (s3FlowLog(s), (r(s).aws_s3_bucket_policy.logs.policy = "${var.p}")),
        resource: "aws_s3_bucket.logs",
        message: /known only at apply time/,
        status: "unknown",
      },
      {
        name: "a TLS deny on the bucket but not its objects",
        mutate: (s) => (
          s3FlowLog(s),
          (r(s).aws_s3_bucket_policy.logs.policy = r(s).aws_s3_bucket_policy.logs.policy.replace(', "${aws_s3_bucket.logs.arn}/*"', ""))
        ),
        resource: "aws_s3_bucket.logs",
        message: /aws:SecureTransport/,
      },
      {
        name: "an expiry shorter than the retention",
        mutate: (s) => (s3FlowLog(s), (r(s).aws_s3_bucket_lifecycle_configuration.logs.rule[0].expiration.days = 90)),
        resource: "aws_s3_bucket_lifecycle_configuration.logs",
        message: /after 90 days, before the 365-day retention/,
      },
    ],
  },
  "LOG-4": {
    violations: [
      {
        name: "DISABLED",
        mutate: (s) => (r(s).aws_iot_logging_options.logging.default_log_level = "DISABLED"),
        resource: "aws_iot_logging_options.logging",
        message: /DISABLED/,
      },
      {
        name: "disable_all_logs",
        mutate: (s) => (r(s).aws_iot_logging_options.logging.disable_all_logs = true),
        resource: "aws_iot_logging_options.logging",
        message: /disable_all_logs/,
      },
      {
        name: "no logging options",
        mutate: (s) => delete r(s).aws_iot_logging_options,
        resource: "stack",
        message: /does not enable AWS IoT logging/,
      },
      {
        name: "a level from a variable",
        mutate: (s) => (r(s).aws_iot_logging_options.logging.default_log_level = "${var.level}"),
        resource: "aws_iot_logging_options.logging",
        message: /apply time/,
        status: "unknown",
      },
    ],
  },
  "LOG-5": {
    compliant: [
      {
        name: "an alarm at or above a threshold",
        mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.rejected.comparison_operator = "GreaterThanOrEqualToThreshold"),
      },
    ],
    violations: [
      {
        name: "a falling-count operator",
        mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.connect_authn.comparison_operator = "LessThanOrEqualToThreshold"),
        resource: "aws_cloudwatch_metric_alarm.connect_authn",
        message: /fires when the count falls/,
      },
      {
        name: "no actions",
        mutate: (s) => delete r(s).aws_cloudwatch_metric_alarm.rejected.alarm_actions,
        resource: "aws_cloudwatch_metric_alarm.rejected",
        message: /no alarm_actions/,
      },
      {
        name: "a metric math alarm",
        mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.rejected.metric_query = [{ id: "e", expression: "m*0", return_data: true }]),
        resource: "aws_cloudwatch_metric_alarm.rejected",
        message: /metric math/,
        status: "unknown",
      },
    ],
  },
  "MON-1": {
    compliant: [
      {
        name: "PublishRetained.AuthError instead of PublishIn.AuthError",
        mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.publish_authz.metric_name = "PublishRetained.AuthError"),
      },
    ],
    violations: [
      {
        name: "no connect auth alarm",
        mutate: (s) => delete r(s).aws_cloudwatch_metric_alarm.connect_authn,
        resource: "stack",
        message: /no alarm on connect authentication failures/,
      },
      {
        name: "no subscribe alarm",
        mutate: (s) => delete r(s).aws_cloudwatch_metric_alarm.subscribe_authz,
        resource: "stack",
        message: /Subscribe\.AuthError/,
      },
      {
        name: "no rejected-flow alarm",
        mutate: (s) => delete r(s).aws_cloudwatch_metric_alarm.rejected,
        resource: "stack",
        message: /rejected 8883 flows/,
      },
      {
        name: "an auth alarm that notifies no one",
        mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.connect_authz.alarm_actions = []),
        resource: "aws_cloudwatch_metric_alarm.connect_authz",
        message: /connect authorization failures .*no alarm_actions/,
      },
      {
        name: "an auth alarm without alarm_actions",
        mutate: (s) => delete r(s).aws_cloudwatch_metric_alarm.publish_authz.alarm_actions,
        resource: "aws_cloudwatch_metric_alarm.publish_authz",
        message: /publish authorization failures .*no alarm_actions/,
      },
      {
        name: "an auth alarm with actions disabled",
        mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.connect_authn.actions_enabled = false),
        resource: "aws_cloudwatch_metric_alarm.connect_authn",
        message: /actions_enabled is false/,
      },
      {
        name: "a rejected-flow alarm that notifies no one",
        mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.rejected.alarm_actions = []),
        resource: "aws_cloudwatch_metric_alarm.rejected",
        message: /rejected 8883 flows .*no alarm_actions/,
      },
      {
        name: "a rejected-flow alarm with actions disabled",
        mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.rejected.actions_enabled = false),
        resource: "aws_cloudwatch_metric_alarm.rejected",
        message: /actions_enabled is false/,
      },
      {
        name: "actions_enabled from a variable",
        mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.subscribe_authz.actions_enabled = "${var.on}"),
        resource: "aws_cloudwatch_metric_alarm.subscribe_authz",
        message: /apply time/,
        status: "unknown",
      },
      {
        name: "a filter that does not look for 8883",
        mutate: (s) => (r(s).aws_cloudwatch_log_metric_filter.rejected.pattern = '[..., action="REJECT"]'),
        resource: "stack",
        message: /rejected 8883 flows/,
      },
    ],
  },
  "MQ-1": {
    compliant: [{ name: "a hardened broker", mutate: mqBroker }],
    violations: [
      {
        name: "no general log",
        mutate: (s) => (mqBroker(s), (r(s).aws_mq_broker.mq.logs.general = false)),
        resource: "aws_mq_broker.mq",
        message: /logs\.general is not enabled/,
      },
      {
        name: "an AWS-owned key",
        mutate: (s) => (mqBroker(s), delete r(s).aws_mq_broker.mq.encryption_options),
        resource: "aws_mq_broker.mq",
        message: /customer-managed KMS key/,
      },
      {
        name: "no minor upgrades",
        mutate: (s) => (mqBroker(s), (r(s).aws_mq_broker.mq.auto_minor_version_upgrade = false)),
        resource: "aws_mq_broker.mq",
        message: /auto_minor_version_upgrade/,
      },
      {
        name: "upgrades from a variable",
        mutate: (s) => (mqBroker(s), (r(s).aws_mq_broker.mq.auto_minor_version_upgrade = "${var.u}")),
        resource: "aws_mq_broker.mq",
        message: /apply time/,
        status: "unknown",
      },
    ],
  },
  "CW-1": {
    compliant: [
      {
        name: "a type it understands",
        mutate: (s) => (r(s).aws_route53_zone = { z: { name: "example.internal", vpc: { vpc_id: "${aws_vpc.vpc.id}" } } }),
      },
    ],
    violations: [
      {
        name: "a client VPN endpoint",
        mutate: (s) =>
          (r(s).aws_ec2_client_vpn_network_association = {
            vpn: { client_vpn_endpoint_id: "cvpn-endpoint-0123456789abcdef0", subnet_id: "${aws_subnet.device.id}" },
          }),
        resource: "aws_ec2_client_vpn_network_association.vpn",
        message: /not a type the review understands/,
        status: "unknown",
      },
      {
        name: "another provider's gateway",
        mutate: (s) => (r(s).awscc_ec2_internet_gateway = { igw: {} }),
        resource: "awscc_ec2_internet_gateway.igw",
        message: /provider other than aws/,
        status: "unknown",
      },
      {
        name: "a provisioner",
        mutate: (s) => (r(s).aws_vpc.vpc.provisioner = [{ "local-exec": { command: "aws ec2 create-internet-gateway" } }]),
        resource: "aws_vpc.vpc",
        message: /provisioner/,
        status: "unknown",
      },
      {
        name: "a module",
        mutate: (s) => (s.module = { net: { source: "./net" } }),
        resource: "module.net",
        message: /module block/,
        status: "unknown",
      },
    ],
  },
};

describe("every rule of SECURITY-RULES.md", () => {
  test("has cases here, and nothing here names a rule the pack lacks", () => {
    expect(Object.keys(CASES).sort()).toEqual(MOAT_PACK.map((rule) => rule.id).sort());
  });
});

describe.each(Object.entries(CASES))("%s", (rule, { compliant = [], violations, advisory = false }) => {
  const passing: Compliant[] = [...(advisory ? [] : [{ name: "the compliant stack as it is", mutate: () => undefined }]), ...compliant];
  test.each(passing.map((c) => [c.name, c] as const))("passes %s", (_name, c) => {
    const stack = moatStack();
    c.mutate(stack);
    expect(findingsOf(stack, rule, c.context).map((f) => f.message)).toEqual([]);
  });

  test.each(violations.map((c) => [c.name, c] as const))("finds %s", (_name, c) => {
    const stack = moatStack();
    c.mutate(stack);
    const findings = findingsOf(stack, rule, c.context);
    expect(findings).toContainEqual(
      expect.objectContaining({ rule, resource: c.resource, status: c.status ?? "fail", message: expect.stringMatching(c.message) }),
    );
  });
});
