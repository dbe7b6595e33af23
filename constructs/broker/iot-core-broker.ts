import { Construct } from "constructs";
import { Annotations, Token } from "cdktf";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IotPolicy } from "@cdktf/provider-aws/lib/iot-policy";
import { IotPolicyAttachment } from "@cdktf/provider-aws/lib/iot-policy-attachment";
import { IotThingGroup } from "@cdktf/provider-aws/lib/iot-thing-group";
import { compileIotPolicies, TopicModel } from "../../authz";
import { DEFAULT_IOT_TLS_POLICY, IotTlsPolicy } from "../../config/tls-policy";
import { ValidationError } from "../../errors";
import { IsolatedSecurityGroup, Peer, Port } from "../security";
import { AuthFailureAlarms } from "./auth-failure-alarms";
import { BrokerEndpoint, BrokerPlacement } from "./broker-endpoint";
import { BrokerLogging, IotLogLevel } from "./broker-logging";
import { CaRegistration } from "./ca-registration";
import { BrokerDomainConfiguration, IotCustomDomain } from "./domain-configuration";
import { iotPolicyExpression } from "./iot-policy-expression";
import { IotLogQueries } from "./iot-log-queries";
import { reasonProblem } from "../../core/reason";
import { REGION } from "../../core/names";

export type { IotTlsPolicy };
export type { IotCustomDomain } from "./domain-configuration";
export type { BrokerPlacement } from "./broker-endpoint";

/**
 * What the broker wires in the devices' network: an `IsolatedIotNetwork` fits as it is.
 */
export interface BrokerNetwork {
  /** The devices' group: the broker opens its egress to the endpoint on TCP 8883, and nothing else. */
  readonly deviceSecurityGroup: IsolatedSecurityGroup;
  /**
   * The network's flow logs: their rejected-MQTT alarm notifies the broker's alarm topic.
   * @default undefined: the network records no flow logs, so there is no alarm to wire
   */
  readonly flowLogs?: { addAlarmAction(topicArn: string): void };
}

/** Where the broker sits (`BrokerPlacement`), what it trusts and how it reports. */
export interface IotCoreBrokerProps extends BrokerPlacement {
  /** The validated topic model (authz `parseTopicModel`): one thing group and its policies per class. */
  readonly topics: TopicModel;
  /** The environment's issuing CA certificate, PUBLIC PEM only (`pkiPaths(dir, env).issuingCert`). */
  readonly caCertificatePem: string;
  /**
   * CA verification certificate (CN = the account's registration code, signed by the CA) for
   * certificate mode DEFAULT, written by `moat pki verification-cert`.
   * @default undefined: SNI_ONLY mode, which requires `sniOnlyReason`
   */
  readonly verificationCertificatePem?: string;
  /**
   * Why registering the CA without proof of possession (SNI_ONLY) is acceptable here.
   * @default undefined (a verification certificate is then required)
   */
  readonly sniOnlyReason?: string;
  /**
   * TLS security policy of the domain configuration.
   * @default "IoTSecurityPolicy_TLS13_1_2_2022_10" (TLS 1.3, and 1.2 for devices without it; the environment file's default too)
   */
  readonly tlsPolicy?: IotTlsPolicy;
  /**
   * Serve a domain you own (with your ACM certificate) instead of an AWS-managed one.
   * @default undefined: the broker's own DATA domain configuration on an AWS-managed domain
   */
  readonly customDomain?: IotCustomDomain;
  /**
   * IoT Core logging. It is account-wide: when another stack owns it, set `enabled: false` with a reason.
   * @default { enabled: true, level: "WARN" }
   */
  readonly logging?: {
    /**
     * Manage the account-wide IoT logging options from this stack.
     * @default true
     */
    readonly enabled?: boolean;
    /** @default "WARN" */
    readonly level?: IotLogLevel;
    /**
     * Why logging is managed elsewhere; required when `enabled` is false.
     * @default undefined
     */
    readonly disabledReason?: string;
  };
  /** @default [] */
  readonly alarmEmails?: readonly string[];
  /**
   * Auth failures per 5 minutes above which an alarm fires. Authorization alarms fire on one
   * period; the authentication alarm counts failures beyond just-in-time provisioning's refused
   * first connections in the same period and fires when they exceed this (docs/aws-iot.md).
   * @default 0 (any failure)
   */
  readonly authFailureThreshold?: number;
  /** @default "aws" for commercial regions, "aws-cn" and "aws-us-gov" from the region name */
  readonly partition?: string;
  /**
   * The devices' network (an `IsolatedIotNetwork`): its device security group gets egress to the
   * endpoint on TCP 8883 and its rejected-MQTT alarm notifies the broker's alarm topic. Without
   * it, open each device group with {@link IotCoreBroker.allowDevices}; synth warns while none is.
   * @default undefined
   */
  readonly network?: BrokerNetwork;
}

