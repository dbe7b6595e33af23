import { Value } from "./value";

/**
 * Values as Terraform reads them for a typed attribute, not as the JSON spells them: Terraform
 * converts `"true"`/`"false"` to a bool and `"8883"` to a number before the provider sees them,
 * so a rule comparing with `=== true` would pass a `"true"`.
 */

/** A bool attribute: its value, undefined when unset, "unknown" when only apply time says. */
export function asBool(value: Value | undefined): boolean | "unknown" | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return "unknown";
}

/** A number attribute: its value, undefined when unset, "unknown" when it is not a literal number. */
export function asNumber(value: Value | undefined): number | "unknown" | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return "unknown";
}
