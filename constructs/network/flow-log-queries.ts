import { Construct } from "constructs";
import { AthenaNamedQuery } from "@cdktf/provider-aws/lib/athena-named-query";
import { CloudwatchQueryDefinition } from "@cdktf/provider-aws/lib/cloudwatch-query-definition";
import { GlueCatalogDatabase } from "@cdktf/provider-aws/lib/glue-catalog-database";
import { GlueCatalogTable } from "@cdktf/provider-aws/lib/glue-catalog-table";
import { columnName, FLOW_FIELDS, FlowField } from "../../flows/flow-log-format";
import { FLOW_COLUMNS, parseClauseProblem, QueryDialect, unknownQueryFields } from "../../flows/query-fields";
import type { FlowAddressPlan } from "../../flows/segment-zones";
import { Port } from "../security/port";

/** One saved question about the segment's flows, in one query language. */
export interface SavedQuery {
  /** kebab-case, unique: `accepted-mqtt-by-source`. */
  readonly id: string;
  readonly title: string;
  readonly query: string;
}

/** How each language names a string, a number, a column and "address in one of these CIDRs". */
interface Dialect {
  readonly name: QueryDialect;
  readonly text: (value: string) => string;
  /** Logs Insights `parse` yields strings; Parquet columns are numbers. */
  readonly number: (value: number) => string;
  readonly column: (field: string) => string;
  readonly inCidr: (column: string, cidr: string) => string;
  readonly render: (where: string, group: readonly string[], measures: readonly string[], order: string) => string;
}

const ROWS = 1000;

/** Logs Insights over the flow-log group: the custom format is parsed from @message by moat's field list. */
const INSIGHTS: Dialect = {
  name: "logs-insights",
  text: (value) => `"${value}"`,
  number: (value) => `"${value}"`,
  column: (field) => field,
  inCidr: (column, cidr) => `isIpv4InSubnet(${column}, "${cidr}")`,
  render: (where, group, measures, order) =>
    [
      `parse @message "${FLOW_FIELDS.map(() => "*").join(" ")}" as ${FLOW_COLUMNS.join(", ")}`,
      `filter ${where}`,
      `stats ${measures.join(", ")} by ${group.join(", ")}`,
      `sort ${order} desc`,
      `limit ${ROWS}`,
    ].join("\n| "),
};

/** Athena (engine 3, Trino) over the Glue table; `end` is a reserved word. */
function athena(table: string): Dialect {
  return {
    name: "athena",
    text: (value) => `'${value}'`,
    number: (value) => String(value),
    column: (field) => (field === "end" ? `"end"` : field),
    inCidr: (column, cidr) => `contains('${cidr}', TRY_CAST(${column} AS IPADDRESS))`,
    render: (where, group, measures, order) =>
      [
        `SELECT ${[...group, ...measures].join(", ")}`,
        `FROM ${table}`,
        `WHERE ${where}`,
        "-- narrow the scan to the hours you review: AND year = '2026' AND month = '12' AND day = '04'",
        `GROUP BY ${group.join(", ")}`,
        `ORDER BY ${order} DESC`,
        `LIMIT ${ROWS}`,
      ].join("\n"),
  };
}

/**
 * The questions a reviewer asks of the segment's flows, written once and rendered per language:
 * who connected to the broker, what was refused, what is not MQTT between devices and endpoint,
 * who is not a device, and whether an office address appears at all.
 */
