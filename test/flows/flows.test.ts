import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { main } from "../../bin/moat";
import { loadEnvironment } from "../../config";
import { FLOW_FIELDS, MAX_BREACH_GROUPS, reviewFlowFiles } from "../../flows";
import { runMoat, STACK_TRACE } from "../support/run-moat";
import { scratchDir } from "../support/scratch";
import { benignLines, FLOW_TIME, hostileFlows, hostOf, mqttFlow, recordLine } from "./flow-records";

const dev = loadEnvironment("dev");
const plan = dev.network;
const work = scratchDir("moat-flows-");

let files = 0;
function file(lines: readonly string[] | string, gzip = false): string {
  const path = join(work, `flows-${++files}.log${gzip ? ".gz" : ""}`);
  const text = typeof lines === "string" ? lines : lines.join("\n") + "\n";
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

/** `moat flows` in-process: exit code and both streams. */
async function flows(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(["flows", ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const HEADER = FLOW_FIELDS.join(" ");

describe("records generated from dev's address plan", () => {
  test("only devices talking MQTT to the endpoint pass, listed with every source, its subnet, counts, bytes and times", async () => {
    const lines = [...benignLines(plan, 2000)];
    const result = await reviewFlowFiles([file(lines)], plan);
    expect(result).toMatchObject({ records: 2000, flows: 2000, broken: false, breaches: [] });
    expect(result.sources).toHaveLength(500);
    const first = result.sources.find((s) => s.source === hostOf(plan.deviceSubnets[0].cidr, 10))!;
    // Device 0 opened connections i = 0, 500 (two of the 1000 pairs): 2 accepted, bytes of both directions.
    expect(first).toEqual({
      source: "10.42.0.10",
      subnet: "10.42.0.0/20",
      accepted: 2,
      rejected: 0,
      bytes: 2 * (2048 + 4096),
      first: FLOW_TIME,
      last: FLOW_TIME + 500 + 60,
    });
    expect(result.sources.every((s) => s.subnet === "10.42.0.0/20" || s.subnet === "10.42.16.0/20")).toBe(true);
  });

  test("hostile flows mixed in are each reported against the promise they break, and refused probes are told apart", async () => {
    const hostile = hostileFlows(plan, FLOW_TIME + 1200);
    const result = await reviewFlowFiles([file([...benignLines(plan, 100), ...Object.values(hostile), ...benignLines(plan, 100)])], plan);
    expect(result.broken).toBe(true);
    expect(result.breaches.map((b) => [b.broken ? "BROKEN" : "refused", b.breach, b.action, b.source, b.destination, b.dstport])).toEqual([
      ["BROKEN", "office", "REJECT", "192.168.0.7", "10.42.240.5", 8883],
      ["BROKEN", "outside-vpc", "REJECT", "203.0.113.9", "10.42.0.10", 50001],
      ["BROKEN", "not-device-to-endpoint", "ACCEPT", "10.42.0.10", "10.42.16.11", 8883],
      ["BROKEN", "not-8883", "ACCEPT", "10.42.0.10", "10.42.240.5", 1883],
      ["refused", "not-8883", "REJECT", "10.42.0.10", "10.42.16.11", 22],
    ]);
    expect(result.sources.reduce((n, s) => n + s.accepted, 0)).toBe(100);
  });

  test("flows outside the promises that were all refused inside the VPC mean the firewall held: listed, exit 0", async () => {
    const { sshProbeRefused } = hostileFlows(plan, FLOW_TIME + 1200);
    const run = await flows(file([...benignLines(plan, 10), sshProbeRefused]), "--env", "dev");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^PASS\. No flow breaks the segment's promises$/m);
    expect(run.stdout).toMatch(/^\s+refused\s+not TCP 8883\s+REJECT\s+10\.42\.0\.10 -> 10\.42\.16\.11\s+tcp\/22\s+1\s/m);
  });

  test("`moat flows` on the hostile mix says FAIL in text, markdown and json, and exits 1", async () => {
    const path = file([...benignLines(plan, 20), ...Object.values(hostileFlows(plan, FLOW_TIME + 1200))], true);
    const text = await flows(path, "--env", "dev");
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^FAIL\. 4 flows break the segment's promises$/m);
    expect(text.stdout).toMatch(/^dev \(10\.42\.0\.0\/16\): 1 file, 25 records \(25 flows, 0 without data, 0 skipped by AWS\)$/m);
    expect(text.stdout).toMatch(/^\s+BROKEN\s+an office range\s+REJECT\s+192\.168\.0\.7 -> 10\.42\.240\.5\s+tcp\/8883/m);
    const markdown = await flows(path, "--env", "dev", "--format", "markdown");
    expect(markdown.code).toBe(1);
    expect(markdown.stdout).toMatch(/^## moat flows: :x: FAIL\./m);
    expect(markdown.stdout).toContain("| BROKEN | an address outside the VPC | REJECT | 203.0.113.9 -> 10.42.0.10 | tcp/50001 | 1 |");
    const json = await flows(path, "--env", "dev", "--format", "json");
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ env: "dev", verdict: "fail", records: 25, flows: 25 });
    expect(report.sources).toHaveLength(10);
    expect(report.breaches[0]).toMatchObject({ breach: "office", broken: true, promise: "an office range", first: "2026-12-04T10:20:00Z" });
  });

  test("more distinct hostile flows than groups are kept leave memory bounded: the rest are counted, not listed", async () => {
    const lines: string[] = [];
    for (let i = 0; i < MAX_BREACH_GROUPS + 50; i++)
      lines.push(
        recordLine({ srcaddr: `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`, dstaddr: "10.42.240.5", dstport: 8883, action: "REJECT" }),
      );
    const result = await reviewFlowFiles([file(lines)], plan);
    expect(result.breaches).toHaveLength(MAX_BREACH_GROUPS);
    expect(result.ungrouped).toEqual({ flows: 50, broken: 50 });
    expect(result.broken).toBe(true);
  });
});

describe.each(["dev", "prod"])("the shipped environment %s", (name) => {
  const own = loadEnvironment(name).network;
  const EXPECTED: Record<string, [string, boolean]> = {
    officeToBroker: ["office", true],
    internetToDevice: ["outside-vpc", true],
    plainMqttAccepted: ["not-8883", true],
    sshProbeRefused: ["not-8883", false],
    deviceToDeviceMqtt: ["not-device-to-endpoint", true],
  };

  test("its devices talking MQTT to its endpoints all come from its device subnets and break nothing", async () => {
    const result = await reviewFlowFiles([file([...benignLines(own, 3000)])], own);
    expect(result.broken).toBe(false);
    expect(new Set(result.sources.map((s) => s.subnet))).toEqual(new Set(own.deviceSubnets.map((s) => s.cidr)));
  });

  test.each(Object.keys(EXPECTED))("one added %s flow is reported against that promise, and only it", async (kind) => {
    const result = await reviewFlowFiles([file([...benignLines(own, 50), hostileFlows(own, FLOW_TIME)[kind]])], own);
    const [breach, broken] = EXPECTED[kind];
    expect(result.breaches.map((b) => [b.breach, b.broken])).toEqual([[breach, broken]]);
    expect(result.broken).toBe(broken);
  });
});

describe("the example records of AWS's flow-log documentation (Flow log record examples)", () => {
  // Verbatim from https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-records-examples.html (default format, version 2).
  const ACCEPTED = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
  const REJECTED = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK";
  const NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA";
  const SKIPDATA = "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA";
  /** The same record in moat's format: its 14 default fields come first, the six more are "-" (not recorded). */
  const moatFormat = (line: string) => `${line} - - - - - -`;

  test("in moat's field order, SSH and RDP are flows outside the VPC plan, NODATA and SKIPDATA are counted, not flows", async () => {
    const result = await reviewFlowFiles([file([HEADER, ...[ACCEPTED, REJECTED, NODATA, SKIPDATA].map(moatFormat)])], plan);
    expect(result).toMatchObject({ records: 4, flows: 2, noData: 1, skippedData: 1, broken: true, sources: [] });
    expect(
      result.breaches.map((b) => [b.breach, b.action, b.source, b.destination, b.protocol, b.dstport, b.bytes, b.first, b.last]),
    ).toEqual([
      ["outside-vpc", "ACCEPT", "172.31.16.139", "172.31.16.21", 6, 22, 4249, 1418530010, 1418530070],
      ["outside-vpc", "REJECT", "172.31.9.69", "172.31.9.12", 6, 3389, 4249, 1418530010, 1418530070],
    ]);
  });

  test("in the default format as printed, they give one error naming the file, the line and the format, exit 1", async () => {
    const path = file([ACCEPTED]);
    const run = await flows(path, "--env", "dev");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `moat flows: ${path}:1: not a flow-log record: 14 space-separated fields, moat's flow-log format has 20 (${HEADER}); moat flows reads VPC flow-log records in the format moat configures (docs/flows.md), plain or gzip\n`,
    );
  });
});

describe("input as it is exported", () => {
  test("a CloudWatch Logs export (timestamp before each record, CRLF) and an S3 text file (header, gzip) read together both count", async () => {
    const exported = file(
      mqttFlow(plan, 1, 0, FLOW_TIME)
        .map((l) => `2026-12-04T10:10:00.000Z ${l}\r`)
        .join("\n"),
    );
    const s3 = file([HEADER, ...mqttFlow(plan, 2, 1, FLOW_TIME + 100)], true);
    const result = await reviewFlowFiles([exported, s3], plan);
    expect(result).toMatchObject({ records: 4, flows: 4, broken: false });
    expect(result.sources.map((s) => s.source).sort()).toEqual(["10.42.0.11", "10.42.16.10"]);
  });

  test("a large input gets a progress line on stderr (never stdout)", async () => {
    const progress: string[] = [];
    await reviewFlowFiles([file([...benignLines(plan, 5000)])], plan, {
      progressMinBytes: 1,
      progressEveryMs: 0,
      onProgress: (p) => progress.push(`${p.records} ${p.fileNumber}/${p.files} ${p.fraction}`),
    });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe("5000 1/1 1");
  });
});

describe("bad input: one clear line naming the input, exit 1 (usage: 2), never a stack trace", () => {
  const good = recordLine({ srcaddr: "10.42.0.10", dstaddr: "10.42.240.5", srcport: 40000, dstport: 8883 });
  const cases: [string, () => string, RegExp][] = [
    [
      "a line in another format, mid-file",
      () => file([good, good, "hello world"]),
      /:3: not a flow-log record: 2 space-separated fields, moat's flow-log format has 20/,
    ],
    ["a bad port", () => file([good.replace(" 8883 ", " 88x3 ")]), /:1: not a flow-log record: dstport "88x3" is not a whole number/],
    [
      "an unknown action",
      () => file([good.replace(" ACCEPT ", " DROP ")]),
      /:1: not a flow-log record: action "DROP" is not ACCEPT or REJECT/,
    ],
    [
      "a header with other fields",
      () => file([FLOW_FIELDS.slice(0, 14).join(" ") + " instance-id", good]),
      /:1: the header names 15 fields, not moat's 20 \(missing vpc-id, subnet-id, tcp-flags, pkt-srcaddr, pkt-dstaddr, flow-direction; other fields instance-id\)/,
    ],
    [
      "a truncated gzip",
      () => {
        const whole = gzipSync([...benignLines(plan, 20000)].join("\n"));
        const path = join(work, "truncated.gz");
        writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
        return path;
      },
      /truncated\.gz: the gzip data is truncated or corrupt after line \d+ \(unexpected end of file\); copy the file again$/,
    ],
    [
      "a binary file with no line break (memory must not fill)",
      () => file("x".repeat(3 * 1024 * 1024)),
      /:1: not a flow-log record: more than 65,536 characters without a line break/,
    ],
    [
      "a Parquet file",
      () => file("PAR1\u0000\u0000junkPAR1"),
      /: a Parquet file; moat flows reads VPC flow-log records .*saved Athena queries/,
    ],
    ["a missing file", () => join(work, "absent.log"), /absent\.log: cannot read it \(ENOENT\); check the path and its permissions/],
    ["a directory", () => work, /: not a regular file; give flow-log files/],
  ];
  test.each(cases)("%s", async (_name, make, message) => {
    const run = await flows(make(), "--env", "dev");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.split("\n").filter(Boolean)).toEqual([expect.stringMatching(message)]);
    expect(run.stderr).toMatch(/^moat flows: /);
  });

  test.each([
    ["no --env", ["x.log"], /--env is required/],
    ["no file", ["--env", "dev"], /give at least one flow-log FILE/],
    ["an unknown format", ["x.log", "--env", "dev", "--format", "sarif"], /--format sarif is not one of text, markdown, json/],
  ])("usage: %s, exit 2", async (_name, args, message) => {
    const run = await flows(...(args as string[]));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message as RegExp);
  });

  test("as a process, a truncated gzip ends in one line and exit 1, with no stack trace", () => {
    const whole = gzipSync([...benignLines(plan, 2000)].join("\n"));
    const path = join(work, "cut.gz");
    writeFileSync(path, whole.subarray(0, whole.length - 9));
    const run = runMoat(["flows", path, "--env", "dev"]);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });
});