/**
 * AWS IoT Core as the fleet's broker, reachable only from the isolated segment: interface
 * endpoint + private DNS, the CA registered for mutual TLS with just-in-time provisioning,
 * per-class IoT policies compiled from the topic model (no wildcards; Connect only as the
 * certificate's own thing through this endpoint), logging and auth-failure alarms.
 */
export class IotCoreBroker extends Construct {
  /** Id of the interface VPC endpoint (the `aws:SourceVpce` every Connect requires). */
  public readonly endpointId: string;
  public readonly endpointSecurityGroup: IsolatedSecurityGroup;
  /** The name devices connect to (port 8883); resolves to the endpoint inside the VPC. */
  public readonly privateEndpointName: string;
  public readonly caCertificateId: string;
  public readonly certificateMode: "DEFAULT" | "SNI_ONLY";
  public readonly connectPolicyName: string;
  /** Per class: its thing group and topic policy names. */
  public readonly classes: ReadonlyArray<{
    readonly className: string;
    readonly thingGroupName: string;
    readonly policyNames: readonly string[];
  }>;
  public readonly alarmTopicArn: string;
  /** The broker's DATA domain configuration, which carries the TLS policy devices meet. */
  public readonly domainConfigurationName: string;

  constructor(scope: Construct, id: string, props: IotCoreBrokerProps) {
    super(scope, id);
    const tlsPolicy = props.tlsPolicy ?? DEFAULT_IOT_TLS_POLICY;
    const logging = { enabled: true, level: "WARN" as IotLogLevel, ...props.logging };
    const partition = props.partition ?? partitionOf(props.region);
    const threshold = props.authFailureThreshold ?? 0;
    // It prefixes IoT policy, thing group and IAM names: the narrowest of their character sets.
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(props.name)) {
      throw new ValidationError(
        `IotCoreBroker ${id}: name "${props.name}" must be 1-40 of A-Z a-z 0-9 _ - (it prefixes IoT policy and thing group names)`,
      );
    }
    if (!Token.isUnresolved(props.region) && !REGION.test(props.region)) {
      throw new ValidationError(`IotCoreBroker ${id}: region "${props.region}" is not an AWS region name such as eu-west-1`);
    }
    const loggingReason = logging.enabled ? undefined : reasonProblem(logging.disabledReason);
    if (loggingReason)
      throw new ValidationError(
        `IotCoreBroker ${id}: IoT logging is off and logging.disabledReason ${loggingReason}: which stack owns the account's IoT logging options`,
      );
    if (threshold < 0 || !Number.isInteger(threshold)) {
      throw new ValidationError(`IotCoreBroker ${id}: authFailureThreshold ${threshold} is not a whole number >= 0`);
    }
    if (props.deviceSubnets.length === 0 || props.endpointSubnetIds.length === 0) {
      throw new ValidationError(`IotCoreBroker ${id}: needs at least one device subnet and one endpoint subnet`);
    }

    // One reference token, reused: cdktf records a stack trace for every token it makes.
    const accountId = new DataAwsCallerIdentity(this, "account").accountId;

    // Devices dial this configuration's name (its SNI picks it), so its TLS policy is in the plan.
    const domain = new BrokerDomainConfiguration(this, "domain", {
      name: props.name,
      tlsPolicy,
      customDomain: props.customDomain,
      tags: props.tags,
    });
    this.domainConfigurationName = domain.configurationName;
    this.privateEndpointName = domain.domainName;

