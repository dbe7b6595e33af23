import { Construct } from "constructs";
import { TerraformResource, Token } from "cdktf";
import { ValidationError } from "../../errors";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { FLOW_FIELDS } from "../../flows/flow-log-format";
import type { FlowAddressPlan } from "../../flows/segment-zones";
import { Port } from "../security/port";
import { FlowLogQueries } from "./flow-log-queries";
import { FlowLogStore, flowLogRetentionProblem, MIN_FLOW_LOG_RETENTION_DAYS } from "../../core/flow-log-retention";
import { serviceTrustPolicy } from "../security/service-trust-policy";

/** Where flow logs go and how long they are kept: what an `IsolatedIotNetwork` takes as `flowLogs`. */
export interface FlowLogSettings {
  /** @default "cloudwatch" */
  readonly store?: FlowLogStore;
  /** Days records are kept: CloudWatch retention and S3 expiration. @default 365 */
  readonly retentionDays?: number;
  /** S3 store: days before objects move to Glacier Flexible Retrieval. @default 90 */
  readonly archiveAfterDays?: number;
}

export interface FlowLogsProps extends FlowLogSettings {
  /** The VPC whose traffic is recorded (all of it: accepted and rejected). */
  readonly vpcId: string;
  /** Prefix for names of the log group, bucket, key alias and alarm, e.g. `iot-prod`. */
  readonly name: string;
  /**
   * The segment's address plan: saved queries (Logs Insights, or Glue + Athena for S3) ask
   * about its device, endpoint and office ranges.
   * @default undefined: no saved queries
   */
  readonly addressPlan?: FlowAddressPlan;
}

/**
 * The custom record format (flows/flow-log-format.ts: the default fields plus tcp-flags and
 * pkt-src/dst addresses). `$${` is Terraform's escape for a literal `${`.
 */
export const FLOW_LOG_FORMAT = FLOW_FIELDS.map((field) => `$\${${field}}`).join(" ");

/** Parquet, hourly, Hive-compatible: AWS then writes under `AWSLogs/aws-account-id=<account>/`. */
const S3_DESTINATION_OPTIONS = { fileFormat: "parquet", hiveCompatiblePartitions: true, perHourPartition: true } as const;

/** The key prefix AWS delivers flow-log objects under, per the VPC guide's "Flow log files". */
function deliveryPrefix(account: string): string {
  return S3_DESTINATION_OPTIONS.hiveCompatiblePartitions ? `AWSLogs/aws-account-id=${account}` : `AWSLogs/${account}`;
}

/** Space-delimited metric-filter pattern: rejected TCP flows to the MQTT port. */
const REJECTED_MQTT_PATTERN = `[${FLOW_FIELDS.map((field) => {
  const name = field.replace(/-/g, "_");
  if (field === "dstport") return `${name}="${Port.MQTT_TLS.fromPort}"`;
  if (field === "protocol") return `${name}="${Port.MQTT_TLS.protocolNumber}"`;
  if (field === "action") return `${name}="REJECT"`;
  return name;
}).join(", ")}]`;

/**
 * VPC flow logs (traffic type ALL) to an encrypted, retained store, and an alarm on
 * rejected flows to TCP 8883: on an isolated segment, those are probes or misconfigured devices.
 */
export class FlowLogs extends Construct {
  /** The customer-managed key that encrypts the store. */
  public readonly kmsKeyArn: string;
  /** CloudWatch store: the log group name. */
  public readonly logGroupName?: string;
  /** S3 store: the bucket name. */
  public readonly bucketName?: string;
  /** CloudWatch store: the alarm on rejected MQTT flows; add actions with {@link addAlarmAction}. */
  public readonly rejectedMqttAlarm?: CloudwatchMetricAlarm;

