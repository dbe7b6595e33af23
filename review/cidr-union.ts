import { cidrOf } from "./cidr-value";
import { Value } from "./value";

/**
 * Whether CIDR blocks together cover every address: 0.0.0.0/1 with 128.0.0.0/1 is "everywhere"
 * as surely as 0.0.0.0/0 (and ::/1 with 8000::/1 for IPv6). Addresses are compared as BigInt
 * ranges so one mechanism serves both families.
 */

type Range = readonly [bigint, bigint];

const V4_LAST = (1n << 32n) - 1n;
const V6_LAST = (1n << 128n) - 1n;

/** An IPv4 CIDR as a range, or undefined when the value is not a literal one. */
function v4Range(value: Value | undefined): Range | undefined {
  const cidr = cidrOf(value);
  return cidr ? [BigInt(cidr.first), BigInt(cidr.last)] : undefined;
}

/** An IPv6 CIDR (`2001:db8::/32`, `::/1`) as a range, or undefined when it is not a literal one. */
export function v6Range(value: Value | undefined): Range | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(value.trim());
  if (!match || Number(match[2]) > 128) return undefined;
  const halves = match[1].split("::");
  if (halves.length > 2) return undefined;
  const words = (text: string) => (text === "" ? [] : text.split(":"));
  const head = words(halves[0]);
  const tail = halves.length === 2 ? words(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...Array<string>(missing).fill("0"), ...tail];
  if (!all.every((w) => /^[0-9a-fA-F]{1,4}$/.test(w))) return undefined;
  const address = all.reduce((acc, w) => (acc << 16n) | BigInt(parseInt(w, 16)), 0n);
  const prefix = BigInt(match[2]);
  const size = 1n << (128n - prefix);
  const first = address - (address % size);
  return [first, first + size - 1n];
}

function covers(ranges: readonly Range[], last: bigint): boolean {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let next = 0n;
  for (const [first, end] of sorted) {
    if (first > next) return false;
    if (end + 1n > next) next = end + 1n;
    if (next > last) return true;
  }
  return next > last;
}

/** True when the IPv4 CIDR values together cover every IPv4 address. */
export function coversAllV4(values: readonly (Value | undefined)[]): boolean {
  return covers(
    values.map(v4Range).filter((r) => r !== undefined),
    V4_LAST,
  );
}

/** True when the IPv6 CIDR values together cover every IPv6 address. */
export function coversAllV6(values: readonly (Value | undefined)[]): boolean {
  return covers(
    values.map(v6Range).filter((r) => r !== undefined),
    V6_LAST,
  );
}
