import { relative, sep } from "node:path";
import { ReviewDiff } from "../diff";
import { Finding, isBlocking } from "../finding";
import { ReviewResult } from "../engine";

/** What every report format renders. */
export interface ReportInput {
  readonly result: ReviewResult;
  /** Present with `--base`: what the pull request changes. */
  readonly diff?: ReviewDiff;
}

/** A finding's message with what kind of finding it is, the same words in every format. */
export function findingText(f: Finding): string {
  if (f.status === "unknown") return `unknown until apply, so not a pass: ${f.message}`;
  return f.message;
}

/** A file path as reports show it: relative to the working directory, forward slashes. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return (rel.startsWith("..") ? file : rel).split(sep).join("/");
}

export function where(f: Finding): string {
  return `${displayPath(f.location.file)}${f.location.line ? `:${f.location.line}` : ""}`;
}

export function summaryLine({ result, diff }: ReportInput): string {
  const all = result.stacks.flatMap((s) => s.findings);
  const suppressed = all.filter((f) => f.suppression).length;
  const blocking = result.blocking.length;
  const verdict = blocking > 0 ? `FAIL: ${blocking} unsuppressed error finding${blocking === 1 ? "" : "s"}` : "PASS";
  const counts = `${result.stacks.length} stack${result.stacks.length === 1 ? "" : "s"}, ${all.length} finding${all.length === 1 ? "" : "s"} (${all.filter(isBlocking).length} blocking, ${suppressed} suppressed)`;
  const changes = diff ? `; vs base: ${diff.newFindings.length} new, ${diff.fixedFindings.length} fixed, ${diff.unchangedFindings.length} unchanged` : "";
  return `${verdict}. ${counts}${changes}`;
}

/** Findings in report order: blocking first, then by rule id and resource. */
export function ordered(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => Number(isBlocking(b)) - Number(isBlocking(a)) || a.rule.localeCompare(b.rule, "en", { numeric: true }) || a.resource.localeCompare(b.resource));
}
