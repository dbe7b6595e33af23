/**
 * A string Terraform must take literally. Terraform reads `${` and `%{` in any JSON string as
 * interpolation and template directives, so IoT policy variables such as
 * `${iot:Connection.Thing.ThingName}` must be written `$${...}`. cdktf tokens are substituted
 * AFTER escaping (`values`), so deploy-time references stay live.
 */
export function terraformLiteral(text: string, values: Readonly<Record<string, string>> = {}): string {
  let escaped = text.split("${").join("$${").split("%{").join("%%{");
  for (const [placeholder, value] of Object.entries(values)) escaped = escaped.split(placeholder).join(value);
  return escaped;
}