export function savedFlowQueries(plan: FlowAddressPlan, dialect: Dialect): SavedQuery[] {
  const d = dialect;
  const any = (column: string, cidrs: readonly string[]) => `(${cidrs.map((c) => d.inCidr(column, c)).join(" or ")})`;
  const devices = plan.deviceSubnets.map((s) => s.cidr);
  const endpoints = plan.endpointSubnets.map((s) => s.cidr);
  const ok = `log_status = ${d.text("OK")}`;
  const tcp = `protocol = ${d.number(Number(Port.MQTT_TLS.protocolNumber))}`;
  const port = Port.MQTT_TLS.fromPort;
  const timed = ["count(*) as flows", "sum(bytes) as total_bytes", `min(start) as first_seen`, `max(${d.column("end")}) as last_seen`];
  const toBroker = `${tcp} and dstport = ${d.number(port)} and ${any("srcaddr", devices)} and ${any("dstaddr", endpoints)}`;
  const fromBroker = `${tcp} and srcport = ${d.number(port)} and ${any("srcaddr", endpoints)} and ${any("dstaddr", devices)}`;
  const queries: SavedQuery[] = [
    {
      id: "accepted-mqtt-by-source",
      title: `Accepted connections to ${Port.MQTT_TLS} by source address and subnet`,
      query: d.render(`${ok} and action = ${d.text("ACCEPT")} and ${toBroker}`, ["srcaddr", "subnet_id"], timed, "flows"),
    },
    {
      id: "rejected-by-source-and-port",
      title: "Rejected flows by source address and destination port",
      query: d.render(`${ok} and action = ${d.text("REJECT")}`, ["srcaddr", "dstport", "protocol"], timed, "flows"),
    },
    {
      id: "not-mqtt-in-segment",
      title: `Flows that are not ${Port.MQTT_TLS} between device and endpoint subnets (there should be none)`,
      query: d.render(
        `${ok} and not ((${toBroker}) or (${fromBroker}))`,
        ["srcaddr", "dstaddr", "protocol", "dstport", "action"],
        timed,
        "flows",
      ),
    },
    {
      id: "sources-outside-device-subnets",
      title: "Sources outside the device subnets (and not the endpoint answering them)",
      query: d.render(`${ok} and not ${any("srcaddr", [...devices, ...endpoints])}`, ["srcaddr", "action"], timed, "flows"),
    },
  ];
  if (plan.officeCidrs.length > 0) {
    queries.push({
      id: "office-addresses-seen",
      title: "Office addresses seen at all",
      query: d.render(
        `${ok} and (${any("srcaddr", plan.officeCidrs)} or ${any("dstaddr", plan.officeCidrs)})`,
        ["srcaddr", "dstaddr", "dstport", "action"],
        timed,
        "flows",
      ),
    });
  }
  return queries;
}

/** Logs Insights versions of the saved questions. */
export function insightsFlowQueries(plan: FlowAddressPlan): SavedQuery[] {
  return savedFlowQueries(plan, INSIGHTS);
}

/** Athena versions of the saved questions, over `table` (`database.table`). */
export function athenaFlowQueries(plan: FlowAddressPlan, table: string): SavedQuery[] {
  return savedFlowQueries(plan, athena(table));
}

/** Column types of moat's fields in the Parquet files VPC Flow Logs writes (Athena's documented DDL). */
const PARQUET_TYPES: Record<FlowField, string> = {
  version: "int",
  "account-id": "string",
  "interface-id": "string",
  srcaddr: "string",
  dstaddr: "string",
  srcport: "int",
  dstport: "int",
  protocol: "bigint",
  packets: "bigint",
  bytes: "bigint",
  start: "bigint",
  end: "bigint",
  action: "string",
  "log-status": "string",
  "vpc-id": "string",
  "subnet-id": "string",
  "tcp-flags": "int",
  "pkt-srcaddr": "string",
  "pkt-dstaddr": "string",
  "flow-direction": "string",
};

/** Hourly partitions as the S3 flow log writes them (Hive-compatible, per hour). */
const PARTITIONS = [
  { name: "year", range: "2025,2125", digits: 4 },
  { name: "month", range: "1,12", digits: 2 },
  { name: "day", range: "1,31", digits: 2 },
  { name: "hour", range: "0,23", digits: 2 },
];

const TABLE_NAME = "vpc_flow_logs";

export interface FlowLogQueriesProps {
  /** Prefix of query names, e.g. `iot-prod`. */
  readonly name: string;
  /** The segment the questions are about. */
  readonly plan: FlowAddressPlan;
  /**
   * CloudWatch store: the flow-log group the Logs Insights queries run on.
   * @default undefined: no Logs Insights queries
   */
  readonly logGroupName?: string;
  /**
   * S3 store: where the Parquet files are (bucket name, account, region of the flow log).
   * @default undefined: no Athena queries
   */
  readonly bucket?: { readonly name: string; readonly accountId: string; readonly region: string };
}

