import { Construct } from "constructs";
import { ValidationError } from "../../errors";
import { Token } from "cdktf";
import { DefaultNetworkAcl } from "@cdktf/provider-aws/lib/default-network-acl";
import { DefaultRouteTable } from "@cdktf/provider-aws/lib/default-route-table";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { NetworkAcl } from "@cdktf/provider-aws/lib/network-acl";
import { NetworkAclRule } from "@cdktf/provider-aws/lib/network-acl-rule";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { IsolatedSecurityGroup } from "../security/isolated-security-group";
import { Port } from "../security/port";
import { ROLE_TAG, Role } from "../../core/tags";
import { addressPlanIssues } from "../../core/address-plan";
import { FlowLogs, FlowLogSettings } from "./flow-logs";
import { reasonProblem } from "../../core/reason";

/** A subnet to create: its zone and block. */
export interface SubnetSpec {
  readonly az: string;
  readonly cidr: string;
}

/** A created subnet. `name` and `cidr` make it usable as `Peer.subnets([...])`. */
export interface NetworkSubnet {
  readonly name: string;
  readonly az: string;
  readonly cidr: string;
  readonly subnetId: string;
}

/** The tag key that marks a subnet's role; `moat review` reads it to find device subnets. */
export const SUBNET_ROLE_TAG = ROLE_TAG;
export type SubnetRole = (typeof Role)[keyof typeof Role];

/** Flow logs are on by default; turning them off needs a reason that lands in the code review. */
export interface FlowLogsDisabled {
  readonly disabled: true;
  /** Why this VPC's traffic need not be recorded (at least a sentence). */
  readonly disabledReason: string;
}

export interface IsolatedIotNetworkProps {
  /** Private (RFC 1918) IPv4 block of the VPC. */
  readonly vpcCidr: string;
  /** Subnets for devices or their gateways, one per zone at least. */
  readonly deviceSubnets: readonly SubnetSpec[];
  /** Subnets for the broker's interface endpoint, one per zone at least. */
  readonly endpointSubnets: readonly SubnetSpec[];
  /** Networks that must never be reached: denied first in every network ACL. @default [] */
  readonly officeCidrs?: readonly string[];
  /** Prefix for resource names. @default the construct id */
  readonly name?: string;
  /** Flow-log settings (the VPC id, name and address plan are filled in), or an explicit opt-out. @default CloudWatch Logs, 365 days */
  readonly flowLogs?: FlowLogSettings | FlowLogsDisabled;
}

const OFFICE_DENY_BASE = 100;
const ALLOW_BASE = 200;

/**
 * An IoT network segment with no way out: a VPC with DNS, private device and endpoint subnets
 * across zones, no internet/NAT/egress-only gateway, no public IPs, route tables with the local
 * route only, the default security group, route table and network ACL locked empty, and network
 * ACLs that pass only MQTT over TLS between device and endpoint subnets (denying office networks
 * first). Security groups are opened by the broker through `deviceSecurityGroup.connections`.
 */
export class IsolatedIotNetwork extends Construct {
  public readonly vpcId: string;
  public readonly vpcCidr: string;
  public readonly deviceSubnets: readonly NetworkSubnet[];
  public readonly endpointSubnets: readonly NetworkSubnet[];
  /** Attach to device ENIs (or gateways). No rule at first; the broker opens egress to its endpoint on 8883. */
  public readonly deviceSecurityGroup: IsolatedSecurityGroup;
  /** Undefined only when flow logs were disabled with a reason. */
  public readonly flowLogs?: FlowLogs;

