import { IotPolicyDocument, THING_NAME_VARIABLE } from "../../authz";

/**
 * The Terraform value of an IoT policy document: its JSON as a Terraform string template, so
 * deploy-time ids (account, endpoint) stay references and `moat review` can read the
 * statements. The `${iot:...}` policy variable is a literal for IoT Core but would be an
 * interpolation for Terraform, so it is written escaped, `$${iot:...}`.
 *
 * A template string rather than `Fn.jsonencode({...})`: cdktf resolves a string with a few
 * tokens in it, where a jsonencode argument is resolved value by value on every synthesis pass.
 */
export function iotPolicyExpression(document: IotPolicyDocument): string {
  return JSON.stringify(document).split(THING_NAME_VARIABLE).join(`$${THING_NAME_VARIABLE}`);
}
