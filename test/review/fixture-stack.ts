/**
 * A compliant moat stack in the shape cdktf writes (cdk.tf.json), built by hand so the rule
 * tests do not depend on the constructs: each test copies it and breaks one thing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadCdktfJson } from "../../review/load-cdktf";
import { runRules } from "../../review/engine";
import { ReviewContext } from "../../review/rule";
import { Finding } from "../../review/finding";

export type Json = Record<string, any>;

/** The dev issuing CA of the test PKI store (test/setup.ts points MOAT_PKI_DIR at it): the CA `--env dev` expects. */
const FIXTURE_CA_PEM = readFileSync(join(__dirname, "..", "fixtures", "pki", "dev", "ca", "issuing.pem"), "utf8");

const meta = (path: string) => ({ "//": { metadata: { path: `iot-test/${path}`, uniqueId: path } } });

export const FIXTURE_CONTEXT: ReviewContext = {
  officeCidrs: ["192.168.0.0/16"],
  deviceSubnetCidrs: ["10.42.0.0/20"],
  minRetentionDays: 365,
};

const CONNECT_POLICY =
  '${jsonencode({"Version" = "2012-10-17", "Statement" = [' +
  '{"Effect" = "Allow", "Action" = ["iot:Connect"], "Resource" = ["arn:aws:iot:eu-west-1:${data.aws_caller_identity.account.account_id}:client/$${iot:Connection.Thing.ThingName}"], ' +
  '"Condition" = {"StringEquals" = {"aws:SourceVpce" = aws_vpc_endpoint.endpoint.id}, "Bool" = {"iot:Connection.Thing.IsAttached" = "true"}}}, ' +
  '{"Effect" = "Allow", "Action" = ["iot:Publish"], "Resource" = ["arn:aws:iot:eu-west-1:${data.aws_caller_identity.account.account_id}:topic/devices/$${iot:Connection.Thing.ThingName}/telemetry"]}, ' +
  '{"Effect" = "Allow", "Action" = ["iot:Subscribe"], "Resource" = ["arn:aws:iot:eu-west-1:${data.aws_caller_identity.account.account_id}:topicfilter/devices/$${iot:Connection.Thing.ThingName}/commands"]}' +
  "]})}";

const alarm = (name: string, metric: string, namespace = "AWS/IoT") => ({
  ...meta(`alarms/${name}`),
  alarm_name: name,
  namespace,
  metric_name: metric,
  comparison_operator: "GreaterThanThreshold",
  evaluation_periods: 1,
  period: 300,
  statistic: "Sum",
  threshold: 0,
  alarm_actions: ["${aws_sns_topic.alarms.arn}"],
});

