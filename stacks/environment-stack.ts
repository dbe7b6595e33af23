import { Construct } from "constructs";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { EnvironmentConfig } from "../config";
import { IsolatedIotNetwork } from "../constructs/network";

export interface IotEnvironmentStackProps {
  /** A loaded, validated environment file. */
  readonly environment: EnvironmentConfig;
}

/** The stack name for an environment: `cdktf deploy iot-prod` deploys environments/prod.yaml. */
export function stackName(environment: string): string {
  return `iot-${environment}`;
}

/**
 * One environment: the isolated network with its flow logs, the 8883-only firewall and the
 * broker, all from one environment file.
 */
export class IotEnvironmentStack extends TerraformStack {
  public readonly network: IsolatedIotNetwork;

  constructor(scope: Construct, id: string, props: IotEnvironmentStackProps) {
    super(scope, id);
    const env = props.environment;

    new AwsProvider(this, "aws", {
      region: env.region,
      defaultTags: [{ tags: { ManagedBy: "moat", MoatEnvironment: env.name, ...env.tags } }],
    });
    this.configureBackend(env, id);

    this.network = new IsolatedIotNetwork(this, "network", {
      name: id,
      vpcCidr: env.network.vpcCidr,
      deviceSubnets: env.network.deviceSubnets,
      endpointSubnets: env.network.endpointSubnets,
      officeCidrs: env.network.officeCidrs,
      flowLogs: { store: env.logs.store, retentionDays: env.logs.retentionDays, archiveAfterDays: env.logs.archiveAfterDays },
    });

    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId, description: "Id of the isolated IoT VPC" });
    new TerraformOutput(this, "device_subnet_ids", {
      value: this.network.deviceSubnets.map((s) => s.subnetId),
      description: "Subnets where devices or their gateways are placed",
    });
    new TerraformOutput(this, "device_security_group_id", {
      value: this.network.deviceSecurityGroup.securityGroupId,
      description: "Security group to attach to device interfaces: egress only to the broker on TCP 8883",
    });
    if (this.network.flowLogs?.logGroupName) {
      new TerraformOutput(this, "flow_log_group", { value: this.network.flowLogs.logGroupName, description: "CloudWatch log group of the VPC flow logs" });
    }
    if (this.network.flowLogs?.bucketName) {
      new TerraformOutput(this, "flow_log_bucket", { value: this.network.flowLogs.bucketName, description: "S3 bucket of the VPC flow logs (Parquet, hourly partitions)" });
    }
  }

  private configureBackend(env: EnvironmentConfig, id: string): void {
    if (env.backend.type === "local" || !env.backend.s3) {
      new LocalBackend(this, { path: `terraform.${id}.tfstate` });
      return;
    }
    const s3 = env.backend.s3;
    const backend = new S3Backend(this, {
      bucket: s3.bucket,
      key: s3.key,
      region: s3.region ?? env.region,
      encrypt: true,
      kmsKeyId: s3.kmsKeyId,
    });
    // cdktf 0.21 predates S3-native locking (Terraform 1.10+): no DynamoDB table needed.
    backend.addOverride("use_lockfile", true);
  }
}
