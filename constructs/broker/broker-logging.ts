import { Construct } from "constructs";
import { IotLoggingOptions } from "@cdktf/provider-aws/lib/iot-logging-options";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { serviceTrustPolicy } from "../security/service-trust-policy";

export type IotLogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

export interface BrokerLoggingProps {
  readonly name: string;
  /** `arn:<partition>:logs:<region>:<account>`. */
  readonly logsArnPrefix: string;
  readonly accountId: string;
  readonly level: IotLogLevel;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * IoT Core logging to CloudWatch Logs (log group AWSIotLogsV2). The options are account- and
 * region-wide, so exactly one stack per account and region may own them; the broker construct
 * leaves them out when told another stack does.
 */
export class BrokerLogging extends Construct {
  public readonly roleArn: string;

  constructor(scope: Construct, id: string, props: BrokerLoggingProps) {
    super(scope, id);
    const role = new IamRole(this, "role", {
      namePrefix: `${props.name}-iot-logs-`,
      description: "Assumed by IoT Core to write its logs to CloudWatch Logs",
      assumeRolePolicy: serviceTrustPolicy("iot.amazonaws.com", props.accountId),
      tags: props.tags,
    });
    new IamRolePolicy(this, "permissions", {
      role: role.id,
      name: "iot-logging",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutMetricFilter", "logs:PutRetentionPolicy"],
            Resource: [`${props.logsArnPrefix}:log-group:AWSIotLogsV2`, `${props.logsArnPrefix}:log-group:AWSIotLogsV2:*`],
          },
        ],
      }),
    });
    this.roleArn = role.arn;
    new IotLoggingOptions(this, "options", { defaultLogLevel: props.level, roleArn: this.roleArn, disableAllLogs: false });
  }
}