/**
 * Saved queries where the flow logs are: Logs Insights query definitions on the log group, and
 * for the S3 store a Glue table over the Parquet files (partition projection: no crawler, no
 * partition upkeep) with Athena named queries asking the same questions. Every query is checked
 * at construction against moat's record format, so a misspelt field fails synthesis.
 */
export class FlowLogQueries extends Construct {
  /** S3 store: `database.table` the Athena queries read. */
  public readonly athenaTable?: string;

  constructor(scope: Construct, id: string, props: FlowLogQueriesProps) {
    super(scope, id);
    if (props.logGroupName) {
      for (const q of insightsFlowQueries(props.plan)) {
        checkQuery(q, "logs-insights", [...FLOW_COLUMNS, "@message"]);
        new CloudwatchQueryDefinition(this, `insights-${q.id}`, {
          name: `moat/${props.name}/flows/${q.id}`,
          logGroupNames: [props.logGroupName],
          queryString: q.query,
        });
      }
    }
    if (props.bucket) {
      // Literal names, not tokens: the Athena queries name the table in their text.
      const databaseName = `moat_${props.name.replace(/-/g, "_")}`;
      const databaseResource = new GlueCatalogDatabase(this, "database", {
        name: databaseName,
        description: `moat ${props.name}: VPC flow logs of the IoT segment`,
      });
      const database = databaseResource.name;
      this.flowTable(database, props.bucket);
      this.athenaTable = `${databaseName}.${TABLE_NAME}`;
      for (const q of athenaFlowQueries(props.plan, this.athenaTable)) {
        checkQuery(q, "athena", [...FLOW_COLUMNS, ...PARTITIONS.map((p) => p.name), this.athenaTable]);
        new AthenaNamedQuery(this, `athena-${q.id}`, {
          name: `moat/${props.name}/flows/${q.id}`,
          description: q.title,
          database,
          query: q.query,
        });
      }
    }
  }

  private flowTable(database: string, bucket: NonNullable<FlowLogQueriesProps["bucket"]>): GlueCatalogTable {
    const prefix = `s3://${bucket.name}/AWSLogs/aws-account-id=${bucket.accountId}/aws-service=vpcflowlogs/aws-region=${bucket.region}`;
    // `$${` is Terraform's escape: Athena fills ${year} and the rest from the projection.
    const template = `${prefix}/${PARTITIONS.map((p) => `${p.name}=$\${${p.name}}`).join("/")}`;
    return new GlueCatalogTable(this, "table", {
      databaseName: database,
      name: TABLE_NAME,
      description: "VPC flow logs of the IoT segment (moat's record format, Parquet, hourly partitions)",
      tableType: "EXTERNAL_TABLE",
      parameters: {
        EXTERNAL: "TRUE",
        classification: "parquet",
        "projection.enabled": "true",
        ...Object.fromEntries(
          PARTITIONS.flatMap((p) => [
            [`projection.${p.name}.type`, "integer"],
            [`projection.${p.name}.range`, p.range],
            [`projection.${p.name}.digits`, String(p.digits)],
          ]),
        ),
        "storage.location.template": template,
      },
      partitionKeys: PARTITIONS.map((p) => ({ name: p.name, type: "string" })),
      storageDescriptor: {
        location: `${prefix}/`,
        inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        serDeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
        columns: FLOW_FIELDS.map((field) => ({ name: columnName(field), type: PARQUET_TYPES[field] })),
      },
    });
  }
}

/** A saved query that names a field moat's format lacks would silently return nothing: refuse it. */
function checkQuery(q: SavedQuery, dialect: QueryDialect, known: readonly string[]): void {
  const unknown = unknownQueryFields(q.query, dialect, known);
  const parse = dialect === "logs-insights" ? parseClauseProblem(q.query) : undefined;
  if (unknown.length > 0 || parse) {
    throw new Error(
      `saved query ${q.id} (${dialect}) does not fit moat's flow-log format: ${[parse, unknown.length ? `unknown fields ${unknown.join(", ")}` : ""].filter(Boolean).join("; ")}`,
    );
  }
}
