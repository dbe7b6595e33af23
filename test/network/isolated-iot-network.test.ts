import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DefaultNetworkAcl } from "@cdktf/provider-aws/lib/default-network-acl";
import { DefaultRouteTable } from "@cdktf/provider-aws/lib/default-route-table";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { FLOW_LOG_FORMAT, FlowLogsDisabled, IsolatedIotNetwork, IsolatedIotNetworkProps, SUBNET_ROLE_TAG } from "../../constructs/network";
import { NETWORK_PLAN } from "../support/network-plan";
import { resourcesOf, synthWith, WAY_OUT_RESOURCE_TYPES } from "../support/synth";

const PLAN = NETWORK_PLAN;

function synthNetwork(props: Partial<IsolatedIotNetworkProps> = {}) {
  return synthWith((stack) => new IsolatedIotNetwork(stack, "iot", { ...PLAN, ...props }));
}

describe("IsolatedIotNetwork: isolation", () => {
  const result = synthNetwork();

  test("with the defaults, the VPC has DNS and there is no way out", () => {
    expect(result.text).toHaveResourceWithProperties(Vpc, {
      cidr_block: "10.10.0.0/16",
      enable_dns_support: true,
      enable_dns_hostnames: true,
    });
    for (const type of WAY_OUT_RESOURCE_TYPES) expect(resourcesOf(result, type)).toEqual([]);
  });

  test("route tables carry no routes (only the implicit local one)", () => {
    for (const table of resourcesOf(result, "aws_route_table")) expect(table.route).toBeUndefined();
    expect(result.text).toHaveResourceWithProperties(DefaultRouteTable, { route: [] });
    expect(resourcesOf(result, "aws_route_table_association")).toHaveLength(4);
  });

  test("subnets never map public IPs and are tagged with their role", () => {
    const subnets = resourcesOf(result, "aws_subnet");
    expect(subnets).toHaveLength(4);
    for (const subnet of subnets) expect(subnet.map_public_ip_on_launch).toBe(false);
    expect(subnets.map((s) => s.tags[SUBNET_ROLE_TAG]).sort()).toEqual(["device", "device", "endpoint", "endpoint"]);
    expect(subnets.map((s) => s.tags.Name)).toContain("iot-device-eu-west-1a");
  });

  test("the default security group and network ACL are adopted with no rules", () => {
    expect(result.text).toHaveResourceWithProperties(DefaultSecurityGroup, { ingress: [], egress: [] });
    const acl = resourcesOf(result, "aws_default_network_acl")[0];
    expect(acl.ingress).toBeUndefined();
    expect(acl.egress).toBeUndefined();
    expect(result.text).toHaveResource(DefaultNetworkAcl);
  });

  test("the device security group starts with no rules at all", () => {
    expect(resourcesOf(result, "aws_security_group")).toHaveLength(1);
    expect(resourcesOf(result, "aws_vpc_security_group_ingress_rule")).toEqual([]);
    expect(resourcesOf(result, "aws_vpc_security_group_egress_rule")).toEqual([]);
  });
});

describe("IsolatedIotNetwork: network ACLs", () => {
  const result = synthNetwork();
  const rules = resourcesOf(result, "aws_network_acl_rule");
  const summary = (r: Record<string, any>) =>
    `${r.egress ? "out" : "in"} ${r.rule_action} ${r.protocol} ${r.cidr_block} ${r.from_port ?? ""}-${r.to_port ?? ""} #${r.rule_number}`;

  test("office CIDRs are denied first, both directions, in both ACLs", () => {
    const denies = rules.filter((r) => r.rule_action === "deny").map(summary);
    expect(denies).toHaveLength(8);
    expect(denies).toContain("in deny -1 192.168.0.0/16 - #100");
    expect(denies).toContain("out deny -1 172.20.0.0/16 - #101");
    const lowestAllow = Math.min(...rules.filter((r) => r.rule_action === "allow").map((r) => r.rule_number));
    for (const deny of rules.filter((r) => r.rule_action === "deny")) expect(deny.rule_number).toBeLessThan(lowestAllow);
  });

  test("allows are exactly MQTT over TLS between the tiers and its return traffic", () => {
    const allows = rules
      .filter((r) => r.rule_action === "allow")
      .map(summary)
      .sort();
    expect(allows).toEqual(
      [
        // device ACL
        "out allow 6 10.10.240.0/26 8883-8883 #200",
        "out allow 6 10.10.240.64/26 8883-8883 #201",
        "in allow 6 10.10.240.0/26 1024-65535 #200",
        "in allow 6 10.10.240.64/26 1024-65535 #201",
        // endpoint ACL
        "in allow 6 10.10.0.0/20 8883-8883 #200",
        "in allow 6 10.10.16.0/20 8883-8883 #201",
        "out allow 6 10.10.0.0/20 1024-65535 #200",
        "out allow 6 10.10.16.0/20 1024-65535 #201",
      ].sort(),
    );
    expect(rules.some((r) => r.protocol === "-1" && r.rule_action === "allow")).toBe(false);
  });

  test("every subnet is covered by a moat ACL", () => {
    const acls = resourcesOf(result, "aws_network_acl");
    expect(acls).toHaveLength(2);
    expect(acls.flatMap((a) => a.subnet_ids)).toHaveLength(4);
  });
});

