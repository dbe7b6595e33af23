/**
 * The IoT policy document a synthesized policy value hands to IoT Core, read back for
 * assertions. The value is a Terraform string template holding JSON: interpolations
 * (`${data.aws_caller_identity.x.account_id}`) stay as written, and Terraform's `$${` and `%%{`
 * escapes become the literal `${` and `%{`. Throws when the value is not JSON once unescaped,
 * or when an IoT policy variable or a `%{` is left unescaped (Terraform would read it as an
 * interpolation or a directive and fail at plan).
 */
export function readPolicyExpression(value: string): { Statement: Array<Record<string, unknown>> } {
  const unescaped = /(^|[^$])\$\{iot:|(^|[^%])%\{/.exec(value);
  if (unescaped)
    throw new Error(
      `template syntax not escaped for Terraform at ${unescaped.index}: ${value.slice(unescaped.index, unescaped.index + 40)}`,
    );
  return JSON.parse(value.split("$${").join("${").split("%%{").join("%{"));
}
