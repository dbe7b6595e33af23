import { Token } from "cdktf";
import { ValidationError } from "../../errors";
import { cidrProblem, parseCidr } from "../../core/cidr";

/** One source or destination of a security-group rule: a CIDR or another security group. */
export interface PeerTarget {
  readonly cidrIpv4?: string;
  readonly securityGroupId?: string;
  /** Short stable name, used in construct ids and rule descriptions. */
  readonly label: string;
}

/** A named subnet, as the network construct exposes them. */
export interface NamedCidr {
  readonly name: string;
  readonly cidr: string;
}

/**
 * The other side of a firewall rule. Made by the static factories only; none of them means
 * "anywhere": 0.0.0.0/0 and ::/0 are refused, so an open-to-the-world rule cannot be written.
 */
export abstract class Peer {
  /** One IPv4 block, which must not be the whole Internet. */
  public static ipv4(cidr: string, name?: string): Peer {
    return new CidrPeer([{ name: name ?? cidr, cidr }]);
  }

  /** Every block of a set of subnets: one rule per subnet, each described by its name. */
  public static subnets(subnets: readonly NamedCidr[]): Peer {
    if (subnets.length === 0) throw new ValidationError("Peer.subnets needs at least one subnet");
    return new CidrPeer(subnets);
  }

  /** Members of a security group (its id may be a token). */
  public static securityGroup(securityGroupId: string, name: string): Peer {
    return new SecurityGroupPeer(securityGroupId, name);
  }

  public abstract targets(): PeerTarget[];
  public abstract toString(): string;
}

class CidrPeer extends Peer {
  constructor(private readonly blocks: readonly NamedCidr[]) {
    super();
    for (const block of blocks) {
      if (Token.isUnresolved(block.cidr)) continue;
      const problem = cidrProblem(block.cidr);
      if (problem) throw new ValidationError(`peer ${block.name}: "${block.cidr}" ${problem}`);
      if (parseCidr(block.cidr).prefix === 0) {
        throw new ValidationError(`peer ${block.name}: "${block.cidr}" means the whole Internet; name the device subnets instead`);
      }
    }
  }

  public targets(): PeerTarget[] {
    return this.blocks.map((block) => ({ cidrIpv4: block.cidr, label: block.name }));
  }

  public toString(): string {
    return this.blocks.map((block) => block.name).join(", ");
  }
}

class SecurityGroupPeer extends Peer {
  constructor(
    private readonly securityGroupId: string,
    private readonly name: string,
  ) {
    super();
  }

  public targets(): PeerTarget[] {
    return [{ securityGroupId: this.securityGroupId, label: this.name }];
  }

  public toString(): string {
    return `security group ${this.name}`;
  }
}
