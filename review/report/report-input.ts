import { relative, sep } from "node:path";
import { AttributeChange, ReviewDiff } from "../diff";
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

/** Longest attribute value a report shows; the JSON report has them whole. */
const SHOWN_VALUE = 80;

/** Characters kept before the first difference when a long value is cut from the front. */
const SHOWN_CONTEXT = 24;

/**
 * One changed attribute as every text format shows it: `path: before -> after`. Long values
 * are cut around where they start to differ, so the change itself stays in view.
 */
export function attributeChangeText(change: AttributeChange, arrow = "->"): string {
  const { before, after } = change;
  let common = 0;
  if (before !== undefined && after !== undefined)
    while (common < before.length && common < after.length && before[common] === after[common]) common++;
  const from = Math.max(0, common - SHOWN_CONTEXT);
  const shown = (value: string | undefined) => {
    if (value === undefined) return "(not set)";
    if (value.length <= SHOWN_VALUE) return value;
    const start = from > 0 ? `...${value.slice(from)}` : value;
    return start.length > SHOWN_VALUE ? `${start.slice(0, SHOWN_VALUE - 3)}...` : start;
  };
  return `${change.path}: ${shown(before)} ${arrow} ${shown(after)}`;
}

/** A file path as reports show it: relative to the working directory, forward slashes. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return (rel.startsWith("..") ? file : rel).split(sep).join("/");
}

/**
 * Where a finding is: the file and line, and for a synthesized stack the construct path, which
 * names the construct in the stack's source code that wrote the resource.
 */
export function where(f: Finding): string {
  const construct = f.location.constructPath ? ` (construct ${f.location.constructPath})` : "";
  return `${displayPath(f.location.file)}${f.location.line ? `:${f.location.line}` : ""}${construct}`;
}

export function summaryLine({ result, diff }: ReportInput): string {
  const all = result.stacks.flatMap((s) => s.findings);
  const suppressed = all.filter((f) => f.suppression).length;
  const blocking = result.blocking.length;
  const verdict = blocking > 0 ? `FAIL: ${blocking} unsuppressed error finding${blocking === 1 ? "" : "s"}` : "PASS";
  const counts = `${result.stacks.length} stack${result.stacks.length === 1 ? "" : "s"}, ${all.length} finding${all.length === 1 ? "" : "s"} (${all.filter(isBlocking).length} blocking, ${suppressed} suppressed)`;
  const changes = diff
    ? `; vs base: ${diff.newFindings.length} new, ${diff.fixedFindings.length} fixed, ${diff.unchangedFindings.length} unchanged`
    : "";
  return `${verdict}. ${counts}${changes}`;
}

/** Findings in report order: blocking first, then by rule id and resource. */
export function ordered(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      Number(isBlocking(b)) - Number(isBlocking(a)) ||
      a.rule.localeCompare(b.rule, "en", { numeric: true }) ||
      a.resource.localeCompare(b.resource),
  );
}
