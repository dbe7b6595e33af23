/** IPv4 CIDR blocks, parsed once and compared as integer ranges. */
export interface Cidr {
  readonly text: string;
  /** First address as an unsigned 32-bit integer. */
  readonly first: number;
  /** Last address, inclusive. */
  readonly last: number;
  readonly prefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Why `text` is not a usable IPv4 CIDR block, or undefined when it is one. */
export function cidrProblem(text: string): string | undefined {
  const match = CIDR.exec(text);
  if (!match) return "is not a CIDR (expected a.b.c.d/n)";
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255)) return "is not a CIDR (each address part must be 0-255)";
  if (prefix > 32) return "is not a CIDR (the prefix must be 0-32)";
  const address = toInt(octets);
  const network = prefix === 0 ? 0 : (address & (~0 << (32 - prefix))) >>> 0;
  if (network !== address) return `has host bits set; the network is ${fromInt(network)}/${prefix}`;
  return undefined;
}

/** Parses a CIDR already checked with {@link cidrProblem}. */
export function parseCidr(text: string): Cidr {
  const problem = cidrProblem(text);
  if (problem) throw new Error(`${text} ${problem}`);
  const [address, prefixText] = text.split("/");
  const prefix = Number(prefixText);
  const first = toInt(address.split(".").map(Number));
  const size = 2 ** (32 - prefix);
  return { text, first, last: first + size - 1, prefix };
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map(parseCidr);

/** RFC 1918: the only ranges an isolated segment may use. */
export function isPrivate(cidr: Cidr): boolean {
  return PRIVATE_RANGES.some((range) => contains(range, cidr));
}

function toInt(octets: number[]): number {
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

function fromInt(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}
