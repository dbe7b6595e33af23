import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASE_DEV, devWithoutSuppressions, FIXTURE_DEV, moat, tempFile, writeOut } from "./cli-support";
import { MOAT_PACK } from "../../review/pack";
import { moatStack } from "./fixture-stack";
import { expectInvalidSarif, expectValidSarif } from "./sarif-validation";
import { builtCli } from "../support/run-moat";
import { scratchDir } from "../support/scratch";

/** The fixture with 8883 open to the world. */
function openStack() {
  const stack = moatStack();
  stack.resource.aws_vpc_security_group_ingress_rule.broker_mqtt.cidr_ipv4 = "0.0.0.0/0";
  return stack;
}

describe("moat review: exit codes", () => {
  test("exits 0 on a clean stack and prints PASS", async () => {
    const run = await moat("review", writeOut({ "iot-test": moatStack() }), ...FIXTURE_DEV);
    // The one finding is TLS-3's warning: iot:Data-ATS is outside every plan.
    expect(run.stdout).toMatch(/^PASS\. 1 stack, 1 finding \(0 blocking/m);
    expect(run.code).toBe(0);
  });

  test("exits 1 on an error finding, naming rule and resource", async () => {
    const run = await moat("review", writeOut({ "iot-test": openStack() }), ...FIXTURE_DEV);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ERROR\s+FW-2\s+aws_vpc_security_group_ingress_rule\.broker_mqtt: allows 0\.0\.0\.0\/0/);
  });

  test("exits 0 on warnings alone", async () => {
    const stack = moatStack();
    delete stack.resource.aws_security_group.devices.description;
    const run = await moat("review", writeOut({ "iot-test": stack }), ...FIXTURE_DEV);
    expect(run.stdout).toMatch(/warn\s+FW-4\s+aws_security_group\.devices/);
    expect(run.code).toBe(0);
  });

  test("treats an unknown as blocking: exit 1 when the office CIDRs cannot be checked", async () => {
    const run = await moat("review", writeOut({ "no-env": moatStack() }));
    expect(run.stdout).toMatch(/ERROR\s+NET-6\s+stack: unknown until apply, so not a pass/);
    expect(run.code).toBe(1);
  });

  test("reviews every stack of a cdktf.out, a stack directory, or a single file", async () => {
    const out = writeOut({ "iot-a": moatStack(), "iot-b": openStack() });
    expect((await moat("review", out, ...FIXTURE_DEV)).stdout).toMatch(/2 stacks/);
    expect((await moat("review", join(out, "stacks", "iot-a"), ...FIXTURE_DEV)).code).toBe(0);
    expect((await moat("review", join(out, "stacks", "iot-b", "cdk.tf.json"), ...FIXTURE_DEV)).code).toBe(1);
  });

  test("reviews a plan JSON file (terraform show -json), naming the plan's address", async () => {
    // A real plan (test/fixtures/plans, made by `npm run plans`) of the fixture with 8883 open to the world.
    const plan = readFileSync(join(__dirname, "..", "fixtures", "plans", "fixture.fw-2.0-0-0-0-0-on-8883.json"), "utf8");
    const run = await moat("review", tempFile("plan.json", plan), ...FIXTURE_DEV, "--format", "json");
    const report = JSON.parse(run.stdout);
    expect(report.stacks[0]).toMatchObject({ stack: "iot-dev", format: "plan" });
    expect(report.stacks[0].findings).toContainEqual(
      expect.objectContaining({ rule: "FW-2", resource: "aws_vpc_security_group_ingress_rule.broker_mqtt", blocking: true }),
    );
    expect(run.code).toBe(1);
  });

  test("writes the report atomically with --out", async () => {
    const file = join(scratchDir("moat-out-"), "review.sarif");
    const run = await moat("review", writeOut({ "iot-test": openStack() }), ...FIXTURE_DEV, "--format", "sarif", "--out", file);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expectValidSarif(JSON.parse(readFileSync(file, "utf8")));
  });
});

