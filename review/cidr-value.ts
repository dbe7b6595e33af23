import { Cidr, cidrProblem, parseCidr } from "../config/cidr";
import { Value } from "./value";

/** An IPv4 CIDR value parsed, or undefined when the value is not a literal IPv4 CIDR. */
export function cidrOf(value: Value | undefined): Cidr | undefined {
  return typeof value === "string" && cidrProblem(value) === undefined ? parseCidr(value) : undefined;
}
