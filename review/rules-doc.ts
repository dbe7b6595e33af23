import { MOAT_PACK } from "./pack";
import { RuleDefinition } from "./rule";

/** Where docs/rules.md comes from; the staleness test and the writer share it. */
export const RULES_DOC_PATH = "docs/rules.md";
export const RULES_DOC_COMMAND = "npm run rules-doc";

/** Public scanners name their checks in recognisable shapes; a reader wants to know which tool a check id belongs to. */
const TOOLS: readonly { readonly name: string; readonly id: RegExp }[] = [
  { name: "checkov", id: /^CKV2?_AWS_\d+$/ },
  { name: "trivy", id: /^AWS-\d{4}$/ },
  { name: "AWS Security Hub", id: /^[A-Za-z0-9]+\.\d+$/ },
  { name: "AWS IoT Device Defender audit", id: /^[A-Z_]+_CHECK$/ },
];

const INTRO = `# Review rules

<!-- Generated from review/pack.ts by \`${RULES_DOC_COMMAND}\`. Do not edit: a test fails when this file is stale. -->

\`moat review\` (and the review that runs when cdktf synthesizes a moat stack) applies these rules to a
synthesized \`cdk.tf.json\` or a \`terraform show -json\` plan. A rule reports a violation, or
**unknown** where the file does not say (a value known only at apply time): unknown is never a pass,
it is reported with the rule's severity. A rule that throws is reported as a finding of the stack with
the rule's severity, never skipped.

- **error**: an unsuppressed finding (violation or unknown) makes \`moat review\` exit 1 and stops
  \`cdktf synth\`.
- **warn**: reported; does not change the exit code.

A finding is accepted only by a suppression with the rule id, the resource's Terraform address and a
reason of at least a sentence (\`review.suppressions\` in the environment file, or \`--suppressions FILE\`);
a suppression that names an unknown rule or matches nothing is itself an error, and every report
lists the suppressions in force.

## What every rule relies on

- Every VPC in a reviewed stack is the IoT segment.
- The broker side is the security group(s) on the \`com.amazonaws.<region>.iot.data\` interface
  endpoint, however attached (\`security_group_ids\`, \`aws_vpc_endpoint_security_group_association\`,
  \`aws_network_interface_sg_attachment\` to the endpoint's network interface), and on any Amazon MQ
  broker. Every other security group of the segment is device-side.
- Device subnets carry the tag \`moat:role=device\`, endpoint subnets \`moat:role=endpoint\`.
- What the file cannot say comes from the environment (\`environments/<env>.yaml\` for a stack named
  \`iot-<env>\`, or \`--env E\`): office CIDRs, device subnet CIDRs, the flow-log retention minimum.

The review's closed-world contract (which resources and blocks it refuses to guess about) is in
[review-closed-world.md](review-closed-world.md); what the identity and permission rules cannot see is
in [review-identity.md](review-identity.md).

"Other tools" names the equivalent check in checkov, trivy, AWS Security Hub and the
[AWS IoT Device Defender audit](https://docs.aws.amazon.com/iot-device-defender/latest/devguide/device-defender-audit-checks.html).
Public scanners have none for MQTT's port 8883 or for IoT policies, which is why most of these rules exist.
`;

/** Markdown that renders as the text says: no stray emphasis, HTML tags or table cells; code spans stay as written. */
function inline(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith("`") ? part : part.replace(/[\\*<>|]/g, (c) => `\\${c}`)))
    .join("");
}

function toolOf(check: string): string {
  return TOOLS.find((tool) => tool.id.test(check))?.name ?? "other";
}

function otherTools(rule: RuleDefinition): string {
  if (rule.matches.length === 0) return "none";
  const byTool = new Map<string, string[]>();
  for (const check of rule.matches) byTool.set(toolOf(check), [...(byTool.get(toolOf(check)) ?? []), `\`${check}\``]);
  return [...byTool].map(([tool, checks]) => `${tool} ${checks.join(", ")}`).join("; ");
}

function section(rule: RuleDefinition): string[] {
  const lines = [
    `## ${rule.id}`,
    "",
    `**${inline(rule.title)}** (${rule.severity})`,
    "",
    `- Why: ${inline(rule.why)}`,
    `- Fix: ${inline(rule.fix)}`,
  ];
  if (rule.assumes !== undefined) lines.push(`- Assumes, and cannot see: ${inline(rule.assumes)}`);
  lines.push(`- Other tools: ${otherTools(rule)}`, "");
  return lines;
}

/** docs/rules.md as the pack says it should read. */
export function rulesDocText(pack: readonly RuleDefinition[] = MOAT_PACK): string {
  const index = ["| rule | severity | what must hold | other tools |", "|---|---|---|---|"];
  for (const rule of pack)
    index.push(`| [${rule.id}](#${rule.id.toLowerCase()}) | ${rule.severity} | ${inline(rule.title)} | ${otherTools(rule)} |`);
  return [INTRO, ...index, "", ...pack.flatMap(section)].join("\n");
}
