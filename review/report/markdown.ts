import { Finding, isBlocking } from "../finding";
import { StackChange } from "../diff";
import { attributeChangeText, findingText, ordered, ReportInput, summaryLine, where } from "./report-input";

/** Marks moat's pull-request comment so CI updates it instead of adding another. */
export const COMMENT_MARKER = "<!-- moat-review -->";

/** The pull-request comment: verdict, what the PR changes, findings, suppressions, rule help. */
export function renderMarkdown(input: ReportInput): string {
  const { result, diff } = input;
  const out: string[] = [COMMENT_MARKER, "## moat review", "", `**${summaryLine(input)}**`, ""];
  if (diff) {
    const changed = diff.stacks.filter((s) => s.presence !== "base-only" && s.added.length + s.removed.length + s.changed.length > 0);
    out.push("### What this pull request changes", "");
    for (const s of diff.stacks.filter((d) => d.presence === "base-only"))
      out.push(
        `- \`${cell(s.stack)}\` is only in the base (${s.removed.length} resources): a removed stack, or one not reviewed here.`,
        "",
      );
    if (changed.length === 0) out.push("No resource changes.", "");
    else {
      out.push("| stack | added | removed | changed |", "|---|---|---|---|");
      changed.forEach((s) => {
        const opens = new Map(s.opened.map((o) => [o.address, o.opens]));
        const added = s.added.map((a) =>
          opens.has(a)
            ? `\`${cell(a)}\` opens ${opens
                .get(a)!
                .map((o) => `\`${cell(o)}\``)
                .join(", ")}`
            : `\`${cell(a)}\``,
        );
        out.push(
          `| ${cell(s.stack)} | ${list(added)} | ${list(s.removed.map((a) => `\`${cell(a)}\``))} | ${list(s.changed.map((a) => `\`${cell(a)}\``))} |`,
        );
      });
      out.push("");
      out.push(...changedAttributes(changed));
    }
    out.push(...findingTable(`New findings (${diff.newFindings.length})`, diff.newFindings));
    out.push(...findingTable(`Fixed findings (${diff.fixedFindings.length})`, diff.fixedFindings));
  }
  for (const { model, findings } of result.stacks) {
    // A suppressed finding is listed once, in the Suppressions table with its count, not again per stack.
    const open = findings.filter((f) => !f.suppression);
    const suppressed = findings.length - open.length;
    out.push(
      ...findingTable(
        `${model.stack}: ${open.length} finding${open.length === 1 ? "" : "s"}${suppressed > 0 ? ` (and ${suppressed} suppressed)` : ""}`,
        ordered(open),
      ),
    );
  }
  if (result.suppressions.length > 0) {
    out.push("### Suppressions", "", "| rule | resource | reason | source | findings |", "|---|---|---|---|---|");
    for (const { suppression: s, matched } of result.suppressions) {
      out.push(`| ${s.rule} | ${cell(s.resource ?? "every resource")} | ${cell(s.reason)} | ${cell(s.source)} | ${matched} |`);
    }
    out.push("");
  }
  const seen = new Set(result.stacks.flatMap((s) => s.findings.map((f) => f.rule)));
  const rules = result.pack.filter((r) => seen.has(r.id));
  if (rules.length > 0) {
    out.push("<details><summary>Rules with findings</summary>", "");
    for (const r of rules)
      out.push(
        `- **${r.id}** (${r.severity}) ${cell(r.title)}. ${cell(r.why)} Fix: ${cell(r.fix)}${r.matches.length ? ` Matches: ${r.matches.join(", ")}.` : ""}`,
      );
    out.push("", "</details>", "");
  }
  return withinCommentLimit(out);
}

/** Characters of a comment: below GitHub's limit of 65,536, with room for the marker CI adds. */
export const COMMENT_BUDGET = 60_000;

/**
 * The lines joined, cut at a line boundary when longer than {@link COMMENT_BUDGET} (a comment
 * over GitHub's limit is refused, and the pull request would show no review at all), with an
 * open `<details>` closed and a last line saying where the full report is.
 */
function withinCommentLimit(lines: readonly string[]): string {
  const whole = lines.join("\n");
  if (whole.length <= COMMENT_BUDGET) return whole;
  const note = `**Cut at ${COMMENT_BUDGET.toLocaleString("en-US")} characters (GitHub refuses longer comments): every finding is in the \`moat-review\` artifact of this run, or run \`moat review --format text\`.**`;
  const kept: string[] = [];
  let length = 0;
  let openDetails = false;
  // Room for what is added after the cut: a closing `</details>`, blank lines and the note.
  const room = COMMENT_BUDGET - ["", "</details>", "", note, ""].join("\n").length;
  for (const line of lines) {
    if (length + line.length + 1 > room) break;
    kept.push(line);
    length += line.length + 1;
    if (line.startsWith("<details>")) openDetails = true;
    if (line === "</details>") openDetails = false;
  }
  return [...kept, ...(openDetails ? ["", "</details>"] : []), "", note, ""].join("\n");
}

/** Changed resources a comment lists attribute by attribute; the rest are counted (GitHub caps a comment at 65,536 characters). */
const LISTED_CHANGES = 50;

/** What changed inside each changed resource, before -> after, so a reviewer need not open the synthesized JSON. */
function changedAttributes(stacks: readonly StackChange[]): string[] {
  const all = stacks.flatMap((s) => s.changes.map((c) => ({ stack: s.stack, ...c })));
  if (all.length === 0) return [];
  const out = ["#### Changed attributes", ""];
  for (const { stack, address, attributes } of all.slice(0, LISTED_CHANGES)) {
    out.push(`- ${code(stack)} ${code(address)}`);
    attributes.forEach((a) => out.push(`  - ${code(attributeChangeText(a, "→"))}`));
  }
  if (all.length > LISTED_CHANGES)
    out.push(`- and ${all.length - LISTED_CHANGES} more changed resources: see the JSON report (\`--format json\`, diff.stacks[].changes)`);
  out.push("");
  return out;
}

function findingTable(title: string, findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [`### ${title}`, "", "None.", ""];
  const rows = findings.map((f) => {
    const state = f.suppression ? "suppressed" : isBlocking(f) ? ":x: error" : f.severity === "error" ? "error" : ":warning: warn";
    return `| ${state} | ${f.rule} | \`${cell(f.resource)}\` | ${cell(findingText(f))} | ${cell(where(f))} |`;
  });
  return [`### ${title}`, "", "| | rule | resource | finding | where |", "|---|---|---|---|---|", ...rows, ""];
}

/** Items a table cell lists; the rest are counted (a new 70-resource stack must not fill one cell). */
const LISTED_IN_CELL = 10;

/** Already-formatted items of one cell, one per line, long lists collapsed. */
function list(items: readonly string[]): string {
  if (items.length <= LISTED_IN_CELL) return items.join("<br>");
  return [...items.slice(0, LISTED_IN_CELL), `and ${items.length - LISTED_IN_CELL} more (\`--format json\` lists all)`].join("<br>");
}

/** Inline code outside tables: one line, no backticks to end it early. */
function code(text: string): string {
  return `\`${text.replace(/\r?\n/g, " ").replace(/`/g, "'")}\``;
}

/** Table-cell safe: no pipes or newlines; backticks would break inline code. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ").replace(/`/g, "'");
}
