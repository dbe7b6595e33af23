import { Testing } from "cdktf";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsIotEndpoint } from "@cdktf/provider-aws/lib/data-aws-iot-endpoint";
import { IotCaCertificate } from "@cdktf/provider-aws/lib/iot-ca-certificate";
import { IotDomainConfiguration } from "@cdktf/provider-aws/lib/iot-domain-configuration";
import { IotLoggingOptions } from "@cdktf/provider-aws/lib/iot-logging-options";
import { IotPolicy } from "@cdktf/provider-aws/lib/iot-policy";
import { IotPolicyAttachment } from "@cdktf/provider-aws/lib/iot-policy-attachment";
import { IotThingGroup } from "@cdktf/provider-aws/lib/iot-thing-group";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { parseTopicModel } from "../../authz";
import { AUTH_FAILURE_METRICS } from "../../constructs/broker";
import { brokerStack, fixturePem, resourcesOf, synthJson } from "./broker-fixture";
import { readPolicyExpression } from "./policy-expression";
import { pemBlock } from "../support/pem-block";

describe("IotCoreBroker", () => {
  const { stack, broker } = brokerStack();
  const synthesized = Testing.synth(stack, true);
  const json = synthJson(stack);

  test("an interface endpoint for iot.data sits in the endpoint subnets without AWS private DNS", () => {
    expect(synthesized).toHaveResourceWithProperties(VpcEndpoint, {
      service_name: "com.amazonaws.eu-west-1.iot.data",
      vpc_endpoint_type: "Interface",
      vpc_id: "vpc-0abc",
      subnet_ids: ["subnet-0a", "subnet-0b"],
      private_dns_enabled: false,
    });
  });

  test("the endpoint's security group admits TCP 8883 from each device subnet and nothing else", () => {
    expect(synthesized).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      ip_protocol: "tcp",
      from_port: 8883,
      to_port: 8883,
      cidr_ipv4: "10.9.0.0/20",
    });
    const ingress = resourcesOf(json, "aws_vpc_security_group_ingress_rule");
    expect(ingress.map((r) => [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4])).toEqual([
      ["tcp", 8883, 8883, "10.9.0.0/20"],
      ["tcp", 8883, 8883, "10.9.16.0/20"],
    ]);
    const groups = resourcesOf(json, "aws_security_group");
    expect(groups).toHaveLength(1);
    expect(groups[0].ingress).toBeUndefined();
    expect(resourcesOf(json, "aws_vpc_security_group_egress_rule")).toEqual([]);
    expect(resourcesOf(json, "aws_vpc_endpoint")[0].security_group_ids).toEqual([expect.stringContaining("aws_security_group.")]);
  });

  test("a private hosted zone on the VPC maps the broker's own domain configuration name (not the account's ATS name) to the endpoint", () => {
    expect(synthesized).not.toHaveDataSource(DataAwsIotEndpoint);
    expect(synthesized).toHaveResourceWithProperties(Route53Zone, {
      name: expect.stringMatching(/^\$\{aws_iot_domain_configuration\.[^.]+\.domain_name\}$/),
      vpc: [{ vpc_id: "vpc-0abc" }],
    });
    expect(synthesized).toHaveResourceWithProperties(Route53Record, {
      type: "A",
      name: expect.stringMatching(/^\$\{aws_iot_domain_configuration\.[^.]+\.domain_name\}$/),
      alias: {
        name: expect.stringMatching(/aws_vpc_endpoint\.[^.]+\.dns_entry\[0\]\.dns_name/),
        zone_id: expect.stringMatching(/dns_entry\[0\]\.hosted_zone_id/),
        evaluate_target_health: true,
      },
    });
    expect(broker.privateEndpointName).toMatch(/TOKEN/);
  });

  test("the CA is registered in DEFAULT mode with its verification certificate and a JITP template", () => {
    expect(synthesized).toHaveResourceWithProperties(IotCaCertificate, {
      ca_certificate_pem: fixturePem("issuing-ca.pem"),
      verification_certificate_pem: fixturePem("verification.pem"),
      certificate_mode: "DEFAULT",
      active: true,
      allow_auto_registration: true,
    });
    expect(broker.certificateMode).toBe("DEFAULT");
    const ca = resourcesOf(json, "aws_iot_ca_certificate")[0] as { registration_config: { role_arn: string; template_body: string } };
    expect(ca.registration_config.role_arn).toMatch(/^\$\{aws_iam_role\.[^.]+\.arn\}$/);
    const template = JSON.parse(ca.registration_config.template_body);
    expect(template.Resources).toEqual({
      thing: {
        Type: "AWS::IoT::Thing",
        Properties: {
          ThingName: { Ref: "AWS::IoT::Certificate::CommonName" },
          ThingGroups: [{ "Fn::Join": ["", ["iot-test-", { Ref: "AWS::IoT::Certificate::OrganizationalUnit" }]] }],
        },
        OverrideSettings: { ThingGroups: "REPLACE" },
      },
      certificate: { Type: "AWS::IoT::Certificate", Properties: { CertificateId: { Ref: "AWS::IoT::Certificate::Id" }, Status: "ACTIVE" } },
      policy: { Type: "AWS::IoT::Policy", Properties: { PolicyName: "iot-test-connect" } },
    });
  });

  test("the JITP role can only be assumed by IoT Core for this account and has AWS's AWSIoTThingsRegistration policy", () => {
    const roles = resourcesOf(json, "aws_iam_role").map((r) => JSON.parse(r.assume_role_policy as string));
    for (const trust of roles) {
      expect(trust.Statement).toEqual([
        {
          Effect: "Allow",
          Principal: { Service: "iot.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": expect.stringMatching(/data\.aws_caller_identity/) } },
        },
      ]);
    }
    expect(resourcesOf(json, "aws_iam_role_policy_attachment")).toEqual([
      expect.objectContaining({
        policy_arn: "arn:aws:iam::aws:policy/service-role/AWSIoTThingsRegistration",
        role: expect.stringMatching(/aws_iam_role\..*provisioning-role.*\.name/),
      }),
    ]);
    expect(resourcesOf(json, "aws_iam_role_policy").map((p) => p.name)).not.toContain("jitp-template");
  });

  test("one thing group per class carries that class's compiled policies; the Connect policy is separate", () => {
    expect(synthesized).toHaveResourceWithProperties(IotThingGroup, { name: "iot-test-sensor" });
    expect(synthesized).toHaveResourceWithProperties(IotThingGroup, { name: "iot-test-gateway" });
    expect(synthesized).toHaveResourceWithProperties(IotPolicy, { name: "iot-test-connect" });
    expect(synthesized).toHaveResourceWithProperties(IotPolicy, { name: "iot-test-sensor-0" });
    expect(synthesized).toHaveResourceWithProperties(IotPolicyAttachment, {
      policy: expect.stringMatching(/aws_iot_policy\..*sensor-policy-0.*\.name/),
      target: expect.stringMatching(/aws_iot_thing_group\..*sensor.*\.arn/),
    });
    expect(broker.classes).toEqual([
      { className: "gateway", thingGroupName: "iot-test-gateway", policyNames: ["iot-test-gateway-0"] },
      { className: "sensor", thingGroupName: "iot-test-sensor", policyNames: ["iot-test-sensor-0"] },
    ]);
    expect(broker.connectPolicyName).toBe("iot-test-connect");
  });

  test("policies are JSON string templates: the variable escaped for Terraform, deploy-time ids as references", () => {
    const raw = resourcesOf(json, "aws_iot_policy").find((p) => p.name === "iot-test-connect")?.policy as string;
    expect(raw).toContain("client/$${iot:Connection.Thing.ThingName}");
    expect(raw).toMatch(/"aws:SourceVpce":"\$\{aws_vpc_endpoint\.[^.]+\.id\}"/);
    const connect = readPolicyExpression(raw);
    expect(connect.Statement).toEqual([
      {
        Effect: "Allow",
        Action: "iot:Connect",
        Resource: expect.stringMatching(
          /^arn:aws:iot:eu-west-1:\$\{data\.aws_caller_identity\.[^.]+\.account_id\}:client\/\$\{iot:Connection\.Thing\.ThingName\}$/,
        ),
        Condition: {
          Bool: { "iot:Connection.Thing.IsAttached": "true" },
          StringEquals: { "aws:SourceVpce": expect.stringMatching(/^\$\{aws_vpc_endpoint\.[^.]+\.id\}$/) },
        },
      },
    ]);
    const sensor = readPolicyExpression(resourcesOf(json, "aws_iot_policy").find((p) => p.name === "iot-test-sensor-0")?.policy as string);
    expect(sensor.Statement.map((st) => st.Action)).toEqual(["iot:Publish", "iot:Subscribe", "iot:Receive"]);
  });

  test("IoT logging is on at WARN with its own role", () => {
    expect(synthesized).toHaveResourceWithProperties(IotLoggingOptions, {
      default_log_level: "WARN",
      disable_all_logs: false,
      role_arn: expect.stringMatching(/aws_iam_role\./),
    });
    const logs = JSON.parse(resourcesOf(json, "aws_iam_role_policy").find((p) => p.name === "iot-logging")?.policy as string);
    expect(logs.Statement[0].Resource).toEqual([
      expect.stringMatching(/^arn:aws:logs:eu-west-1:.*:log-group:AWSIotLogsV2$/),
      expect.stringMatching(/^arn:aws:logs:eu-west-1:.*:log-group:AWSIotLogsV2:\*$/),
    ]);
  });

  test("every auth-failure concern alarms to a KMS-encrypted topic with the configured email", () => {
    const alarms = resourcesOf(json, "aws_cloudwatch_metric_alarm");
    for (const { documented } of AUTH_FAILURE_METRICS) {
      const alarm = alarms.find((a) => JSON.stringify(a.metric_query).includes(`"${documented[0]}"`));
      expect(alarm).toMatchObject({
        comparison_operator: "GreaterThanThreshold",
        alarm_actions: [expect.stringMatching(/aws_sns_topic\./)],
      });
    }
    expect(synthesized).toHaveResourceWithProperties(SnsTopic, { kms_master_key_id: expect.stringMatching(/aws_kms_key\.[^.]+\.arn/) });
    expect(synthesized).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(synthesized).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "ops@example.com" });
    expect(broker.alarmTopicArn).toMatch(/TOKEN/);
  });

  test("synthesis prints no cdktf escape-sequence warning (the policy variable goes in as a raw string)", () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      Testing.synth(brokerStack().stack, true);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  test("without a custom domain the broker creates its own DATA domain configuration on an AWS-managed domain, with the TLS 1.3 policy", () => {
    const [domain] = resourcesOf(json, "aws_iot_domain_configuration");
    expect(resourcesOf(json, "aws_iot_domain_configuration")).toHaveLength(1);
    expect(domain).toEqual({
      name: "iot-test-data",
      service_type: "DATA",
      status: "ENABLED",
      application_protocol: "SECURE_MQTT",
      authentication_type: "AWS_X509",
      tls_config: { security_policy: "IoTSecurityPolicy_TLS13_1_3_2022_10" },
    });
    // AWS names an AWS-managed domain: no domain_name, no certificate in the plan.
    expect(domain).not.toHaveProperty("domain_name");
    expect(domain).not.toHaveProperty("server_certificate_arns");
    expect(broker.privateEndpointName).toMatch(/TOKEN/);
    // No warning about the TLS policy (this broker is built without a network, so only the device-wiring one may appear).
    expect(broker.node.metadata.filter((m) => m.type === "@cdktf/warn" && /TLS|domain/.test(String(m.data)))).toEqual([]);
  });
});

