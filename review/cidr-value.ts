import { Cidr, cidrProblem, parseCidr } from "../core/cidr";
import { Value } from "./value";

// Rules ask about the same few CIDRs thousands of times in a large stack.
const parsed = new Map<string, Cidr | undefined>();

/** An IPv4 CIDR value parsed, or undefined when the value is not a literal IPv4 CIDR. */
export function cidrOf(value: Value | undefined): Cidr | undefined {
  if (typeof value !== "string") return undefined;
  if (!parsed.has(value)) parsed.set(value, cidrProblem(value) === undefined ? parseCidr(value) : undefined);
  return parsed.get(value);
}
