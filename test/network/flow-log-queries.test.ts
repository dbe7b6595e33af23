import { IsolatedIotNetwork, IsolatedIotNetworkProps } from "../../constructs/network";
import { athenaFlowQueries, insightsFlowQueries } from "../../constructs/network/flow-log-queries";
import { IOT_LOG_FIELDS, IOT_LOG_QUERIES } from "../../constructs/broker/iot-log-queries";
import { FLOW_COLUMNS, FLOW_FIELDS, parseClauseProblem, parseFlowLine, unknownQueryFields } from "../../flows";
import { hostileFlows, mqttFlow } from "../flows/flow-records";
import { NETWORK_PLAN } from "../support/network-plan";
import { resourcesOf, synthWith } from "../support/synth";

const PLAN = NETWORK_PLAN;
const ADDRESS_PLAN = { ...PLAN, officeCidrs: PLAN.officeCidrs ?? [] };
const QUESTIONS = [
  "accepted-mqtt-by-source",
  "rejected-by-source-and-port",
  "not-mqtt-in-segment",
  "sources-outside-device-subnets",
  "office-addresses-seen",
];

const synthNetwork = (store: "cloudwatch" | "s3" | "both", props: Partial<IsolatedIotNetworkProps> = {}) =>
  synthWith((stack) => new IsolatedIotNetwork(stack, "iot", { ...PLAN, ...props, name: "iot-test", flowLogs: { store } }));

/**
 * Evaluates a Logs Insights `parse @message "* * ..." as a, b, ...` clause on one record line the
 * way Logs Insights does for a space-separated glob: the nth `*` captures the nth token.
 */
function insightsParse(query: string, line: string): Record<string, string> {
  const [, pattern, names] = /parse @message "([^"]*)" as ([\w, ]+)\n/.exec(query)!;
  const tokens = line.split(" ");
  expect(pattern.split(" ")).toHaveLength(tokens.length);
  return Object.fromEntries(names.split(", ").map((name, i) => [name, tokens[i]]));
}

describe("the CloudWatch store", () => {
  const result = synthNetwork("cloudwatch");
  const definitions = resourcesOf(result, "aws_cloudwatch_query_definition");

  test("a Logs Insights query definition per question sits on the flow-log group, and there is no Glue or Athena", () => {
    expect(definitions.map((d) => d.name).sort()).toEqual(QUESTIONS.map((q) => `moat/iot-test/flows/${q}`).sort());
    for (const d of definitions)
      expect(d.log_group_names).toEqual([expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.[^.]+\.name\}$/)]);
    expect(resourcesOf(result, "aws_glue_catalog_table")).toEqual([]);
    expect(resourcesOf(result, "aws_athena_named_query")).toEqual([]);
  });

  test("every query parses @message with moat's 20 fields and names no other field", () => {
    for (const d of definitions) {
      expect(parseClauseProblem(d.query_string)).toBeUndefined();
      expect(unknownQueryFields(d.query_string, "logs-insights", [...FLOW_COLUMNS, "@message"])).toEqual([]);
    }
  });

  test("the parse clause, run on records moat's flow log writes, yields the fields the filters compare", () => {
    const [request, answer] = mqttFlow(ADDRESS_PLAN, 0, 0, 1796378400);
    const accepted = definitions.find((d) => d.name.endsWith("/accepted-mqtt-by-source"))!.query_string;
    const fields = insightsParse(accepted, request);
    expect(fields).toMatchObject({
      srcaddr: "10.10.0.10",
      dstaddr: "10.10.240.5",
      dstport: "8883",
      protocol: "6",
      action: "ACCEPT",
      log_status: "OK",
    });
    // The filter compares those values as the strings parse yields.
    expect(accepted).toContain(`protocol = "6" and dstport = "8883"`);
    expect(insightsParse(accepted, answer)).toMatchObject({ srcport: "8883", srcaddr: "10.10.240.5" });
    // And the same line is a record moat flows reads: one format for both.
    expect(parseFlowLine(request)).toMatchObject({ kind: "flow", record: { dstport: 8883 } });
    const office = insightsParse(accepted, hostileFlows(ADDRESS_PLAN, 1796378400).officeToBroker);
    expect(office.srcaddr).toBe("192.168.0.7");
  });

  test("the segment's ranges are in the questions: devices, endpoints, and each office range", () => {
    const q = (id: string) => definitions.find((d) => d.name.endsWith(`/${id}`))!.query_string as string;
    expect(q("accepted-mqtt-by-source")).toContain(`(isIpv4InSubnet(srcaddr, "10.10.0.0/20") or isIpv4InSubnet(srcaddr, "10.10.16.0/20"))`);
    expect(q("not-mqtt-in-segment")).toMatch(
      /not \(\(protocol = "6" and dstport = "8883" .*\) or \(protocol = "6" and srcport = "8883" .*\)\)/,
    );
    expect(q("office-addresses-seen")).toContain(`isIpv4InSubnet(srcaddr, "172.20.0.0/16")`);
    expect(q("rejected-by-source-and-port")).toMatch(/action = "REJECT"\n\| stats .* by srcaddr, dstport, protocol/);
  });

  test("a plan with no office range leaves that question out", () => {
    expect(insightsFlowQueries({ ...ADDRESS_PLAN, officeCidrs: [] }).map((q) => q.id)).toEqual(QUESTIONS.slice(0, 4));
  });
});