  private readonly alarmActions: string[] = [];
  private readonly partition: string;
  private readonly account: string;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: FlowLogsProps) {
    super(scope, id);
    const store = props.store ?? "cloudwatch";
    const retentionDays = props.retentionDays ?? MIN_FLOW_LOG_RETENTION_DAYS;
    const archiveAfterDays = props.archiveAfterDays ?? 90;
    validateRetention(store, retentionDays, archiveAfterDays);

    this.partition = new DataAwsPartition(this, "partition").partition;
    this.account = new DataAwsCallerIdentity(this, "account").accountId;
    this.region = new DataAwsRegion(this, "region").region;
    const logGroupName = `/moat/${props.name}/vpc-flow-logs`;
    const withCloudWatch = store !== "s3";
    const withS3 = store !== "cloudwatch";

    const key = new KmsKey(this, "key", {
      description: `Encrypts VPC flow logs of ${props.name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify(this.keyPolicy(logGroupName, withS3)),
    });
    new KmsAlias(this, "key-alias", { name: `alias/moat/${props.name}/flow-logs`, targetKeyId: key.keyId });
    // Each attribute read once: every read makes a new token, and cdktf records a stack trace for each.
    this.kmsKeyArn = key.arn;

    if (withCloudWatch) {
      const group = new CloudwatchLogGroup(this, "log-group", {
        name: logGroupName,
        retentionInDays: retentionDays,
        kmsKeyId: this.kmsKeyArn,
      });
      this.logGroupName = group.name;
      const groupArn = group.arn;
      const role = this.deliveryRole(groupArn);
      new FlowLog(this, "to-cloudwatch", {
        vpcId: props.vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: groupArn,
        iamRoleArn: role.arn,
        logFormat: FLOW_LOG_FORMAT,
        maxAggregationInterval: 60,
        tags: { Name: `${props.name}-flow-log-cloudwatch` },
      });
      this.rejectedMqttAlarm = this.rejectedMqttAlarmOn(this.logGroupName, props.name);
    }

    if (withS3) {
      const { bucket, bucketArn, configuration } = this.logBucket(props.name, this.kmsKeyArn, retentionDays, archiveAfterDays);
      this.bucketName = bucket.bucket;
      new FlowLog(this, "to-s3", {
        vpcId: props.vpcId,
        trafficType: "ALL",
        logDestinationType: "s3",
        logDestination: bucketArn,
        logFormat: FLOW_LOG_FORMAT,
        maxAggregationInterval: 60,
        destinationOptions: S3_DESTINATION_OPTIONS,
        tags: { Name: `${props.name}-flow-log-s3` },
        // CreateFlowLogs writes its own bucket policy when it finds none it can use, and the next
        // apply of ours would remove it: the flow log comes after the bucket is fully configured.
        dependsOn: configuration,
      });
    }

    if (props.addressPlan) {
      new FlowLogQueries(this, "queries", {
        name: props.name,
        plan: props.addressPlan,
        logGroupName: this.logGroupName,
        bucket: this.bucketName === undefined ? undefined : { name: this.bucketName, accountId: this.account, region: this.region },
      });
    }
  }

  /** Sends the rejected-MQTT-flow alarm to an SNS topic (no-op for an S3-only store, which has no metric filter). */
  public addAlarmAction(topicArn: string): void {
    if (!this.rejectedMqttAlarm) return;
    // Kept here: reading alarmActions back from the resource yields a token list that cannot be extended.
    this.alarmActions.push(topicArn);
    this.rejectedMqttAlarm.alarmActions = [...this.alarmActions];
  }

  private arn(service: string, resource: string, region = this.region): string {
    return `arn:${this.partition}:${service}:${region}:${this.account}:${resource}`;
  }

  private keyPolicy(logGroupName: string, withS3: boolean) {
    const statements: object[] = [
      {
        Sid: "AccountAdministersKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${this.partition}:iam::${this.account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchLogsEncryptsThisGroupOnly",
        Effect: "Allow",
        Principal: { Service: `logs.${this.region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": this.arn("logs", `log-group:${logGroupName}`) } },
      },
    ];
    if (withS3) {
      statements.push({
        Sid: "FlowLogDeliveryToS3",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: "*",
        Condition: this.deliveryConditions(),
      });
    }
    return { Version: "2012-10-17", Statement: statements };
  }

  /** Role the flow-log service assumes: writes to this one log group, for this account only. */
  private deliveryRole(logGroupArn: string): IamRole {
    const role = new IamRole(this, "delivery-role", {
      namePrefix: "moat-flow-logs-",
      description: "VPC flow logs delivery to CloudWatch Logs",
      assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com", this.account, this.arn("ec2", "vpc-flow-log/*")),
    });
    new IamRolePolicy(this, "delivery-policy", {
      role: role.id,
      name: "write-flow-log-group",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [logGroupArn, `${logGroupArn}:*`],
          },
          // AWS lists it for the delivery role; it only lists groups, so it gets every group of
          // this account and region (AWS's example grants "*"), and no write.
          {
            Effect: "Allow",
            Action: "logs:DescribeLogGroups",
            Resource: this.arn("logs", "log-group:*"),
          },
        ],
      }),
    });
    return role;
  }

  private rejectedMqttAlarmOn(logGroupName: string, name: string): CloudwatchMetricAlarm {
    const namespace = `moat/${name}`;
    const metricName = "RejectedMqttFlows";
    new CloudwatchLogMetricFilter(this, "rejected-mqtt-filter", {
      name: `${name}-rejected-mqtt-flows`,
      logGroupName,
      pattern: REJECTED_MQTT_PATTERN,
      metricTransformation: { namespace, name: metricName, value: "1", defaultValue: "0" },
    });
    return new CloudwatchMetricAlarm(this, "rejected-mqtt-alarm", {
      alarmName: `${name}-rejected-mqtt-flows`,
      alarmDescription: `Flows to ${Port.MQTT_TLS} were rejected in the IoT segment: a probe, or a device outside the device subnets`,
      namespace,
      metricName,
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
  }

  /** The bucket, and the resources that configure it (the flow log waits for all of them). */
  private logBucket(
    name: string,
    kmsKeyArn: string,
    retentionDays: number,
    archiveAfterDays: number,
  ): { bucket: S3Bucket; bucketArn: string; configuration: TerraformResource[] } {
    const bucket = new S3Bucket(this, "bucket", { bucketPrefix: `moat-${name}-flow-logs-`, forceDestroy: false });
    const bucketId = bucket.id;
    const bucketArn = bucket.arn;
    const publicAccess = new S3BucketPublicAccessBlock(this, "bucket-public-access", {
      bucket: bucketId,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const ownership = new S3BucketOwnershipControls(this, "bucket-ownership", {
      bucket: bucketId,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, "bucket-encryption", {
      bucket: bucketId,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn }, bucketKeyEnabled: true }],
    });
    new S3BucketVersioningA(this, "bucket-versioning", { bucket: bucketId, versioningConfiguration: { status: "Enabled" } });
    new S3BucketLifecycleConfiguration(this, "bucket-lifecycle", {
      bucket: bucketId,
      rule: [
        {
          id: "archive-then-expire",
          status: "Enabled",
          filter: [{ prefix: "" }],
          transition: [{ days: archiveAfterDays, storageClass: "GLACIER" }],
          expiration: [{ days: retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    const deliveryConditions = this.deliveryConditions();
    const policy = new S3BucketPolicy(this, "bucket-policy", {
      bucket: bucketId,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucketArn, `${bucketArn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
          {
            Sid: "FlowLogDeliveryWrite",
            Effect: "Allow",
            Principal: { Service: "delivery.logs.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `${bucketArn}/${deliveryPrefix(this.account)}/*`,
            Condition: {
              ...deliveryConditions,
              StringEquals: { ...deliveryConditions.StringEquals, "s3:x-amz-acl": "bucket-owner-full-control" },
            },
          },
          {
            Sid: "FlowLogDeliveryAclCheck",
            Effect: "Allow",
            Principal: { Service: "delivery.logs.amazonaws.com" },
            Action: ["s3:GetBucketAcl", "s3:ListBucket"],
            Resource: bucketArn,
            Condition: deliveryConditions,
          },
        ],
      }),
    });
    return { bucket, bucketArn, configuration: [publicAccess, ownership, encryption, policy] };
  }

  /** The confused-deputy guard AWS documents for log delivery: this account's logs only. */
  private deliveryConditions() {
    return {
      StringEquals: { "aws:SourceAccount": this.account } as Record<string, string>,
      ArnLike: { "aws:SourceArn": this.arn("logs", "*") },
    };
  }
}

function validateRetention(store: FlowLogStore, retentionDays: number, archiveAfterDays: number): void {
  if (Token.isUnresolved(retentionDays) || Token.isUnresolved(archiveAfterDays)) return;
  const problem = flowLogRetentionProblem(store, retentionDays, archiveAfterDays);
  if (problem) throw new ValidationError(problem.message);
}
