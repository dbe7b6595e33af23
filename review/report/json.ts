import { Finding, isBlocking } from "../finding";
import { displayPath, ReportInput } from "./report-input";

/** Machine-readable report: stable field names, one object. */
export function renderJson({ result, diff }: ReportInput): string {
  const finding = (f: Finding) => ({
    rule: f.rule,
    severity: f.severity,
    status: f.status,
    blocking: isBlocking(f),
    stack: f.stack,
    resource: f.resource,
    message: f.message,
    file: displayPath(f.location.file),
    line: f.location.line ?? null,
    constructPath: f.location.constructPath ?? null,
    suppressed: f.suppression ? { reason: f.suppression.reason, source: f.suppression.source } : null,
  });
  const report = {
    tool: "moat review",
    passed: result.blocking.length === 0,
    stacks: result.stacks.map(({ model, findings }) => ({
      stack: model.stack,
      file: displayPath(model.file),
      format: model.format,
      resources: model.resources.length,
      findings: findings.map(finding),
    })),
    suppressions: result.suppressions.map(({ suppression: s, matched }) => ({
      rule: s.rule,
      resource: s.resource ?? null,
      reason: s.reason,
      source: s.source,
      matched,
    })),
    rules: result.pack.map(({ id, severity, title, why, fix, matches }) => ({ id, severity, title, why, fix, matches })),
    diff: diff
      ? {
          stacks: diff.stacks,
          newFindings: diff.newFindings.map(finding),
          fixedFindings: diff.fixedFindings.map(finding),
          unchangedFindings: diff.unchangedFindings.map(finding),
        }
      : null,
  };
  return JSON.stringify(report, null, 2) + "\n";
}
