import { Construct } from "constructs";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { IsolatedSecurityGroup, NamedCidr, Peer, Port } from "../security";

/** Where the broker sits: what `IotCoreBroker` and its endpoint both take. */
export interface BrokerPlacement {
  /** Prefix of every resource name, e.g. `iot-prod`. */
  readonly name: string;
  /** Region of the broker (a literal, not a token: it names the endpoint service). */
  readonly region: string;
  /** The VPC of the isolated segment. */
  readonly vpcId: string;
  /** Subnets the endpoint's network interfaces are placed in (one per availability zone). */
  readonly endpointSubnetIds: readonly string[];
  /** The only sources allowed to reach the endpoint, on TCP 8883. */
  readonly deviceSubnets: readonly NamedCidr[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

export interface BrokerEndpointProps extends BrokerPlacement {
  /** The name devices connect to: the broker's DATA domain configuration (AWS-managed or custom domain). */
  readonly dnsName: string;
}

/**
 * The interface VPC endpoint for the IoT Core data plane, reachable only on TCP 8883 from the
 * device subnets, and the private DNS that sends devices to it. The iot.data endpoint does not
 * support AWS-managed private DNS, so a private hosted zone on the VPC answers for `dnsName`
 * with an alias to the endpoint's regional name, which holds every endpoint network interface
 * (AWS IoT "Using AWS IoT Core with interface VPC endpoints": records per interface; one alias
 * covers them all). Only `dnsName` resolves here: the account's `iot:Data-ATS` name does not.
 */
export class BrokerEndpoint extends Construct {
  public readonly endpointId: string;
  public readonly securityGroup: IsolatedSecurityGroup;
  public readonly hostedZoneId: string;

  constructor(scope: Construct, id: string, props: BrokerEndpointProps) {
    super(scope, id);
    this.securityGroup = new IsolatedSecurityGroup(this, "security-group", {
      vpcId: props.vpcId,
      namePrefix: `${props.name}-broker-endpoint`,
      description: "IoT Core data endpoint: MQTT over TLS from the device subnets only",
      tags: props.tags,
    });
    this.securityGroup.connections.allowFrom(Peer.subnets(props.deviceSubnets), Port.MQTT_TLS);

    const endpoint = new VpcEndpoint(this, "endpoint", {
      vpcId: props.vpcId,
      serviceName: `com.amazonaws.${props.region}.iot.data`,
      vpcEndpointType: "Interface",
      subnetIds: [...props.endpointSubnetIds],
      securityGroupIds: [this.securityGroup.securityGroupId],
      // Not supported for iot.data: the hosted zone below does the job.
      privateDnsEnabled: false,
      tags: { Name: `${props.name}-iot-data`, ...props.tags },
    });
    this.endpointId = endpoint.id;

    const zone = new Route53Zone(this, "zone", {
      name: props.dnsName,
      comment: "IoT Core data endpoint, answered inside the IoT VPC by its interface endpoint",
      vpc: [{ vpcId: props.vpcId }],
      tags: props.tags,
    });
    this.hostedZoneId = zone.zoneId;
    new Route53Record(this, "record", {
      zoneId: this.hostedZoneId,
      name: props.dnsName,
      type: "A",
      alias: {
        name: endpoint.dnsEntry.get(0).dnsName,
        zoneId: endpoint.dnsEntry.get(0).hostedZoneId,
        evaluateTargetHealth: true,
      },
    });
  }
}