export function moatStack(): Json {
  return {
    "//": { metadata: { backend: "local", stackName: "iot-test", version: "0.21.0" } },
    data: {
      aws_caller_identity: { account: meta("account") },
    },
    output: {
      vpc_id: { value: "${aws_vpc.vpc.id}", description: "VPC" },
    },
    provider: { aws: [{ region: "eu-west-1" }] },
    resource: {
      aws_vpc: { vpc: { ...meta("network/vpc"), cidr_block: "10.42.0.0/16", enable_dns_support: true, tags: { Name: "iot-test" } } },
      aws_subnet: {
        device: {
          ...meta("network/device-subnet-0"),
          vpc_id: "${aws_vpc.vpc.id}",
          cidr_block: "10.42.0.0/20",
          map_public_ip_on_launch: false,
          tags: { "moat:role": "device" },
        },
        endpoint: {
          ...meta("network/endpoint-subnet-0"),
          vpc_id: "${aws_vpc.vpc.id}",
          cidr_block: "10.42.240.0/26",
          map_public_ip_on_launch: false,
          tags: { "moat:role": "endpoint" },
        },
      },
      aws_route_table: { device: { ...meta("network/device-routes"), vpc_id: "${aws_vpc.vpc.id}" } },
      aws_default_route_table: {
        default: { ...meta("network/default-routes"), default_route_table_id: "${aws_vpc.vpc.default_route_table_id}", route: [] },
      },
      aws_default_security_group: { default: { ...meta("network/default-sg"), vpc_id: "${aws_vpc.vpc.id}", ingress: [], egress: [] } },
      aws_network_acl: {
        device: { ...meta("network/device-acl"), vpc_id: "${aws_vpc.vpc.id}", subnet_ids: ["${aws_subnet.device.id}"] },
        endpoint: { ...meta("network/endpoint-acl"), vpc_id: "${aws_vpc.vpc.id}", subnet_ids: ["${aws_subnet.endpoint.id}"] },
      },
      aws_network_acl_rule: Object.fromEntries(
        ["device", "endpoint"].flatMap((acl) =>
          [false, true].flatMap((egress) => [
            [
              `${acl}_${egress ? "egress" : "ingress"}_office`,
              {
                network_acl_id: `\${aws_network_acl.${acl}.id}`,
                egress,
                rule_number: 100,
                rule_action: "deny",
                protocol: "-1",
                cidr_block: "192.168.0.0/16",
              },
            ],
            [
              `${acl}_${egress ? "egress" : "ingress"}_allow`,
              {
                network_acl_id: `\${aws_network_acl.${acl}.id}`,
                egress,
                rule_number: 200,
                rule_action: "allow",
                protocol: "6",
                cidr_block: acl === "device" ? "10.42.240.0/26" : "10.42.0.0/20",
                from_port: 8883,
                to_port: 8883,
              },
            ],
          ]),
        ),
      ),
      aws_security_group: {
        broker: {
          ...meta("broker/endpoint/security-group/group"),
          vpc_id: "${aws_vpc.vpc.id}",
          description: "IoT Core data endpoint: MQTT over TLS from the device subnets only",
        },
        devices: {
          ...meta("network/devices/group"),
          vpc_id: "${aws_vpc.vpc.id}",
          description: "IoT devices: egress only to the broker endpoint on TCP 8883",
        },
      },
      aws_vpc_security_group_ingress_rule: {
        broker_mqtt: {
          ...meta("broker/endpoint/security-group/from-device-tcp-8883"),
          security_group_id: "${aws_security_group.broker.id}",
          ip_protocol: "tcp",
          from_port: 8883,
          to_port: 8883,
          cidr_ipv4: "10.42.0.0/20",
          description: "MQTT over TLS from device subnet",
        },
      },
      aws_vpc_security_group_egress_rule: {
        devices_mqtt: {
          ...meta("network/devices/to-broker-tcp-8883"),
          security_group_id: "${aws_security_group.devices.id}",
          ip_protocol: "tcp",
          from_port: 8883,
          to_port: 8883,
          referenced_security_group_id: "${aws_security_group.broker.id}",
          description: "MQTT over TLS to the broker endpoint",
        },
      },
      aws_vpc_endpoint: {
        endpoint: {
          ...meta("broker/endpoint/endpoint"),
          vpc_id: "${aws_vpc.vpc.id}",
          service_name: "com.amazonaws.eu-west-1.iot.data",
          vpc_endpoint_type: "Interface",
          subnet_ids: ["${aws_subnet.endpoint.id}"],
          security_group_ids: ["${aws_security_group.broker.id}"],
          private_dns_enabled: false,
        },
      },
      aws_kms_key: { logs: { ...meta("network/flow-logs/key"), enable_key_rotation: true } },
      aws_cloudwatch_log_group: {
        flow: {
          ...meta("network/flow-logs/log-group"),
          name: "/moat/iot-test/flow",
          kms_key_id: "${aws_kms_key.logs.arn}",
          retention_in_days: 365,
        },
      },
      aws_flow_log: {
        flow: {
          ...meta("network/flow-logs/to-cloudwatch"),
          vpc_id: "${aws_vpc.vpc.id}",
          traffic_type: "ALL",
          log_destination_type: "cloud-watch-logs",
          log_destination: "${aws_cloudwatch_log_group.flow.arn}",
        },
      },
      aws_cloudwatch_log_metric_filter: {
        rejected: {
          ...meta("network/flow-logs/rejected-mqtt-filter"),
          log_group_name: "${aws_cloudwatch_log_group.flow.name}",
          pattern:
            '[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport="8883", protocol="6", packets, bytes, start, end, action="REJECT", log_status]',
          metric_transformation: { name: "RejectedMqttFlows", namespace: "moat/iot-test", value: "1" },
        },
      },
      aws_sns_topic: { alarms: { ...meta("alarms/topic"), name: "iot-test-alarms", kms_master_key_id: "${aws_kms_key.logs.arn}" } },
      aws_cloudwatch_metric_alarm: {
        rejected: alarm("rejected", "RejectedMqttFlows", "moat/iot-test"),
        connect_authn: alarm("connect_authn", "Connection.AuthNError"),
        connect_authz: alarm("connect_authz", "Connect.AuthError"),
        publish_authz: alarm("publish_authz", "PublishIn.AuthError"),
        subscribe_authz: alarm("subscribe_authz", "Subscribe.AuthError"),
        receive_authz: alarm("receive_authz", "PublishOut.AuthError"),
      },
      aws_iot_ca_certificate: {
        ca: {
          ...meta("broker/ca/ca"),
          active: true,
          allow_auto_registration: true,
          ca_certificate_pem: FIXTURE_CA_PEM,
          certificate_mode: "DEFAULT",
        },
      },
      aws_iot_policy: { connect: { ...meta("broker/connect-policy"), name: "iot-test-connect", policy: CONNECT_POLICY } },
      aws_iot_logging_options: {
        logging: { ...meta("broker/logging/options"), default_log_level: "WARN", role_arn: "arn:aws:iam::123456789012:role/iot-logging" },
      },
      aws_iot_domain_configuration: {
        domain: {
          ...meta("broker/domain"),
          name: "iot-test-data",
          domain_name: "mqtt.example.com",
          service_type: "DATA",
          tls_config: { security_policy: "IoTSecurityPolicy_TLS13_1_3_2022_10" },
        },
      },
    },
    terraform: {
      backend: { local: { path: "terraform.iot-test.tfstate" } },
      required_providers: { aws: { source: "aws", version: "6.25.0" } },
    },
  };
}

/** The findings of one rule on a stack JSON, reviewed as a cdk.tf.json. */
export function findingsOf(json: Json, rule?: string, context: ReviewContext = FIXTURE_CONTEXT): Finding[] {
  const model = loadCdktfJson(json, "fixture/cdk.tf.json", "iot-test", JSON.stringify(json, null, 2));
  return runRules(model, context).filter((f) => rule === undefined || f.rule === rule);
}