describe("moat review: refused input is one line", () => {
  test("an --out path that cannot be written: exit 1, nothing written", async () => {
    const run = await moat(
      "review",
      writeOut({ "iot-test": moatStack() }),
      ...FIXTURE_DEV,
      "--out",
      join(tmpdir(), "moat-no-such-dir", "r.md"),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^moat review: --out .*r\.md: cannot write the report \(ENOENT\); give a path in an existing, writable directory\n$/,
    );
  });

  test("an environment that does not exist: exit 1", async () => {
    const run = await moat("review", writeOut({ "iot-test": moatStack() }), "--env", "nope");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/nope\.yaml: no such environment file/);
  });
});

/** Terraform JSON with one attribute nested `depth` lists deep: JSON.parse takes it, recursion cannot follow it. */
function deepStack(depth = 50_000): string {
  return `{"resource":{"aws_vpc":{"v":{"cidr_block":"10.0.0.0/16","tags":${"[".repeat(depth)}${"]".repeat(depth)}}}}}`;
}

/** A plan whose one planned resource has an attribute nested `depth` lists deep. */
function deepPlan(depth = 50_000): string {
  const values = `{"cidr_block":"10.0.0.0/16","tags":${"[".repeat(depth)}${"]".repeat(depth)}}`;
  return `{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_vpc.v","type":"aws_vpc","name":"v","mode":"managed","values":${values}}]}},"resource_changes":[]}`;
}

