import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { loadEnvironment } from "../../config";
import { IotEnvironmentStack } from "../../stacks/environment-stack";
import { IOT_AUTH_FAILURE_CONCERNS, JITP_FAILURE_METRICS, JITP_SUCCESS_METRIC } from "../../core/iot-metrics";

/**
 * Every policy statement the prod stack synthesizes (prod uses both flow-log stores, so it has
 * them all), pinned to the shape AWS documents for it, keyed by the page in docs/aws-iot.md.
 * A statement with no entry here fails: a new statement needs its page first.
 */
type Statement = Record<string, unknown>;
const DOCUMENTED: ReadonlyArray<{ readonly page: string; readonly where: string; readonly statement: Statement }> = [
  {
    page: "DEPUTY",
    where: "aws_iam_role (JITP and IoT logging roles)",
    statement: {
      Effect: "Allow",
      Principal: { Service: "iot.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": "<account>" } },
    },
  },
  {
    page: "FL-CWL",
    where: "aws_iam_role (flow-log delivery)",
    statement: {
      Effect: "Allow",
      Principal: { Service: "vpc-flow-logs.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "aws:SourceAccount": "<account>" },
        ArnLike: { "aws:SourceArn": "arn:<partition>:ec2:<region>:<account>:vpc-flow-log/*" },
      },
    },
  },
  {
    page: "LOGGING",
    where: "aws_iam_role_policy (IoT logging)",
    statement: {
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutMetricFilter", "logs:PutRetentionPolicy"],
      Resource: [
        "arn:<partition>:logs:<region>:<account>:log-group:AWSIotLogsV2",
        "arn:<partition>:logs:<region>:<account>:log-group:AWSIotLogsV2:*",
      ],
    },
  },
  {
    page: "FL-CWL",
    where: "aws_iam_role_policy (flow-log delivery, the group's streams)",
    statement: {
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: ["<cloudwatch_log_group>", "<cloudwatch_log_group>:*"],
    },
  },
  {
    page: "FL-CWL",
    where: "aws_iam_role_policy (flow-log delivery, DescribeLogGroups)",
    statement: { Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "arn:<partition>:logs:<region>:<account>:log-group:*" },
  },
  {
    page: "KMS-DEFAULT",
    where: "aws_kms_key (alarm topic)",
    statement: {
      Sid: "AccountAdministers",
      Effect: "Allow",
      Principal: { AWS: "arn:<partition>:iam::<account>:root" },
      Action: "kms:*",
      Resource: "*",
    },
  },
  {
    page: "KMS-DEFAULT",
    where: "aws_kms_key (flow logs)",
    statement: {
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: "arn:<partition>:iam::<account>:root" },
      Action: "kms:*",
      Resource: "*",
    },
  },
  {
    page: "SNS-KMS",
    where: "aws_kms_key (alarm topic)",
    statement: {
      Sid: "CloudWatchAlarmsEncryptToTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
    },
  },
  {
    page: "CWL-KMS",
    where: "aws_kms_key (flow logs)",
    statement: {
      Sid: "CloudWatchLogsEncryptsThisGroupOnly",
      Effect: "Allow",
      Principal: { Service: "logs.<region>.amazonaws.com" },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: {
        ArnEquals: {
          "kms:EncryptionContext:aws:logs:arn": "arn:<partition>:logs:<region>:<account>:log-group:/moat/iot-prod/vpc-flow-logs",
        },
      },
    },
  },
  {
    page: "CWL-S3",
    where: "aws_kms_key (flow logs, S3 store)",
    statement: {
      Sid: "FlowLogDeliveryToS3",
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": "<account>" },
        ArnLike: { "aws:SourceArn": "arn:<partition>:logs:<region>:<account>:*" },
      },
    },
  },
  {
    page: "S3-TLS",
    where: "aws_s3_bucket_policy",
    statement: {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["<s3_bucket>", "<s3_bucket>/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  },
  {
    page: "FL-S3",
    where: "aws_s3_bucket_policy",
    statement: {
      Sid: "FlowLogDeliveryWrite",
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: "<s3_bucket>/AWSLogs/aws-account-id=<account>/*",
      Condition: {
        StringEquals: { "aws:SourceAccount": "<account>", "s3:x-amz-acl": "bucket-owner-full-control" },
        ArnLike: { "aws:SourceArn": "arn:<partition>:logs:<region>:<account>:*" },
      },
    },
  },
  {
    page: "FL-S3",
    where: "aws_s3_bucket_policy",
    statement: {
      Sid: "FlowLogDeliveryAclCheck",
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: ["s3:GetBucketAcl", "s3:ListBucket"],
      Resource: "<s3_bucket>",
      Condition: {
        StringEquals: { "aws:SourceAccount": "<account>" },
        ArnLike: { "aws:SourceArn": "arn:<partition>:logs:<region>:<account>:*" },
      },
    },
  },
  {
    page: "DEPUTY",
    where: "aws_sns_topic_policy",
    statement: {
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: "<sns_topic>",
      Condition: { StringEquals: { "aws:SourceAccount": "<account>" } },
    },
  },
  {
    page: "SNS-TLS",
    where: "aws_sns_topic_policy",
    statement: {
      Sid: "TlsOnly",
      Effect: "Deny",
      Principal: "*",
      Action: "sns:Publish",
      Resource: "<sns_topic>",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  },
];

const POLICY_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = [
  ["aws_iam_role", "assume_role_policy"],
  ["aws_iam_role_policy", "policy"],
  ["aws_kms_key", "policy"],
  ["aws_s3_bucket_policy", "policy"],
  ["aws_sns_topic_policy", "policy"],
];

const env = loadEnvironment("prod");
const json = JSON.parse(Testing.synth(new IotEnvironmentStack(Testing.app(), "iot-prod", { environment: env }), true));
/** Deploy-time values and the stack's literal partition and region, as the placeholders of the table. */
const normalize = (text: string) =>
  text
    .replace(/\$\{data\.aws_caller_identity\.[^}]+\}/g, "<account>")
    .replace(/\$\{data\.aws_partition\.[^}]+\}/g, "<partition>")
    .replace(/\$\{data\.aws_region\.[^}]+\}/g, "<region>")
    .replace(/\$\{aws_([a-z0-9_]+)\.[^.}]+\.arn\}/g, "<$1>")
    .replace(/arn:aws:/g, "arn:<partition>:")
    .replace(new RegExp(`:${env.region}:`, "g"), ":<region>:")
    .replace(new RegExp(`logs\\.${env.region}\\.`, "g"), "logs.<region>.");