  constructor(scope: Construct, id: string, props: IsolatedIotNetworkProps) {
    super(scope, id);
    const name = props.name ?? id;
    const officeCidrs = props.officeCidrs ?? [];
    validateAddressPlan(props, officeCidrs);

    const vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      // The broker endpoint's private hosted zone needs both.
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: name },
    });
    // One reference token, reused: cdktf records a stack trace for every token it makes.
    this.vpcId = vpc.id;
    this.vpcCidr = props.vpcCidr;

    // Adopting the defaults strips their rules and routes, so nothing can fall back on them.
    new DefaultSecurityGroup(this, "default-security-group", {
      vpcId: this.vpcId,
      ingress: [],
      egress: [],
      tags: { Name: `${name}-default-locked` },
    });
    new DefaultNetworkAcl(this, "default-network-acl", {
      defaultNetworkAclId: vpc.defaultNetworkAclId,
      tags: { Name: `${name}-default-deny-all` },
    });
    new DefaultRouteTable(this, "default-route-table", {
      defaultRouteTableId: vpc.defaultRouteTableId,
      route: [],
      tags: { Name: `${name}-default-local-only` },
    });

    this.deviceSubnets = this.subnetTier(name, "device", props.deviceSubnets);
    this.endpointSubnets = this.subnetTier(name, "endpoint", props.endpointSubnets);

    // Stateless ACLs: MQTT over TLS one way, ephemeral return ports the other.
    this.networkAcl(name, "device", this.deviceSubnets, officeCidrs, {
      egress: this.endpointSubnets.map((s) => ({ peer: s, port: Port.MQTT_TLS })),
      ingress: this.endpointSubnets.map((s) => ({ peer: s, port: Port.EPHEMERAL_TCP })),
    });
    this.networkAcl(name, "endpoint", this.endpointSubnets, officeCidrs, {
      ingress: this.deviceSubnets.map((s) => ({ peer: s, port: Port.MQTT_TLS })),
      egress: this.deviceSubnets.map((s) => ({ peer: s, port: Port.EPHEMERAL_TCP })),
    });

    this.deviceSecurityGroup = new IsolatedSecurityGroup(this, "devices", {
      vpcId: this.vpcId,
      namePrefix: `${name}-devices`,
      description: "IoT devices: egress only to the broker endpoint on TCP 8883",
    });

    const flowLogs = props.flowLogs ?? {};
    if ("disabled" in flowLogs) {
      // Plain JavaScript callers get no type error for the old key, so it is caught here.
      if ("reason" in flowLogs)
        throw new ValidationError(`flow logs of ${name}: flowLogs.reason was renamed; call it flowLogs.disabledReason`);
      const problem = reasonProblem(flowLogs.disabledReason);
      if (problem)
        throw new ValidationError(
          `flow logs of ${name} are disabled and flowLogs.disabledReason ${problem}: where connections are recorded instead`,
        );
    } else {
      const addressPlan = {
        vpcCidr: props.vpcCidr,
        deviceSubnets: props.deviceSubnets,
        endpointSubnets: props.endpointSubnets,
        officeCidrs,
      };
      this.flowLogs = new FlowLogs(this, "flow-logs", { ...flowLogs, vpcId: this.vpcId, name, addressPlan });
    }
  }

  private subnetTier(name: string, role: SubnetRole, specs: readonly SubnetSpec[]): NetworkSubnet[] {
    const tableId = new RouteTable(this, `${role}-routes`, { vpcId: this.vpcId, tags: { Name: `${name}-${role}-local-only` } }).id;
    return specs.map((spec, index) => {
      const subnetName = `${name}-${role}-${spec.az}${countSuffix(specs, spec, index)}`;
      const subnet = new Subnet(this, `${role}-subnet-${index}`, {
        vpcId: this.vpcId,
        cidrBlock: spec.cidr,
        availabilityZone: spec.az,
        mapPublicIpOnLaunch: false,
        tags: { Name: subnetName, [SUBNET_ROLE_TAG]: role },
      });
      const subnetId = subnet.id;
      new RouteTableAssociation(this, `${role}-subnet-${index}-routes`, { subnetId, routeTableId: tableId });
      return { name: subnetName, az: spec.az, cidr: spec.cidr, subnetId };
    });
  }

  private networkAcl(
    name: string,
    role: SubnetRole,
    subnets: readonly NetworkSubnet[],
    officeCidrs: readonly string[],
    allows: Record<"ingress" | "egress", { peer: NetworkSubnet; port: Port }[]>,
  ): void {
    const networkAclId = new NetworkAcl(this, `${role}-acl`, {
      vpcId: this.vpcId,
      subnetIds: subnets.map((s) => s.subnetId),
      tags: { Name: `${name}-${role}-acl` },
    }).id;
    for (const direction of ["ingress", "egress"] as const) {
      const egress = direction === "egress";
      officeCidrs.forEach((cidr, index) => {
        new NetworkAclRule(this, `${role}-acl-${direction}-deny-office-${index}`, {
          networkAclId,
          egress,
          ruleNumber: OFFICE_DENY_BASE + index,
          ruleAction: "deny",
          protocol: "-1",
          cidrBlock: cidr,
        });
      });
      allows[direction].forEach(({ peer, port }, index) => {
        new NetworkAclRule(this, `${role}-acl-${direction}-allow-${index}`, {
          networkAclId,
          egress,
          ruleNumber: ALLOW_BASE + index,
          ruleAction: "allow",
          protocol: port.protocolNumber,
          cidrBlock: peer.cidr,
          fromPort: port.fromPort,
          toPort: port.toPort,
        });
      });
    }
  }
}

function countSuffix(specs: readonly SubnetSpec[], spec: SubnetSpec, index: number): string {
  const sameZone = specs.filter((s) => s.az === spec.az);
  return sameZone.length > 1 ? `-${sameZone.indexOf(specs[index]) + 1}` : "";
}

/** Construct-level guard for callers that do not go through the environment loader. */
function validateAddressPlan(props: IsolatedIotNetworkProps, officeCidrs: readonly string[]): void {
  const plan = { ...props, officeCidrs };
  const all = [plan.vpcCidr, ...plan.deviceSubnets.map((s) => s.cidr), ...plan.endpointSubnets.map((s) => s.cidr), ...officeCidrs];
  // Values known only at deploy time are skipped, not guessed.
  if (all.some((c) => Token.isUnresolved(c))) return;
  if (plan.deviceSubnets.length === 0 || plan.endpointSubnets.length === 0) {
    throw new ValidationError("an isolated IoT network needs at least one device subnet and one endpoint subnet");
  }
  const issues = addressPlanIssues(plan);
  if (issues.length > 0) throw new ValidationError(issues.map((i) => `${i.path} ${i.message}`).join("; "));
}
