/** Class 10 of issue 13: weakenings of the log store and its alarms, each an edit of a clean stack. */
import { describeVariants, findResource } from "./clean-stacks";
import { Json } from "./fixture-stack";

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

describeVariants("flow log records and destinations (LOG-1)", [
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

describeVariants("the S3 log store (LOG-3)", [
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

describeVariants("the log store's keys (LOG-2, LOG-3)", [
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

describeVariants("alarms that can never fire (LOG-5)", [
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
