import { Construct } from "constructs";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Connections } from "./connections";

export interface IsolatedSecurityGroupProps {
  /** VPC the group belongs to. */
  readonly vpcId: string;
  /** What the group protects; AWS shows it in the console and it cannot change after creation. */
  readonly description: string;
  /** Name prefix of the group. @default the construct id */
  readonly namePrefix?: string;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * A security group that starts with no rules in either direction: Terraform removes the
 * allow-all egress rule AWS adds to new groups, so every flow must be opened through
 * `connections`.
 */
export class IsolatedSecurityGroup extends Construct {
  public readonly securityGroupId: string;
  public readonly connections: Connections;

  constructor(scope: Construct, id: string, props: IsolatedSecurityGroupProps) {
    super(scope, id);
    const group = new SecurityGroup(this, "group", {
      vpcId: props.vpcId,
      namePrefix: `${props.namePrefix ?? id}-`,
      description: props.description,
      // Rules live in their own resources; on delete, drop them first so the group can go.
      revokeRulesOnDelete: true,
      tags: { Name: props.namePrefix ?? id, ...props.tags },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = group.id;
    this.connections = new Connections(this, this.securityGroupId);
  }
}
