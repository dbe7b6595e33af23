import { isBlocking } from "../finding";
import { attributeChangeText, displayPath, findingText, ordered, ReportInput, summaryLine, where } from "./report-input";

/** The terminal report: one line per finding, suppressions and base comparison after. */
export function renderText(input: ReportInput): string {
  const { result, diff } = input;
  const lines: string[] = [];
  for (const { model, findings } of result.stacks) {
    lines.push(`${model.stack}  (${displayPath(model.file)}, ${model.resources.length} resources)`);
    if (findings.length === 0) lines.push("  no findings");
    for (const f of ordered(findings)) {
      const label = f.suppression ? "suppressed" : isBlocking(f) ? "ERROR" : f.severity === "error" ? "error" : "warn";
      lines.push(`  ${label.padEnd(10)} ${f.rule.padEnd(8)} ${f.resource}: ${findingText(f)}  [${where(f)}]`);
    }
    lines.push("");
  }
  if (result.suppressions.length > 0) {
    lines.push("Suppressions:");
    for (const { suppression: s, matched } of result.suppressions) {
      lines.push(
        `  ${s.rule} on ${s.resource ?? "every resource"} (${s.source}, ${matched} finding${matched === 1 ? "" : "s"}): ${s.reason}`,
      );
    }
    lines.push("");
  }
  if (diff) {
    lines.push("Compared with base:");
    for (const s of diff.stacks) {
      if (s.presence === "base-only") {
        lines.push(`  ${s.stack}: only in base (${s.removed.length} resources): a removed stack, or one not reviewed here`);
        continue;
      }
      lines.push(
        `  ${s.stack}: ${s.presence === "head-only" ? "new stack, " : ""}${s.added.length} added, ${s.removed.length} removed, ${s.changed.length} changed resources`,
      );
      const opens = new Map(s.opened.map((o) => [o.address, o.opens]));
      s.added.forEach((a) => lines.push(`    + ${a}${opens.has(a) ? `  opens ${opens.get(a)!.join("; ")}` : ""}`));
      s.removed.forEach((a) => lines.push(`    - ${a}`));
      for (const change of s.changes) {
        lines.push(`    ~ ${change.address}`);
        change.attributes.forEach((a) => lines.push(`        ${attributeChangeText(a)}`));
      }
    }
    for (const [label, list] of [
      ["new", diff.newFindings],
      ["fixed", diff.fixedFindings],
    ] as const) {
      list.forEach((f) => lines.push(`  ${label} ${f.rule} ${f.stack} ${f.resource}: ${findingText(f)}`));
    }
    lines.push("");
  }
  lines.push(summaryLine(input));
  return lines.join("\n") + "\n";
}
