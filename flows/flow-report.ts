import { BREACH_TEXT, BreachGroup, BrokerSource, FlowReviewResult } from "./flow-review";

export type FlowReportFormat = "text" | "markdown" | "json";

/** What the report says it judged. */
export interface FlowReportSubject {
  readonly env: string;
  readonly vpcCidr: string;
  readonly files: readonly string[];
}

/** Rows shown in text and Markdown before "N more": JSON always lists everything. */
export const SHOWN_ROWS = 50;

const PROTOCOLS: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6" };

const count = (n: number) => n.toLocaleString("en-US");
const time = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const protocol = (g: BreachGroup) => `${PROTOCOLS[g.protocol] ?? `proto-${g.protocol}`}/${g.dstport}`;

/** The verdict line: FAIL when a promise is broken. */
function verdict(result: FlowReviewResult): string {
  const brokenGroups = result.breaches.filter((b) => b.broken);
  const brokenFlows = brokenGroups.reduce((n, b) => n + b.flows, 0) + result.ungrouped.broken;
  const flows = brokenFlows === 1 ? "1 flow breaks" : `${count(brokenFlows)} flows break`;
  return result.broken ? `FAIL. ${flows} the segment's promises` : "PASS. No flow breaks the segment's promises";
}

function summary(subject: FlowReportSubject, result: FlowReviewResult): string {
  const parts = [`${count(result.flows)} flows`, `${count(result.noData)} without data`, `${count(result.skippedData)} skipped by AWS`];
  return `${subject.env} (${subject.vpcCidr}): ${subject.files.length} file${subject.files.length === 1 ? "" : "s"}, ${count(result.records)} records (${parts.join(", ")})`;
}

/** Renders a flow review in one of the CLI's formats. */
export function renderFlowReport(format: FlowReportFormat, subject: FlowReportSubject, result: FlowReviewResult): string {
  if (format === "json") return JSON.stringify(jsonReport(subject, result), null, 2) + "\n";
  return format === "markdown" ? markdown(subject, result) : text(subject, result);
}

function jsonReport(subject: FlowReportSubject, result: FlowReviewResult) {
  return {
    env: subject.env,
    vpcCidr: subject.vpcCidr,
    files: subject.files,
    verdict: result.broken ? "fail" : "pass",
    records: result.records,
    flows: result.flows,
    noData: result.noData,
    skippedData: result.skippedData,
    sources: result.sources.map((s) => ({ ...s, first: time(s.first), last: time(s.last) })),
    breaches: result.breaches.map((b) => ({ ...b, promise: BREACH_TEXT[b.breach], first: time(b.first), last: time(b.last) })),
    ungrouped: result.ungrouped,
  };
}

function more(total: number): string[] {
  return total > SHOWN_ROWS ? [`... ${count(total - SHOWN_ROWS)} more (--format json lists all)`] : [];
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]))
      .join("  ")
      .trimEnd(),
  );
}

const sourceRow = (s: BrokerSource) => [
  s.source,
  s.subnet,
  count(s.accepted),
  count(s.rejected),
  count(s.bytes),
  time(s.first),
  time(s.last),
];
const breachRow = (b: BreachGroup) => [
  b.broken ? "BROKEN" : "refused",
  BREACH_TEXT[b.breach],
  b.action,
  `${b.source} -> ${b.destination}`,
  protocol(b),
  count(b.flows),
  count(b.bytes),
  time(b.first),
  time(b.last),
];
const SOURCE_HEAD = ["SOURCE", "SUBNET", "ACCEPTED", "REJECTED", "BYTES", "FIRST SEEN", "LAST SEEN"];
const BREACH_HEAD = ["", "PROMISE", "ACTION", "FLOW", "PORT", "FLOWS", "BYTES", "FIRST SEEN", "LAST SEEN"];

function text(subject: FlowReportSubject, result: FlowReviewResult): string {
  const lines = [verdict(result), summary(subject, result), ""];
  lines.push(`Connections to the broker (TCP 8883, device subnet -> endpoint subnet): ${count(result.sources.length)} sources`);
  if (result.sources.length > 0)
    lines.push(
      ...table([SOURCE_HEAD, ...result.sources.slice(0, SHOWN_ROWS).map(sourceRow)]).map((l) => `  ${l}`),
      ...more(result.sources.length),
    );
  lines.push("");
  lines.push(
    `Flows outside the segment's promises: ${count(result.breaches.length)} groups${result.breaches.length ? " (BROKEN: a promise is broken; refused: the firewall held)" : ""}`,
  );
  if (result.breaches.length > 0)
    lines.push(
      ...table([BREACH_HEAD, ...result.breaches.slice(0, SHOWN_ROWS).map(breachRow)]).map((l) => `  ${l}`),
      ...more(result.breaches.length),
    );
  lines.push(...notes(result));
  return lines.join("\n") + "\n";
}

function notes(result: FlowReviewResult): string[] {
  const out: string[] = [];
  if (result.ungrouped.flows > 0)
    out.push(
      "",
      `${count(result.ungrouped.flows)} more flows outside the promises were counted but not grouped (${count(result.ungrouped.broken)} of them broken): too many distinct flows to list.`,
    );
  if (result.skippedData > 0)
    out.push(
      "",
      `${count(result.skippedData)} SKIPDATA records: AWS could not capture some flows in those intervals, so this review is incomplete.`,
    );
  return out;
}

function markdown(subject: FlowReportSubject, result: FlowReviewResult): string {
  const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  const head = (cells: string[]) => [row(cells), row(cells.map(() => "---"))];
  const lines = [`## moat flows: ${result.broken ? ":x:" : ":white_check_mark:"} ${verdict(result)}`, "", summary(subject, result), ""];
  lines.push(`### Connections to the broker (${count(result.sources.length)} sources)`, "");
  if (result.sources.length > 0)
    lines.push(...head(SOURCE_HEAD), ...result.sources.slice(0, SHOWN_ROWS).map((s) => row(sourceRow(s))), ...more(result.sources.length));
  else lines.push("None.");
  lines.push("", `### Flows outside the segment's promises (${count(result.breaches.length)} groups)`, "");
  if (result.breaches.length > 0)
    lines.push(
      ...head(["", ...BREACH_HEAD.slice(1)]),
      ...result.breaches.slice(0, SHOWN_ROWS).map((b) => row(breachRow(b))),
      ...more(result.breaches.length),
    );
  else lines.push("None.");
  lines.push(...notes(result));
  return lines.join("\n") + "\n";
}