describe("FlowLogs (through the network)", () => {
  test("by default, ALL traffic goes to a KMS-encrypted log group kept 365 days, in the custom format", () => {
    const result = synthNetwork();
    expect(result.text).toHaveResourceWithProperties(FlowLog, {
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
      log_format: FLOW_LOG_FORMAT,
      max_aggregation_interval: 60,
    });
    expect(FLOW_LOG_FORMAT).toContain("$${tcp-flags} $${pkt-srcaddr} $${pkt-dstaddr}");
    const group = resourcesOf(result, "aws_cloudwatch_log_group")[0];
    expect(group.retention_in_days).toBe(365);
    expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\..+\.arn\}$/);
    expect(result.text).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(resourcesOf(result, "aws_s3_bucket")).toEqual([]);
  });

  test("the key policy lets CloudWatch Logs use the key for this log group only", () => {
    const policy = JSON.parse(resourcesOf(synthNetwork(), "aws_kms_key")[0].policy);
    const logs = policy.Statement.find((s: any) => s.Sid === "CloudWatchLogsEncryptsThisGroupOnly");
    expect(logs.Principal.Service).toMatch(/^logs\.\$\{data\.aws_region\..+\.region\}\.amazonaws\.com$/);
    expect(logs.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"]).toMatch(/:log-group:\/moat\/iot\/vpc-flow-logs$/);
  });

  test("the delivery role is assumable only by flow logs of this account, and writes only its group", () => {
    const result = synthNetwork();
    const trust = JSON.parse(resourcesOf(result, "aws_iam_role")[0].assume_role_policy).Statement[0];
    expect(trust.Principal.Service).toBe("vpc-flow-logs.amazonaws.com");
    expect(trust.Condition.StringEquals["aws:SourceAccount"]).toMatch(/aws_caller_identity/);
    expect(trust.Condition.ArnLike["aws:SourceArn"]).toMatch(/:vpc-flow-log\/\*$/);
    const policy = JSON.parse(resourcesOf(result, "aws_iam_role_policy")[0].policy).Statement;
    expect(policy).toHaveLength(2);
    expect(policy[1]).toMatchObject({ Action: "logs:DescribeLogGroups", Resource: expect.stringMatching(/:log-group:\*$/) });
    expect(policy[0].Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]);
    for (const resource of policy[0].Resource) expect(resource).toMatch(/^\$\{aws_cloudwatch_log_group\./);
  });

  test("an alarm fires on rejected TCP 8883 flows", () => {
    const result = synthNetwork();
    const filter = resourcesOf(result, "aws_cloudwatch_log_metric_filter")[0];
    expect(filter.pattern).toContain('dstport="8883", protocol="6"');
    expect(filter.pattern).toContain('action="REJECT"');
    expect(filter.pattern.split(",")).toHaveLength(FLOW_LOG_FORMAT.split(" ").length);
    expect(result.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      metric_name: "RejectedMqttFlows",
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
    });
  });

  test("store s3 writes Parquet hourly partitions to a locked-down, versioned, KMS-encrypted bucket with lifecycle", () => {
    const result = synthNetwork({ flowLogs: { store: "s3", retentionDays: 400, archiveAfterDays: 60 } });
    expect(result.text).toHaveResourceWithProperties(FlowLog, {
      traffic_type: "ALL",
      log_destination_type: "s3",
      destination_options: { file_format: "parquet", hive_compatible_partitions: true, per_hour_partition: true },
    });
    expect(result.text).not.toHaveResource(CloudwatchLogGroup);
    expect(result.text).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(result.text).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    const sse = resourcesOf(result, "aws_s3_bucket_server_side_encryption_configuration")[0];
    expect(sse.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("aws:kms");
    expect(sse.rule[0].apply_server_side_encryption_by_default.kms_master_key_id).toMatch(/aws_kms_key/);
    expect(result.text).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [expect.objectContaining({ transition: [{ days: 60, storage_class: "GLACIER" }], expiration: [{ days: 400 }] })],
    });
    const policy = JSON.parse(resourcesOf(result, "aws_s3_bucket_policy")[0].policy).Statement;
    expect(policy.find((s: any) => s.Sid === "DenyInsecureTransport")).toMatchObject({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(policy.find((s: any) => s.Sid === "FlowLogDeliveryWrite").Condition.StringEquals["aws:SourceAccount"]).toMatch(
      /aws_caller_identity/,
    );
    const keyPolicy = JSON.parse(resourcesOf(result, "aws_kms_key")[0].policy).Statement;
    expect(keyPolicy.map((s: any) => s.Sid)).toContain("FlowLogDeliveryToS3");
  });

  test("store both makes two flow logs", () => {
    expect(
      resourcesOf(synthNetwork({ flowLogs: { store: "both" } }), "aws_flow_log")
        .map((f) => f.log_destination_type)
        .sort(),
    ).toEqual(["cloud-watch-logs", "s3"]);
  });

  test("flow logs can be turned off only with a reason", () => {
    expect(
      resourcesOf(
        synthNetwork({ flowLogs: { disabled: true, disabledReason: "Connections are recorded by the transit inspection VPC." } }),
        "aws_flow_log",
      ),
    ).toEqual([]);
    expect(() => synthNetwork({ flowLogs: { disabled: true, disabledReason: "no" } })).toThrow(
      /flow logs of .* are disabled and flowLogs.disabledReason is under a sentence \(1 word, 2 characters\); give one line of at least 4 words and 20 characters that says why: where connections are recorded instead/,
    );
  });

  test("the old reason key of a flow-log opt-out is refused with the new key's name", () => {
    // A plain JavaScript caller gets no type error, so the construct must catch it.
    const old = { disabled: true, reason: "Connections are recorded by the transit inspection VPC." } as unknown as FlowLogsDisabled;
    expect(() => synthNetwork({ flowLogs: old })).toThrow(
      /^flow logs of .*: flowLogs\.reason was renamed; call it flowLogs\.disabledReason$/,
    );
  });
});