describe("moat review: malformed input is one line and exit 2", () => {
  const cases: [string, () => string[], RegExp][] = [
    ["a file that is not JSON", () => [tempFile("cdk.tf.json", "{ not json")], /cdk\.tf\.json: not JSON \(/],
    ["JSON of the wrong shape", () => [tempFile("cdk.tf.json", JSON.stringify({ hello: "world" }))], /JSON of the wrong shape/],
    ["JSON that is a list", () => [tempFile("x.json", "[1, 2]")], /JSON of the wrong shape/],
    [
      "a bad resource block",
      () => [tempFile("cdk.tf.json", JSON.stringify({ resource: { aws_vpc: [1] } }))],
      /"resource\.aws_vpc" is not an object/,
    ],
    [
      "an empty directory",
      () => [scratchDir("moat-empty-")],
      /no cdk\.tf\.json in it or in its stacks\/\*\/ directories; run 'npx cdktf synth' first/,
    ],
    ["a path that does not exist", () => [join(tmpdir(), "moat-does-not-exist")], /no such file or directory/],
    [
      "a cdk.tf.json value nested 50,000 deep",
      () => [tempFile("cdk.tf.json", deepStack())],
      /cdk\.tf\.json: a value nests too deeply to review/,
    ],
    ["a plan value nested 50,000 deep", () => [tempFile("plan.json", deepPlan())], /plan\.json: a value nests too deeply to review/],
    [
      "a base whose value is nested 50,000 deep",
      () => [writeOut({ "iot-test": moatStack() }), ...FIXTURE_DEV, "--base", writeOut({ "iot-test": deepStack() }), ...BASE_DEV],
      /stacks\/iot-test\/cdk\.tf\.json: a value nests too deeply to review/,
    ],
    [
      "an unknown format",
      () => [tempFile("cdk.tf.json", "{}"), "--format", "html"],
      /--format html is not one of text, markdown, json, sarif/,
    ],
    ["an unknown option", () => ["--colour"], /Unknown option '--colour'/],
  ];
  test.each(cases)("%s", async (_what, args, message) => {
    const run = await moat("review", ...args());
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^moat review: /);
    expect(run.stderr).not.toMatch(/^moat review: moat /);
    expect(run.stderr).toMatch(message);
  });

  test("holds as a real process: exit status 2, no stack trace", () => {
    const bad = tempFile("cdk.tf.json", "{ not json");
    const result = spawnSync(process.execPath, [builtCli(), "review", bad], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^moat review: .*cdk\.tf\.json: not JSON/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test("prints help", async () => {
    const run = await moat("review", "--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--format text\|markdown\|json\|sarif/);
  });
});

describe("moat review: the four formats name the rule and the resource", () => {
  test.each(["text", "markdown", "json", "sarif"])("%s", async (format) => {
    const run = await moat("review", writeOut({ "iot-test": openStack() }), ...FIXTURE_DEV, "--format", format);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("FW-2");
    expect(run.stdout).toContain("aws_vpc_security_group_ingress_rule.broker_mqtt");
  });

  test("json: structured findings with file, line and construct path", async () => {
    const run = await moat("review", writeOut({ "iot-test": openStack() }), ...FIXTURE_DEV, "--format", "json");
    const report = JSON.parse(run.stdout);
    expect(report.passed).toBe(false);
    const finding = report.stacks[0].findings.find((f: { rule: string }) => f.rule === "FW-2");
    expect(finding).toMatchObject({
      severity: "error",
      status: "fail",
      blocking: true,
      resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
      constructPath: "iot-test/broker/endpoint/security-group/from-device-tcp-8883",
    });
    expect(finding.line).toBeGreaterThan(1);
    expect(report.rules).toHaveLength(MOAT_PACK.length);
  });

  test("sarif: valid 2.1.0 with rule metadata, levels and locations", async () => {
    const stack = openStack();
    delete stack.resource.aws_security_group.devices.description;
    const run = await moat("review", writeOut({ "iot-test": stack }), ...FIXTURE_DEV, "--format", "sarif");
    const log = JSON.parse(run.stdout);
    expectValidSarif(log);
    expect(log.version).toBe("2.1.0");
    const driver = log.runs[0].tool.driver;
    expect(driver.rules.map((r: { id: string }) => r.id)).toContain("AUTHZ-3");
    const fw2 = log.runs[0].results.find((r: { ruleId: string }) => r.ruleId === "FW-2");
    expect(driver.rules[fw2.ruleIndex].id).toBe("FW-2");
    expect(fw2.level).toBe("error");
    expect(fw2.locations[0].physicalLocation.artifactLocation.uri).toMatch(/stacks\/iot-test\/cdk\.tf\.json$/);
    expect(fw2.locations[0].physicalLocation.region.startLine).toBeGreaterThan(1);
    expect(fw2.locations[0].logicalLocations[0].name).toBe("aws_vpc_security_group_ingress_rule.broker_mqtt");
    expect(log.runs[0].results.find((r: { ruleId: string }) => r.ruleId === "FW-4").level).toBe("warning");
  });

  test("the SARIF check can fail: a log without runs is refused", () => {
    expectInvalidSarif({ version: "2.1.0" });
    expectInvalidSarif({ version: "2.1.0", runs: [{ tool: {} }] });
  });

  test("markdown: a pull-request comment with a findings table", async () => {
    const run = await moat("review", writeOut({ "iot-test": openStack() }), ...FIXTURE_DEV, "--format", "markdown");
    expect(run.stdout).toMatch(/^<!-- moat-review -->\n## moat review/);
    expect(run.stdout).toMatch(/\| :x: error \| FW-2 \| `aws_vpc_security_group_ingress_rule\.broker_mqtt` \| allows 0\.0\.0\.0\/0/);
  });
});

describe("moat review: suppressions", () => {
  const suppressionFile = (entries: object[]) => tempFile("review.yaml", JSON.stringify({ suppressions: entries }));
  const fw2 = {
    rule: "FW-2",
    resource: "aws_vpc_security_group_ingress_rule.broker_mqtt",
    reason: "A public test broker for the lab, torn down every night.",
  };

  test.each(["text", "markdown", "json", "sarif"])("accepts a finding and lists the suppression in %s", async (format) => {
    const run = await moat(
      "review",
      writeOut({ "iot-test": openStack() }),
      ...FIXTURE_DEV,
      "--suppressions",
      suppressionFile([fw2]),
      "--format",
      format,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("A public test broker for the lab, torn down every night.");
    if (format === "sarif") {
      const log = JSON.parse(run.stdout);
      expectValidSarif(log);
      expect(log.runs[0].results.find((r: { ruleId: string }) => r.ruleId === "FW-2").suppressions[0].kind).toBe("external");
    }
  });

  test("refuses a construct path: the reviewed file writes those itself (exit 1, one line)", async () => {
    const byPath = { ...fw2, resource: "iot-test/broker/endpoint/security-group/from-device-tcp-8883" };
    const run = await moat("review", writeOut({ "iot-test": openStack() }), ...FIXTURE_DEV, "--suppressions", suppressionFile([byPath]));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is a construct path; suppressions match Terraform addresses only/);
  });

  test.each([
    ["an unknown rule id", { ...fw2, rule: "FW-9" }, /unknown rule id "FW-9"; known ids are NET-1/],
    ["a reason under a sentence", { ...fw2, reason: "lab" }, /reason "lab" is under a sentence/],
    [
      "a suppression matching nothing",
      { ...fw2, resource: "aws_security_group_rule.nothing" },
      /suppression matches no finding: FW-2 on aws_security_group_rule\.nothing/,
    ],
  ])("refuses %s (exit 1, one line)", async (_what, entry, message) => {
    const run = await moat("review", writeOut({ "iot-test": openStack() }), ...FIXTURE_DEV, "--suppressions", suppressionFile([entry]));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });

  test.each([
    ["not YAML", "suppressions: [", /cannot read suppressions/],
    ["no list", "rules: []", /no "suppressions:" list/],
    ["an entry without reason", "suppressions:\n  - rule: FW-2\n", /suppressions\[0\]\.reason must be a string/],
  ])("refuses a suppressions file that is %s", async (_what, text, message) => {
    const run = await moat("review", writeOut({ "iot-test": moatStack() }), ...FIXTURE_DEV, "--suppressions", tempFile("s.yaml", text));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
  });

  test("reads review.suppressions from the environment file, for that environment's stack", async () => {
    const dir = scratchDir("moat-envs-");
    writeFileSync(
      join(dir, "dev.yaml"),
      `${devWithoutSuppressions()}\nreview:\n  suppressions:\n    - rule: FW-2\n      resource: aws_vpc_security_group_ingress_rule.broker_mqtt\n      reason: ${fw2.reason}\n`,
    );
    const run = await moat("review", writeOut({ "iot-dev": openStack() }), "--environments-dir", dir);
    expect(run.stdout).toMatch(/Suppressions:\n {2}FW-2 on aws_vpc_security_group_ingress_rule\.broker_mqtt \(.*dev\.yaml, 1 finding\)/);
    expect(run.code).toBe(0);
  });
});

describe("moat review --base: what a pull request changes", () => {
  test("lists changed resources and new, fixed and unchanged findings", async () => {
    const baseStack = moatStack();
    delete baseStack.resource.aws_security_group.devices.description;
    baseStack.resource.aws_cloudwatch_log_group.flow.retention_in_days = 30;
    const headStack = openStack();
    delete headStack.resource.aws_security_group.devices.description;
    headStack.resource.aws_internet_gateway = { igw: { vpc_id: "${aws_vpc.vpc.id}" } };
    const base = writeOut({ "iot-test": baseStack });
    const head = writeOut({ "iot-test": headStack });

    const json = JSON.parse((await moat("review", head, "--base", base, ...FIXTURE_DEV, ...BASE_DEV, "--format", "json")).stdout);
    expect(json.diff.stacks).toEqual([
      {
        stack: "iot-test",
        presence: "both",
        added: ["aws_internet_gateway.igw"],
        opened: [],
        removed: [],
        changed: expect.arrayContaining(["aws_vpc_security_group_ingress_rule.broker_mqtt", "aws_cloudwatch_log_group.flow"]),
        changes: expect.arrayContaining([
          { address: "aws_cloudwatch_log_group.flow", attributes: [{ path: "retention_in_days", before: "30", after: "365" }] },
          {
            address: "aws_vpc_security_group_ingress_rule.broker_mqtt",
            attributes: [{ path: "cidr_ipv4", before: '"10.42.0.0/20"', after: '"0.0.0.0/0"' }],
          },
        ]),
      },
    ]);
    expect(json.diff.stacks[0].changes).toHaveLength(2);
    expect(json.diff.newFindings.map((f: { rule: string }) => f.rule).sort()).toEqual(["FW-2", "NET-1"]);
    expect(json.diff.fixedFindings.map((f: { rule: string }) => f.rule)).toEqual(["LOG-2"]);
    expect(json.diff.unchangedFindings.map((f: { rule: string }) => f.rule)).toEqual(["FW-4", "TLS-3"]);

    const markdown = (await moat("review", head, "--base", base, ...FIXTURE_DEV, ...BASE_DEV, "--format", "markdown")).stdout;
    expect(markdown).toMatch(/### New findings \(2\)/);
    expect(markdown).toMatch(/### Fixed findings \(1\)[\s\S]*LOG-2/);
    expect(markdown).toMatch(/\| iot-test \| `aws_internet_gateway\.igw` \|/);
    expect(markdown).toContain("#### Changed attributes\n\n");
    expect(markdown).toContain(
      '- `iot-test` `aws_vpc_security_group_ingress_rule.broker_mqtt`\n  - `cidr_ipv4: "10.42.0.0/20" → "0.0.0.0/0"`',
    );

    const sarif = JSON.parse((await moat("review", head, "--base", base, ...FIXTURE_DEV, ...BASE_DEV, "--format", "sarif")).stdout);
    expectValidSarif(sarif);
    const states = Object.fromEntries(
      sarif.runs[0].results.map((r: { ruleId: string; baselineState: string }) => [r.ruleId, r.baselineState]),
    );
    expect(states).toMatchObject({ "FW-2": "new", "NET-1": "new", "FW-4": "unchanged" });

    const text = (await moat("review", head, "--base", base, ...FIXTURE_DEV, ...BASE_DEV)).stdout;
    expect(text).toMatch(/\+ aws_internet_gateway\.igw/);
    expect(text).toContain("    ~ aws_cloudwatch_log_group.flow\n        retention_in_days: 30 -> 365\n");
    expect(text).toMatch(/fixed LOG-2 iot-test aws_cloudwatch_log_group\.flow/);
  });

  test("summarizes a stack that only the base has instead of listing its resources", async () => {
    const base = writeOut({ "iot-test": moatStack(), "iot-gone": moatStack() });
    const head = writeOut({ "iot-test": moatStack() });
    const text = (await moat("review", head, "--base", base, ...FIXTURE_DEV, ...BASE_DEV)).stdout;
    expect(text).toMatch(/iot-gone: only in base \(\d+ resources\): a removed stack, or one not reviewed here/);
    expect(text).not.toMatch(/- aws_vpc\.vpc/);
    const markdown = (await moat("review", head, "--base", base, ...FIXTURE_DEV, ...BASE_DEV, "--format", "markdown")).stdout;
    expect(markdown).toMatch(/`iot-gone` is only in the base/);
  });

  test("says so when nothing changed", async () => {
    const out = writeOut({ "iot-test": moatStack() });
    const markdown = (await moat("review", out, "--base", out, ...FIXTURE_DEV, ...BASE_DEV, "--format", "markdown")).stdout;
    expect(markdown).toMatch(/### What this pull request changes\n\nNo resource changes\./);
  });

  test("refuses an empty base directory with exit 2", async () => {
    const run = await moat("review", writeOut({ "iot-test": moatStack() }), ...FIXTURE_DEV, "--base", scratchDir("moat-empty-"));
    expect(run.code).toBe(2);
  });
});