describe("the S3 store (Parquet, Hive-compatible hourly partitions)", () => {
  const result = synthNetwork("s3");
  const [table] = resourcesOf(result, "aws_glue_catalog_table");
  const queries = resourcesOf(result, "aws_athena_named_query");

  test("a Glue table over the bucket has moat's columns with Parquet types, and hourly partition projection", () => {
    expect(resourcesOf(result, "aws_glue_catalog_database")).toEqual([expect.objectContaining({ name: "moat_iot_test" })]);
    expect(table.storage_descriptor.columns.map((c: { name: string }) => c.name)).toEqual(FLOW_FIELDS.map((f) => f.replace(/-/g, "_")));
    expect(table.storage_descriptor.columns.find((c: { name: string }) => c.name === "dstport").type).toBe("int");
    expect(table.storage_descriptor.columns.find((c: { name: string }) => c.name === "bytes").type).toBe("bigint");
    expect(table.storage_descriptor.ser_de_info.serialization_library).toBe("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
    expect(table.partition_keys.map((p: { name: string }) => p.name)).toEqual(["year", "month", "day", "hour"]);
    expect(table.parameters).toMatchObject({
      "projection.enabled": "true",
      "projection.hour.range": "0,23",
      "projection.hour.digits": "2",
      "projection.year.type": "integer",
    });
    // `$${year}` is Terraform's escape: Athena receives the literal ${year} of the projection template.
    expect(table.parameters["storage.location.template"]).toMatch(
      /^s3:\/\/\$\{aws_s3_bucket\.[^.]+\.bucket\}\/AWSLogs\/aws-account-id=\$\{data\.aws_caller_identity\.[^.]+\.account_id\}\/aws-service=vpcflowlogs\/aws-region=\$\{data\.aws_region\.[^.]+\.region\}\/year=\$\$\{year\}\/month=\$\$\{month\}\/day=\$\$\{day\}\/hour=\$\$\{hour\}$/,
    );
    expect(resourcesOf(result, "aws_cloudwatch_query_definition")).toEqual([]);
  });

  test("an Athena named query per question reads that table and names only its columns", () => {
    expect(queries.map((q) => q.name).sort()).toEqual(QUESTIONS.map((q) => `moat/iot-test/flows/${q}`).sort());
    for (const q of queries) {
      expect(q.database).toMatch(/^\$\{aws_glue_catalog_database\.[^.]+\.name\}$/);
      expect(q.query).toContain("FROM moat_iot_test.vpc_flow_logs");
      expect(
        unknownQueryFields(q.query, "athena", [...FLOW_COLUMNS, "year", "month", "day", "hour", "moat_iot_test.vpc_flow_logs"]),
      ).toEqual([]);
    }
    const accepted = queries.find((q) => q.name.endsWith("/accepted-mqtt-by-source"))!.query;
    expect(accepted).toContain(`contains('10.10.0.0/20', TRY_CAST(srcaddr AS IPADDRESS))`);
    expect(accepted).toMatch(/max\("end"\) as last_seen/);
  });

  test("store both makes both kinds of saved query", () => {
    const both = synthNetwork("both");
    expect(resourcesOf(both, "aws_cloudwatch_query_definition")).toHaveLength(5);
    expect(resourcesOf(both, "aws_athena_named_query")).toHaveLength(5);
  });
});

describe("the query checker (moat's knowledge of its format) can fail", () => {
  const [accepted] = insightsFlowQueries(ADDRESS_PLAN);

  test("a misspelt field is reported, in either language", () => {
    expect(unknownQueryFields(accepted.query.replace("dstport =", "dst_port ="), "logs-insights", [...FLOW_COLUMNS, "@message"])).toEqual([
      "dst_port",
    ]);
    const [sql] = athenaFlowQueries(ADDRESS_PLAN, "db.t");
    expect(unknownQueryFields(sql.query.replace("GROUP BY srcaddr", "GROUP BY src_addr"), "athena", [...FLOW_COLUMNS, "db.t"])).toEqual([
      "src_addr",
    ]);
  });

  test("a parse clause with a field too few, or fields in another order, is reported", () => {
    expect(parseClauseProblem(accepted.query.replace('"* ', '"'))).toMatch(/19 space-separated parts, moat's format has 20/);
    expect(parseClauseProblem(accepted.query.replace("srcaddr, dstaddr", "dstaddr, srcaddr"))).toMatch(
      /^it names version, account_id, interface_id, dstaddr, srcaddr/,
    );
  });

  test("the IoT log queries name only attributes of IoT Core's documented log entries", () => {
    for (const q of IOT_LOG_QUERIES) expect(unknownQueryFields(q.query, "logs-insights", IOT_LOG_FIELDS)).toEqual([]);
    expect(unknownQueryFields(IOT_LOG_QUERIES[0].query.replace("clientId", "clientID"), "logs-insights", IOT_LOG_FIELDS)).toEqual([
      "clientID",
    ]);
  });
});
