import { Construct } from "constructs";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Peer } from "./peer";
import { Port } from "./port";

/**
 * The rules of one security group, written as intent:
 * `endpoint.connections.allowFrom(Peer.subnets(deviceSubnets), Port.MQTT_TLS)`.
 * Each (peer, port) becomes its own rule resource with a description derived from the two,
 * so a plan shows exactly what was opened and why.
 */
export class Connections {
  constructor(
    private readonly scope: Construct,
    /** The security group these rules belong to. */
    public readonly securityGroupId: string,
  ) {}

  /** Allows inbound `port` from every target of `peer`. */
  public allowFrom(peer: Peer, port: Port, description?: string): void {
    this.addRules(VpcSecurityGroupIngressRule, "from", peer, port, description);
  }

  /** Allows outbound `port` to every target of `peer`. */
  public allowTo(peer: Peer, port: Port, description?: string): void {
    this.addRules(VpcSecurityGroupEgressRule, "to", peer, port, description);
  }

  private addRules(
    rule: typeof VpcSecurityGroupIngressRule | typeof VpcSecurityGroupEgressRule,
    direction: "from" | "to",
    peer: Peer,
    port: Port,
    description?: string,
  ): void {
    for (const target of peer.targets()) {
      new rule(this.scope, ruleId(direction, target.label, port), {
        securityGroupId: this.securityGroupId,
        ipProtocol: port.protocol,
        fromPort: port.fromPort,
        toPort: port.toPort,
        cidrIpv4: target.cidrIpv4,
        referencedSecurityGroupId: target.securityGroupId,
        description: description ?? `${port} ${direction} ${target.label}`,
      });
    }
  }
}

function ruleId(direction: "from" | "to", label: string, port: Port): string {
  return `${direction}-${label}-${port.protocol}-${port.fromPort}`.replace(/[^A-Za-z0-9-]/g, "-");
}
