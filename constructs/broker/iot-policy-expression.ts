import { Fn } from "cdktf";
import { IotPolicyDocument, THING_NAME_VARIABLE } from "../../authz";

/**
 * The Terraform value of an IoT policy document: `jsonencode({...})`, so deploy-time ids stay
 * references and `moat review` can read the statements. The `${iot:...}` policy variable is a
 * literal for IoT Core but an interpolation for Terraform: it goes in as `Fn.rawString`, which
 * cdktf writes escaped (`$${iot:...}`) without the escape-sequence warning it prints for a
 * plain `${` inside a function argument.
 */
export function iotPolicyExpression(document: IotPolicyDocument): string {
  const variable = Fn.rawString(THING_NAME_VARIABLE);
  const escape = (value: unknown): unknown => {
    if (typeof value === "string") return value.split(THING_NAME_VARIABLE).join(variable);
    if (Array.isArray(value)) return value.map(escape);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escape(v)]));
    return value;
  };
  return Fn.jsonencode(escape(document));
}
