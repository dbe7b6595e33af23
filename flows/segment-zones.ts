import { Cidr, parseCidr } from "../core/cidr";

/** Where an address sits in an environment's address plan. */
export type Zone = "device" | "endpoint" | "vpc" | "office" | "outside";

/** The address plan `moat flows` judges records against (config `network`). */
export interface FlowAddressPlan {
  readonly vpcCidr: string;
  readonly deviceSubnets: readonly { readonly cidr: string }[];
  readonly endpointSubnets: readonly { readonly cidr: string }[];
  readonly officeCidrs: readonly string[];
}

/** Distinct addresses remembered before the cache starts over: a scan of many addresses must not grow memory. */
const CACHE_LIMIT = 65_536;

/**
 * Classifies addresses: which device or endpoint subnet, elsewhere in the VPC, an office range,
 * or outside (including any IPv6 address: the segment is IPv4 only). Lookups are cached because
 * a fleet's flows repeat the same few thousand addresses.
 */
export class SegmentZones {
  private readonly vpc: Cidr;
  private readonly subnets: { readonly cidr: Cidr; readonly zone: "device" | "endpoint" }[];
  private readonly offices: readonly Cidr[];
  private readonly cache = new Map<string, { zone: Zone; subnet?: string }>();

  constructor(plan: FlowAddressPlan) {
    this.vpc = parseCidr(plan.vpcCidr);
    this.subnets = [
      ...plan.deviceSubnets.map((s) => ({ cidr: parseCidr(s.cidr), zone: "device" as const })),
      ...plan.endpointSubnets.map((s) => ({ cidr: parseCidr(s.cidr), zone: "endpoint" as const })),
    ];
    this.offices = plan.officeCidrs.map(parseCidr);
  }

  /** The zone of an address, and the subnet CIDR for device and endpoint addresses. */
  public locate(address: string): { readonly zone: Zone; readonly subnet?: string } {
    let found = this.cache.get(address);
    if (found === undefined) {
      found = this.classify(address);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(address, found);
    }
    return found;
  }

  private classify(address: string): { zone: Zone; subnet?: string } {
    const value = ipv4(address);
    if (value === undefined) return { zone: "outside" };
    const within = (c: Cidr) => value >= c.first && value <= c.last;
    if (this.offices.some(within)) return { zone: "office" };
    if (!within(this.vpc)) return { zone: "outside" };
    const subnet = this.subnets.find((s) => within(s.cidr));
    return subnet ? { zone: subnet.zone, subnet: subnet.cidr.text } : { zone: "vpc" };
  }
}

/** A dotted IPv4 address as an unsigned integer, or undefined for anything else. */
function ipv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3) return undefined;
    const octet = Number(part);
    if (!Number.isInteger(octet) || octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}
