import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";

/** IoT Core metrics (namespace AWS/IoT, dimension Protocol) that count refused authentication or authorization. */
export const AUTH_FAILURE_METRICS: ReadonlyArray<{ readonly metric: string; readonly meaning: string }> = [
  { metric: "Connection.AuthNError", meaning: "TLS connections refused because the client certificate did not authenticate" },
  { metric: "Connect.AuthNError", meaning: "MQTT CONNECTs refused: authentication failed" },
  { metric: "Connect.AuthZError", meaning: "MQTT CONNECTs refused by the IoT policy (client id, endpoint, attachment)" },
  { metric: "PublishIn.AuthZError", meaning: "publishes refused by the IoT policy" },
  { metric: "Subscribe.AuthZError", meaning: "subscriptions refused by the IoT policy" },
];

export interface AuthFailureAlarmsProps {
  readonly name: string;
  readonly accountId: string;
  readonly partition: string;
  /** Email addresses subscribed to the alarm topic (each must confirm). */
  readonly emails: readonly string[];
  /** Failures per 5 minutes above which an alarm fires. */
  readonly threshold: number;
  readonly tags?: Record<string, string>;
}

/**
 * One alarm per IoT Core auth-failure metric, all to a KMS-encrypted SNS topic. The key policy
 * lets CloudWatch encrypt to the topic; nothing else outside the account can use the key.
 */
export class AuthFailureAlarms extends Construct {
  public readonly topicArn: string;
  public readonly alarmNames: string[];

  constructor(scope: Construct, id: string, props: AuthFailureAlarmsProps) {
    super(scope, id);
    const key = new KmsKey(this, "key", {
      description: `${props.name}: encrypts the IoT auth-failure alarm topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AccountAdministers",
            Effect: "Allow",
            Principal: { AWS: `arn:${props.partition}:iam::${props.accountId}:root` },
            Action: "kms:*",
            Resource: "*",
          },
          {
            Sid: "CloudWatchAlarmsEncryptToTopic",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
          },
        ],
      }),
      tags: props.tags,
    });
    const topic = new SnsTopic(this, "topic", { namePrefix: `${props.name}-iot-auth-failures-`, kmsMasterKeyId: key.arn, tags: props.tags });
    // One reference token for every use below: cdktf records a stack trace for each token it makes.
    const topicArn = topic.arn;
    this.topicArn = topicArn;
    new SnsTopicPolicy(this, "topic-policy", {
      arn: topicArn,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "CloudWatchAlarmsPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topicArn,
            Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
          },
          {
            Sid: "TlsOnly",
            Effect: "Deny",
            Principal: "*",
            Action: "sns:Publish",
            Resource: topicArn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    });
    props.emails.forEach((email, i) => new SnsTopicSubscription(this, `email-${i}`, { topicArn, protocol: "email", endpoint: email }));
    this.alarmNames = AUTH_FAILURE_METRICS.map(({ metric, meaning }) => {
      const alarmName = `${props.name}-iot-${metric.replace(".", "-")}`;
      new CloudwatchMetricAlarm(this, metric.replace(".", "-"), {
        alarmName,
        alarmDescription: `IoT Core ${metric}: ${meaning}`,
        namespace: "AWS/IoT",
        metricName: metric,
        dimensions: { Protocol: "MQTT" },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: props.threshold,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [topicArn],
        okActions: [topicArn],
        tags: props.tags,
      });
      return alarmName;
    });
  }
}