    const endpoint = new BrokerEndpoint(this, "endpoint", {
      name: props.name,
      region: props.region,
      vpcId: props.vpcId,
      endpointSubnetIds: props.endpointSubnetIds,
      deviceSubnets: props.deviceSubnets,
      dnsName: this.privateEndpointName,
      tags: props.tags,
    });
    this.endpointId = endpoint.endpointId;
    this.endpointSecurityGroup = endpoint.securityGroup;

    const compiled = compileIotPolicies(props.topics, {
      partition,
      region: props.region,
      accountId,
      sourceVpceId: endpoint.endpointId,
    });

    this.connectPolicyName = `${props.name}-connect`;
    const connectPolicy = new IotPolicy(this, "connect-policy", {
      name: this.connectPolicyName,
      policy: iotPolicyExpression(compiled.connect),
      tags: props.tags,
    });

    const groups: IotThingGroup[] = [];
    this.classes = compiled.classes.map(({ className, documents }) => {
      const thingGroupName = `${props.name}-${className}`;
      const group = new IotThingGroup(this, `class-${className}`, {
        name: thingGroupName,
        properties: { description: `moat device class ${className}: its topic policies are attached here` },
        tags: props.tags,
      });
      const policyNames = documents.map((document, i) => {
        const policyName = `${props.name}-${className}-${i}`;
        const policy = new IotPolicy(this, `class-${className}-policy-${i}`, {
          name: policyName,
          policy: iotPolicyExpression(document),
          tags: props.tags,
        });
        new IotPolicyAttachment(this, `class-${className}-attachment-${i}`, { policy: policy.name, target: group.arn });
        return policyName;
      });
      groups.push(group);
      return { className, thingGroupName, policyNames };
    });

    const registration = new CaRegistration(this, "ca", {
      name: props.name,
      partition,
      accountId,
      caCertificatePem: props.caCertificatePem,
      verificationCertificatePem: props.verificationCertificatePem,
      sniOnlyReason: props.sniOnlyReason,
      template: {
        connectPolicyName: this.connectPolicyName,
        thingGroup: this.classes.length === 1 ? { fixed: this.classes[0].thingGroupName } : { prefix: `${props.name}-` },
      },
      tags: props.tags,
    });
    // The template names the policy and groups as strings: they must exist before devices arrive.
    registration.node.addDependency(connectPolicy, ...groups);
    this.caCertificateId = registration.caCertificateId;
    this.certificateMode = registration.certificateMode;

    if (logging.enabled) {
      new BrokerLogging(this, "logging", {
        name: props.name,
        logsArnPrefix: `arn:${partition}:logs:${props.region}:${accountId}`,
        accountId,
        level: logging.level,
        tags: props.tags,
      });
      new IotLogQueries(this, "log-queries", { name: props.name });
    }

    const alarms = new AuthFailureAlarms(this, "alarms", {
      name: props.name,
      accountId,
      partition,
      emails: props.alarmEmails ?? [],
      threshold,
      tags: props.tags,
    });
    this.alarmTopicArn = alarms.topicArn;

    if (props.network) {
      this.allowDevices(props.network.deviceSecurityGroup);
      props.network.flowLogs?.addAlarmAction(this.alarmTopicArn);
    }
    // Security groups deny by default: a fleet whose group has no egress to the endpoint is dead.
    this.node.addValidation({
      validate: () => {
        if (!this.devicesAllowed && !this.warnedNoDevices) {
          this.warnedNoDevices = true;
          Annotations.of(this).addWarning(
            `IotCoreBroker ${id}: no device security group can reach the endpoint; pass network (your IsolatedIotNetwork) or call allowDevices(group)`,
          );
        }
        return [];
      },
    });
  }

  private devicesAllowed = false;
  private warnedNoDevices = false;

  /** Lets the members of a device security group open MQTT over TLS (TCP 8883) to the broker's endpoint: their only egress. */
  public allowDevices(group: IsolatedSecurityGroup): void {
    group.connections.allowTo(Peer.securityGroup(this.endpointSecurityGroup.securityGroupId, "broker-endpoint"), Port.MQTT_TLS);
    this.devicesAllowed = true;
  }
}

function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