const synthesized = POLICY_ATTRIBUTES.flatMap(([type, attribute]) =>
  Object.entries((json.resource[type] ?? {}) as Record<string, Record<string, string>>).flatMap(([name, resource]) =>
    (JSON.parse(normalize(resource[attribute])).Statement as Statement[]).map((statement) => ({ address: `${type}.${name}`, statement })),
  ),
);

test("the stack has policy statements to check (the table is not checked against nothing)", () => {
  expect(synthesized.length).toBeGreaterThanOrEqual(DOCUMENTED.length);
});

test.each(synthesized.map((s) => [s.address, (s.statement.Sid as string) ?? JSON.stringify(s.statement.Action), s.statement] as const))(
  "%s statement %s has a documented shape",
  (_address, _label, statement) => {
    expect(DOCUMENTED.map((d) => d.statement)).toContainEqual(statement);
  },
);

test("every documented shape is used (no stale entry)", () => {
  for (const { statement } of DOCUMENTED) expect(synthesized.map((s) => s.statement)).toContainEqual(statement);
});

test("the JITP role holds exactly the managed policy the JITP page requires", () => {
  const attachments = Object.values(json.resource.aws_iam_role_policy_attachment ?? {}) as Array<{ policy_arn: string }>;
  expect(attachments.map((a) => a.policy_arn)).toEqual(["arn:aws:iam::aws:policy/service-role/AWSIoTThingsRegistration"]);
});

test("every metric an alarm reads in AWS/IoT is a name docs/aws-iot.md lists", () => {
  const listed = [
    ...IOT_AUTH_FAILURE_CONCERNS.flatMap((c) => [...c.documented, ...c.alternates]),
    JITP_SUCCESS_METRIC,
    ...JITP_FAILURE_METRICS,
  ];
  const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "aws-iot.md"), "utf8");
  for (const name of listed) expect(doc).toContain(`\`${name}\``);
  const alarms = Object.values(json.resource.aws_cloudwatch_metric_alarm) as Array<Record<string, any>>;
  const read = alarms.flatMap((a) =>
    (a.metric_query ?? []).filter((q: any) => q.metric?.namespace === "AWS/IoT").map((q: any) => q.metric.metric_name),
  );
  expect(new Set(read)).toEqual(new Set(listed));
});

test("every page key the table cites is defined in docs/aws-iot.md", () => {
  const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "aws-iot.md"), "utf8");
  for (const { page } of DOCUMENTED) expect(doc).toContain(`| ${page} | `);
});
