import { Construct } from "constructs";
import { ReviewAspect } from "../constructs/review/review-aspect";
import { Aspects, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { EnvironmentConfig } from "../config";
import { IsolatedIotNetwork } from "../constructs/network";
import { IotCoreBroker } from "../constructs/broker";
import { parseTopicModel } from "../authz";
import { readCaMaterial } from "./ca-material";
import { defaultPkiDir } from "../pki/paths";
import { MoatError } from "../errors";
import { environmentStackName } from "../core/names";

export interface IotEnvironmentStackProps {
  /** A loaded, validated environment file. */
  readonly environment: EnvironmentConfig;
  /**
   * PKI store the broker's CA certificates are read from (public PEMs only) when the
   * environment has no `pki.publicDir`; with one, the store is only checked against it.
   * @default $MOAT_PKI_DIR, else ".pki"
   */
  readonly pkiDir?: string;
}

/** The stack name for an environment: `cdktf deploy iot-prod` deploys environments/prod.yaml. */
export function stackName(environment: string): string {
  return environmentStackName(environment);
}

/**
 * One environment: the isolated network with its flow logs, the 8883-only firewall and the
 * broker, all from one environment file.
 */
export class IotEnvironmentStack extends TerraformStack {
  public readonly network: IsolatedIotNetwork;
  public readonly broker: IotCoreBroker;

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

    this.broker = this.buildBroker(env, id, props.pkiDir ?? defaultPkiDir());

    // The review rules run at synth: `cdktf synth` and `cdktf deploy` stop on an error finding.
    Aspects.of(this).add(ReviewAspect.forEnvironment(env, id, props.pkiDir));

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
      new TerraformOutput(this, "flow_log_group", {
        value: this.network.flowLogs.logGroupName,
        description: "CloudWatch log group of the VPC flow logs",
      });
    }
    if (this.network.flowLogs?.bucketName) {
      new TerraformOutput(this, "flow_log_bucket", {
        value: this.network.flowLogs.bucketName,
        description: "S3 bucket of the VPC flow logs (Parquet, hourly partitions)",
      });
    }
  }

  /** The broker, with the CA's public PEMs (committed or from the PKI store): never a key. */
  private buildBroker(env: EnvironmentConfig, id: string, pkiDir: string): IotCoreBroker {
    if (env.broker.certificateMode !== "DEFAULT" && !env.broker.sniOnlyReason) {
      throw new MoatError(
        `${env.file}: broker.sniOnlyReason is required with certificateMode SNI_ONLY; say in a sentence why no proof of CA key possession is acceptable`,
      );
    }
    const { caCertificatePem, verificationCertificatePem } = readCaMaterial(env, pkiDir);
    const broker = new IotCoreBroker(this, "broker", {
      name: id,
      region: env.region,
      vpcId: this.network.vpcId,
      endpointSubnetIds: this.network.endpointSubnets.map((s) => s.subnetId),
      deviceSubnets: this.network.deviceSubnets,
      topics: parseTopicModel(env.topics, env.file),
      caCertificatePem,
      verificationCertificatePem,
      sniOnlyReason: env.broker.sniOnlyReason,
      tlsPolicy: env.broker.tlsPolicy,
      customDomain: env.broker.customDomain,
      logging: {
        enabled: env.broker.accountLogging.enabled,
        level: env.broker.logLevel,
        disabledReason: env.broker.accountLogging.disabledReason,
      },
      alarmEmails: env.broker.alarmEmails,
      authFailureThreshold: env.broker.authFailureThreshold,
      // Devices get egress to the endpoint on 8883; rejected MQTT flows page the broker's alarm topic.
      network: this.network,
    });
    new TerraformOutput(this, "broker_endpoint", {
      value: broker.privateEndpointName,
      description: "MQTT endpoint devices connect to on TCP 8883 (resolves to the VPC endpoint inside the VPC)",
    });
    new TerraformOutput(this, "broker_vpc_endpoint_id", {
      value: broker.endpointId,
      description: "Interface VPC endpoint every IoT Connect must come through (aws:SourceVpce)",
    });
    new TerraformOutput(this, "broker_ca_certificate_id", {
      value: broker.caCertificateId,
      description: `Registered issuing CA (certificate mode ${broker.certificateMode}, just-in-time provisioning)`,
    });
    new TerraformOutput(this, "broker_connect_policy", {
      value: broker.connectPolicyName,
      description: "IoT policy attached to every device certificate by the provisioning template",
    });
    new TerraformOutput(this, "broker_class_policies", {
      value: Object.fromEntries(broker.classes.map((c) => [c.className, { thing_group: c.thingGroupName, policies: c.policyNames }])),
      description: "Per device class: its thing group and the topic policies attached to it",
    });
    new TerraformOutput(this, "broker_alarm_topic_arn", {
      value: broker.alarmTopicArn,
      description: "KMS-encrypted SNS topic of the IoT auth-failure alarms",
    });
    return broker;
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
