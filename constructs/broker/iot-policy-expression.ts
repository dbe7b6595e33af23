import { IotPolicyDocument } from "../../authz";

/** Where a literal `${` or `%{` starts in the JSON: everything but cdktf's own token markers. */
const LITERAL_TEMPLATE_START = /\$\{(?!TfToken\[)|%\{/g;

/**
 * The Terraform value of an IoT policy document: its JSON as a Terraform string template, so
 * deploy-time ids (account, endpoint) stay references and `moat review` can read the
 * statements. Every literal `${`/`%{` in it (the `${iot:...}` policy variables, and anything
 * else a topic or ARN might hold) is escaped as `$${`/`%%{`, which Terraform turns back into
 * the literal IoT Core expects; cdktf's tokens (`${TfToken[...]}`) stay interpolations.
 *
 * A template string rather than `Fn.jsonencode({...})`: cdktf resolves a string with a few
 * tokens in it, where a jsonencode argument is resolved value by value on every synthesis pass.
 */
export function iotPolicyExpression(document: IotPolicyDocument): string {
  return JSON.stringify(document).replace(LITERAL_TEMPLATE_START, (start) => start[0] + start);
}
