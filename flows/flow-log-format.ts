/**
 * The VPC flow-log record format moat configures (constructs/network/flow-logs.ts): AWS's default
 * fields (version 2) plus tcp-flags (to tell SYN probes from sessions), pkt-src/dst addresses (the
 * real peer behind an endpoint interface) and flow-direction. Everything that reads or queries the
 * logs (`moat flows`, the saved queries) derives from this one list.
 */
export const FLOW_FIELDS = [
  "version",
  "account-id",
  "interface-id",
  "srcaddr",
  "dstaddr",
  "srcport",
  "dstport",
  "protocol",
  "packets",
  "bytes",
  "start",
  "end",
  "action",
  "log-status",
  "vpc-id",
  "subnet-id",
  "tcp-flags",
  "pkt-srcaddr",
  "pkt-dstaddr",
  "flow-direction",
] as const;

export type FlowField = (typeof FLOW_FIELDS)[number];

/** Position of each field in a record. */
export const FIELD_INDEX = Object.fromEntries(FLOW_FIELDS.map((field, i) => [field, i])) as Record<FlowField, number>;

/** The name a field has in queries: Logs Insights, Glue and Athena take no hyphens (`pkt-srcaddr` -> `pkt_srcaddr`). */
export function columnName(field: FlowField): string {
  return field.replace(/-/g, "_");
}

/** Values of the fields a review reads, for one record with log-status OK. */
export interface FlowRecord {
  readonly interfaceId: string;
  readonly subnetId: string;
  /** The packet's source: pkt-srcaddr when recorded, else srcaddr. */
  readonly srcaddr: string;
  readonly dstaddr: string;
  readonly srcport: number;
  readonly dstport: number;
  /** IANA protocol number (6 TCP, 17 UDP, 1 ICMP). */
  readonly protocol: number;
  readonly bytes: number;
  /** Seconds since the epoch. */
  readonly start: number;
  readonly end: number;
  readonly action: "ACCEPT" | "REJECT";
}

/** One line read: a flow, a record without flow data (NODATA, SKIPDATA), or why the line is not a record. */
export type ParsedLine =
  | { readonly kind: "flow"; readonly record: FlowRecord }
  | { readonly kind: "NODATA" | "SKIPDATA" }
  | { readonly kind: "bad"; readonly problem: string };

const WHOLE = /^\d{1,20}$/;
/** CloudWatch Logs exports put the event's ISO timestamp before the message. */
const EXPORT_TIMESTAMP = /^\d{4}-\d\d-\d\dT\S+$/;

/** Whether a line is a header naming fields (S3 text files start with one). */
export function isHeader(line: string): boolean {
  return line.startsWith("version ") || line.startsWith("version\t");
}

/** Why a header line is not moat's format, or undefined when it names exactly moat's fields in order. */
export function headerProblem(line: string): string | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields.length === FLOW_FIELDS.length && fields.every((f, i) => f === FLOW_FIELDS[i])) return undefined;
  const missing = FLOW_FIELDS.filter((f) => !fields.includes(f));
  const extra = fields.filter((f) => !(FLOW_FIELDS as readonly string[]).includes(f));
  const detail =
    missing.length + extra.length === 0
      ? "the same fields in another order"
      : [missing.length ? `missing ${missing.join(", ")}` : "", extra.length ? `other fields ${extra.join(", ")}` : ""]
          .filter(Boolean)
          .join("; ");
  return `the header names ${fields.length} fields, not moat's ${FLOW_FIELDS.length} (${detail})`;
}

function whole(text: string, field: FlowField): number | string {
  return WHOLE.test(text) ? Number(text) : `${field} "${text.slice(0, 40)}" is not a whole number`;
}

/** Parses one record line of moat's format (with or without a CloudWatch export timestamp). */
export function parseFlowLine(line: string): ParsedLine {
  let fields = line.split(" ");
  if (fields.length === FLOW_FIELDS.length + 1 && EXPORT_TIMESTAMP.test(fields[0])) fields = fields.slice(1);
  if (fields.length !== FLOW_FIELDS.length) {
    return {
      kind: "bad",
      problem: `${fields.length} space-separated fields, moat's flow-log format has ${FLOW_FIELDS.length} (${FLOW_FIELDS.join(" ")})`,
    };
  }
  const status = fields[FIELD_INDEX["log-status"]];
  if (status === "NODATA" || status === "SKIPDATA") return { kind: status };
  if (status !== "OK") return { kind: "bad", problem: `log-status "${status.slice(0, 40)}" is not OK, NODATA or SKIPDATA` };
  const action = fields[FIELD_INDEX.action];
  if (action !== "ACCEPT" && action !== "REJECT")
    return { kind: "bad", problem: `action "${action.slice(0, 40)}" is not ACCEPT or REJECT` };
  const numbers: Record<string, number> = {};
  for (const field of ["srcport", "dstport", "protocol", "bytes", "start", "end"] as const) {
    const value = whole(fields[FIELD_INDEX[field]], field);
    if (typeof value === "string") return { kind: "bad", problem: value };
    numbers[field] = value;
  }
  const pktSrc = fields[FIELD_INDEX["pkt-srcaddr"]];
  const pktDst = fields[FIELD_INDEX["pkt-dstaddr"]];
  return {
    kind: "flow",
    record: {
      interfaceId: fields[FIELD_INDEX["interface-id"]],
      subnetId: fields[FIELD_INDEX["subnet-id"]],
      srcaddr: pktSrc !== "-" ? pktSrc : fields[FIELD_INDEX.srcaddr],
      dstaddr: pktDst !== "-" ? pktDst : fields[FIELD_INDEX.dstaddr],
      srcport: numbers.srcport,
      dstport: numbers.dstport,
      protocol: numbers.protocol,
      bytes: numbers.bytes,
      start: numbers.start,
      end: numbers.end,
      action,
    },
  };
}