describe("IsolatedIotNetwork: refused props", () => {
  test.each<[string, Partial<IsolatedIotNetworkProps>, RegExp]>([
    [
      "retention under a year",
      { flowLogs: { retentionDays: 7 } },
      /flow log retention 7 days is below the 365-day minimum; set retentionDays >= 365/,
    ],
    ["a retention CloudWatch refuses", { flowLogs: { retentionDays: 500 } }, /not a CloudWatch Logs retention value/],
    [
      "archive after expiry",
      { flowLogs: { store: "s3", retentionDays: 365, archiveAfterDays: 365 } },
      /archiveAfterDays 365 is not below retentionDays 365/,
    ],
    ["a public VPC block", { vpcCidr: "52.0.0.0/16" }, /vpcCidr "52.0.0.0\/16" is not a private range/],
    [
      "a malformed subnet",
      { deviceSubnets: [{ az: "eu-west-1a", cidr: "10.10.0.0/33" }] },
      /deviceSubnets\[0\]\.cidr "10.10.0.0\/33" is not a CIDR/,
    ],
    ["overlapping subnets", { endpointSubnets: [{ az: "eu-west-1a", cidr: "10.10.1.0/26" }] }, /overlaps deviceSubnets\[0\]\.cidr/],
    ["an office inside the VPC", { officeCidrs: ["10.10.200.0/24"] }, /officeCidrs\[0\] "10.10.200.0\/24" overlaps vpcCidr/],
    ["no endpoint subnet", { endpointSubnets: [] }, /at least one device subnet and one endpoint subnet/],
  ])("%s", (_name, props, expected) => {
    expect(() => synthNetwork(props)).toThrow(expected);
  });
});

test("the rejected-MQTT alarm notifies every topic added", () => {
  const result = synthWith((stack) => {
    const network = new IsolatedIotNetwork(stack, "iot", PLAN);
    network.flowLogs?.addAlarmAction("arn:aws:sns:eu-west-1:111122223333:oncall");
    network.flowLogs?.addAlarmAction("arn:aws:sns:eu-west-1:111122223333:security");
  });
  expect(resourcesOf(result, "aws_cloudwatch_metric_alarm")[0].alarm_actions).toEqual([
    "arn:aws:sns:eu-west-1:111122223333:oncall",
    "arn:aws:sns:eu-west-1:111122223333:security",
  ]);
});