describe("IotCoreBroker options", () => {
  test("a custom domain gets a domain configuration with the TLS 1.3 policy, and the zone serves that name", () => {
    const { stack, broker } = brokerStack({
      customDomain: { domainName: "mqtt.example.com", serverCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc" },
      tlsPolicy: "IoTSecurityPolicy_TLS13_1_2_2022_10",
    });
    const synthesized = Testing.synth(stack, true);
    expect(synthesized).toHaveResourceWithProperties(IotDomainConfiguration, {
      name: "iot-test-data",
      domain_name: "mqtt.example.com",
      server_certificate_arns: ["arn:aws:acm:eu-west-1:123456789012:certificate/abc"],
      service_type: "DATA",
      application_protocol: "SECURE_MQTT",
      authentication_type: "AWS_X509",
      tls_config: { security_policy: "IoTSecurityPolicy_TLS13_1_2_2022_10" },
    });
    expect(synthesized).toHaveResourceWithProperties(Route53Zone, { name: "mqtt.example.com" });
    expect(synthesized).not.toHaveDataSource(DataAwsIotEndpoint);
    expect(broker.privateEndpointName).toBe("mqtt.example.com");
    expect(broker.domainConfigurationName).toMatch(/TOKEN/);
  });

  test("with no verification certificate and a reason, the CA is registered SNI_ONLY", () => {
    const { stack, broker } = brokerStack({
      verificationCertificatePem: undefined,
      sniOnlyReason: "dev account: synthesized offline without the registration code",
    });
    expect(Testing.synth(stack, true)).toHaveResourceWithProperties(IotCaCertificate, { certificate_mode: "SNI_ONLY" });
    expect(resourcesOf(synthJson(stack), "aws_iot_ca_certificate")[0]).not.toHaveProperty("verification_certificate_pem");
    expect(broker.certificateMode).toBe("SNI_ONLY");
  });

  test("with a single class, the JITP template puts every device in that class's group", () => {
    const topics = parseTopicModel({ classes: { sensor: { publish: ["devices/{thing}/telemetry"] } } }, "one.yaml");
    const json = synthJson(brokerStack({ topics }).stack);
    const template = JSON.parse(
      (resourcesOf(json, "aws_iot_ca_certificate")[0].registration_config as { template_body: string }).template_body,
    );
    expect(template.Resources.thing.Properties.ThingGroups).toEqual(["iot-test-sensor"]);
    expect(Object.keys(template.Parameters)).not.toContain("AWS::IoT::Certificate::OrganizationalUnit");
  });

  test("logging owned by another stack (with a reason) means no logging options and no logging role", () => {
    const { stack } = brokerStack({
      logging: { enabled: false, disabledReason: "the shared-services stack owns IoT logging in this account" },
    });
    const json = synthJson(stack);
    expect(resourcesOf(json, "aws_iot_logging_options")).toEqual([]);
    expect(resourcesOf(json, "aws_iam_role_policy")).toEqual([]);
  });

  test("logging level DEBUG and threshold 5 are both applied", () => {
    const synthesized = Testing.synth(brokerStack({ logging: { level: "DEBUG" }, authFailureThreshold: 5 }).stack, true);
    expect(synthesized).toHaveResourceWithProperties(IotLoggingOptions, { default_log_level: "DEBUG" });
    expect(synthesized).toHaveResourceWithProperties(CloudwatchMetricAlarm, { threshold: 5 });
  });
});

describe("IotCoreBroker refuses bad props", () => {
  const key = pemBlock(["PRIVATE", "KEY"].join(" "), "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg");
  test.each([
    [
      "a private key with the CA",
      { caCertificatePem: fixturePem("issuing-ca.pem") + key },
      "the issuing CA certificate contains a PRIVATE KEY block",
    ],
    [
      "an EC private key as verification",
      { verificationCertificatePem: key.replace(/PRIVATE/g, "EC PRIVATE") },
      "the CA verification certificate contains a PRIVATE KEY block",
    ],
    [
      "two certificates",
      { caCertificatePem: fixturePem("issuing-ca.pem") + fixturePem("verification.pem") },
      "must hold exactly one PEM certificate, found 2",
    ],
    ["no certificate", { caCertificatePem: "" }, "must hold exactly one PEM certificate, found 0"],
    [
      "a corrupt certificate",
      { caCertificatePem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" },
      "is not a readable X.509 certificate",
    ],
    ["a device certificate as CA", { caCertificatePem: fixturePem("device.pem") }, "is not a CA certificate (basicConstraints CA:false)"],
    [
      "a verification certificate from another CA",
      { verificationCertificatePem: fixturePem("verification-other-ca.pem") },
      "the CA verification certificate is not signed by the issuing CA",
    ],
    [
      "no verification and no reason",
      { verificationCertificatePem: undefined },
      "no CA verification certificate: pass verificationCertificatePem (get the code with `aws iot get-registration-code`, then `moat pki verification-cert --env E",
    ],
    [
      "no verification and a short reason",
      { verificationCertificatePem: undefined, sniOnlyReason: "dev" },
      "no CA verification certificate, and sniOnlyReason is under a sentence (1 word, 3 characters)",
    ],
    ["a bad region", { region: "europe" }, 'region "europe" is not an AWS region name'],
    ["a name with a space", { name: "iot dev" }, 'name "iot dev" must be 1-40 of A-Z a-z 0-9 _ -'],
    [
      "logging off without a reason",
      { logging: { enabled: false } },
      "IoT logging is off and logging.disabledReason is missing; give one line of at least 4 words and 20 characters that says why",
    ],
    ["a negative threshold", { authFailureThreshold: -1 }, "authFailureThreshold -1 is not a whole number >= 0"],
    ["no device subnets", { deviceSubnets: [] }, "needs at least one device subnet and one endpoint subnet"],
    ["no endpoint subnets", { endpointSubnetIds: [] }, "needs at least one device subnet and one endpoint subnet"],
  ])("%s makes construction throw a clear MoatError", (_name, overrides, message) => {
    expect(() => brokerStack(overrides as never)).toThrow(message);
  });
});
