/**
 * The IoT policy document a synthesized `${jsonencode({...})}` value hands to IoT Core, read
 * back for assertions: HCL object syntax (`"key" = value`) as cdktf writes it becomes JSON,
 * bare references become `"${ref}"` strings, and Terraform's `$${` escape becomes the literal `${`.
 */
export function readPolicyExpression(value: string): { Statement: Array<Record<string, unknown>> } {
  const match = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(value);
  if (!match) throw new Error(`not a jsonencode expression: ${value.slice(0, 80)}`);
  const json = match[1]
    .replace(/("(?:[^"\\]|\\.)*") = /g, "$1: ")
    .replace(/([:[,]\s*)((?:data\.)?aws_[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+)(?=\s*[,}\]])/g, '$1"$${$2}"')
    .split("$${")
    .join("${");
  return JSON.parse(json);
}
