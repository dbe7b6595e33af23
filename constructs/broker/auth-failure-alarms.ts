import { Construct } from "constructs";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmMetricQuery } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import {
  IOT_AUTH_FAILURE_CONCERNS,
  IOT_NAMESPACE,
  IotFailureConcern,
  JITP_FAILURE_METRICS,
  JITP_SUCCESS_METRIC,
  MQTT_PROTOCOL_DIMENSION,
} from "../../core/iot-metrics";

/** The IoT Core failure counts the broker alarms on (names from AWS's metrics page; see docs/aws-iot.md). */
export const AUTH_FAILURE_METRICS = IOT_AUTH_FAILURE_CONCERNS;

const PERIOD_SECONDS = 300;

export interface AuthFailureAlarmsProps {
  readonly name: string;
  readonly accountId: string;
  readonly partition: string;
  /** Email addresses subscribed to the alarm topic (each must confirm). */
  readonly emails: readonly string[];
  /** Failures per 5 minutes above which an alarm fires. */
  readonly threshold: number;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/** How one alarm evaluates its sum: how many consecutive 5-minute periods must breach. */
interface AlarmShape {
  readonly id: string;
  readonly description: string;
  readonly queries: CloudwatchMetricAlarmMetricQuery[];
  readonly periods: number;
  /** @default the configured threshold */
  readonly threshold?: number;
}

/**
 * One alarm per IoT Core failure concern, all to a KMS-encrypted SNS topic.
 *
 * Each alarm is a metric-math sum over every name the concern may be published under, so a
 * renamed metric cannot leave the fleet unwatched. Authorization failures alarm at once: no
 * normal operation causes them. Authentication failures are different: a device's first
 * connection is refused by design while just-in-time provisioning registers its certificate,
 * so that alarm subtracts successful provisionings in the same period and fires on what remains
 * (an attack, or a device the broker refuses, not an enrollment wave). One period decides, as for
 * the other alarms: a burst of forged logins inside five minutes must page someone. Failed
 * provisionings alarm on their own: they leave certificates PENDING_ACTIVATION for good.
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
          // AWS's documented statement for CloudWatch alarms to an encrypted topic, with no
          // condition: aws:SourceAccount is not documented on this KMS call, and if absent every
          // notification would be dropped. The topic policy below keeps the account guard.
          {
            Sid: "CloudWatchAlarmsEncryptToTopic",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
          },
        ],
      }),
      tags: props.tags,
    });
    const topic = new SnsTopic(this, "topic", {
      namePrefix: `${props.name}-iot-auth-failures-`,
      kmsMasterKeyId: key.arn,
      tags: props.tags,
    });
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

    const shapes = [...IOT_AUTH_FAILURE_CONCERNS.map(concernAlarm), provisioningFailureAlarm()];
    this.alarmNames = shapes.map((shape) => {
      const alarmName = `${props.name}-iot-${shape.id}`;
      new CloudwatchMetricAlarm(this, shape.id, {
        alarmName,
        alarmDescription: shape.description,
        metricQuery: shape.queries,
        evaluationPeriods: shape.periods,
        datapointsToAlarm: shape.periods,
        threshold: shape.threshold ?? props.threshold,
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

function metricQuery(id: string, metricName: string, dimensions?: Record<string, string>): CloudwatchMetricAlarmMetricQuery {
  return { id, returnData: false, metric: { namespace: IOT_NAMESPACE, metricName, dimensions, period: PERIOD_SECONDS, stat: "Sum" } };
}

function expressionQuery(expression: string, label: string): CloudwatchMetricAlarmMetricQuery {
  return { id: "total", expression, label, returnData: true };
}

function concernAlarm(concern: IotFailureConcern): AlarmShape {
  const names = [...concern.documented, ...concern.alternates];
  const metrics = names.map((name, i) => metricQuery(`m${i}`, name, MQTT_PROTOCOL_DIMENSION));
  const sum = `SUM([${metrics.map((m) => m.id).join(", ")}])`;
  const authentication = concern.id === "authentication";
  if (!authentication) {
    return {
      id: concern.id,
      description: `IoT Core ${concern.concern}: ${names.join(" + ")}`,
      queries: [...metrics, expressionQuery(sum, concern.concern)],
      periods: 1,
    };
  }
  const provisioned = metricQuery("provisioned", JITP_SUCCESS_METRIC);
  return {
    id: concern.id,
    description: `IoT Core ${concern.concern} beyond just-in-time provisioning's refused first connections: ${names.join(" + ")} - ${JITP_SUCCESS_METRIC}`,
    queries: [...metrics, provisioned, expressionQuery(`${sum} - FILL(provisioned, 0)`, `${concern.concern} not explained by enrollment`)],
    periods: 1,
  };
}

function provisioningFailureAlarm(): AlarmShape {
  const metrics = JITP_FAILURE_METRICS.map((name, i) => metricQuery(`m${i}`, name));
  return {
    id: "provisioning-failures",
    description: `IoT Core just-in-time provisioning failed (certificates stay PENDING_ACTIVATION, devices are refused): ${JITP_FAILURE_METRICS.join(" + ")}`,
    queries: [...metrics, expressionQuery(`SUM([${metrics.map((m) => m.id).join(", ")}])`, "just-in-time provisioning failures")],
    periods: 1,
    // Any failure: a template that cannot run refuses every new device.
    threshold: 0,
  };
}
