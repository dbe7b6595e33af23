import { Finding, findingKey } from "../finding";
import { ReviewDiff } from "../diff";
import { displayPath, findingText, ReportInput } from "./report-input";

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** SARIF 2.1.0 for code scanning: rule metadata in the driver, one result per finding. */
export function renderSarif({ result, diff }: ReportInput): string {
  const ruleIndex = new Map(result.pack.map((r, i) => [r.id, i]));
  const baseline = diff ? baselineStates(diff) : undefined;
  const results = result.stacks
    .flatMap((s) => s.findings)
    .map((f) => ({
      ruleId: f.rule,
      ruleIndex: ruleIndex.get(f.rule),
      level: f.severity === "error" ? "error" : "warning",
      kind: "fail",
      message: { text: `${f.resource}: ${findingText(f)}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: displayPath(f.location.file) },
            ...(f.location.line ? { region: { startLine: f.location.line } } : {}),
          },
          logicalLocations: [{ fullyQualifiedName: `${f.stack}/${f.resource}`, name: f.resource, kind: "resource" }],
        },
      ],
      partialFingerprints: { "moatFinding/v1": findingKey(f).replace(/\u0001/g, "|") },
      properties: { stack: f.stack, status: f.status, ...(f.location.constructPath ? { constructPath: f.location.constructPath } : {}) },
      ...(baseline ? { baselineState: baseline.get(findingKey(f)) ?? "new" } : {}),
      ...(f.suppression
        ? { suppressions: [{ kind: "external", status: "accepted", justification: `${f.suppression.reason} (${f.suppression.source})` }] }
        : {}),
    }));
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "moat-review",
            rules: result.pack.map((r) => ({
              id: r.id,
              name: r.id.replace(/-/g, ""),
              shortDescription: { text: r.title },
              fullDescription: { text: r.why },
              help: {
                text: `${r.why} Fix: ${r.fix}`,
                markdown: `**${r.title}**\n\n${r.why}\n\n**Fix:** ${r.fix}${r.matches.length ? `\n\nMatches: ${r.matches.join(", ")}` : ""}`,
              },
              defaultConfiguration: { level: r.severity === "error" ? "error" : "warning" },
              properties: { tags: ["security", ...r.matches], precision: "high" },
            })),
          },
        },
        results,
        ...(diff ? { properties: { fixed: diff.fixedFindings.map((f: Finding) => `${f.rule} ${f.stack}/${f.resource}`) } } : {}),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + "\n";
}

function baselineStates(diff: ReviewDiff): Map<string, "new" | "unchanged"> {
  const states = new Map<string, "new" | "unchanged">();
  diff.newFindings.forEach((f) => states.set(findingKey(f), "new"));
  diff.unchangedFindings.forEach((f) => states.set(findingKey(f), "unchanged"));
  return states;
}
