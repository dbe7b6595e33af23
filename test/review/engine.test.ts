import { spawnSync } from "node:child_process";
import { review, runRules } from "../../review/engine";
import { loadCdktfJson } from "../../review/load-cdktf";
import { MOAT_PACK } from "../../review/pack";
import { RuleDefinition } from "../../review/rule";
import { FIXTURE_CONTEXT, moatStack } from "./fixture-stack";

const model = () => loadCdktfJson(moatStack(), "fixture/cdk.tf.json", "iot-test", JSON.stringify(moatStack(), null, 2));

const throwing: RuleDefinition = {
  id: "TEST-1",
  severity: "error",
  title: "a rule with a bug",
  why: "to show that a broken rule cannot hide a violation",
  fix: "fix the rule",
  matches: [],
  check: () => {
    throw new TypeError("Cannot read properties of undefined (reading 'cidr_block')");
  },
};

describe("the rule engine", () => {
  test("turns a rule that throws into a blocking finding instead of a crash", () => {
    const findings = runRules(model(), FIXTURE_CONTEXT, [throwing, ...MOAT_PACK]);
    expect(findings).toEqual([
      expect.objectContaining({
        rule: "TEST-1",
        status: "rule-error",
        severity: "error",
        resource: "stack",
        message: "rule TEST-1 failed on stack iot-test: Cannot read properties of undefined (reading 'cidr_block')",
      }),
      expect.objectContaining({ rule: "TLS-3", severity: "warn" }),
    ]);
    expect(review([{ model: model(), context: FIXTURE_CONTEXT }], [], [throwing]).blocking).toHaveLength(1);
  });

  test("runs the other rules after one throws", () => {
    const stack = moatStack();
    stack.resource.aws_subnet.device.map_public_ip_on_launch = true;
    const findings = runRules(loadCdktfJson(stack, "f", "iot-test"), FIXTURE_CONTEXT, [throwing, ...MOAT_PACK]);
    expect(findings.map((f) => f.rule)).toEqual(["TEST-1", "NET-3", "TLS-3"]);
  });

  test("has one rule per row of SECURITY-RULES.md, each with its metadata", () => {
    expect(MOAT_PACK.map((r) => r.id)).toEqual([
      "NET-1",
      "NET-2",
      "NET-3",
      "NET-4",
      "NET-5",
      "NET-6",
      "NET-7",
      "FW-1",
      "FW-2",
      "FW-3",
      "FW-4",
      "TLS-1",
      "TLS-2",
      "TLS-3",
      "AUTH-1",
      "AUTH-2",
      "AUTH-3",
      "AUTHZ-1",
      "AUTHZ-2",
      "AUTHZ-3",
      "AUTHZ-4",
      "LOG-1",
      "LOG-2",
      "LOG-3",
      "LOG-4",
      "LOG-5",
      "MON-1",
      "MQ-1",
      "CW-1",
    ]);
    for (const rule of MOAT_PACK) {
      expect(rule.title.length).toBeGreaterThan(10);
      expect(rule.why.length).toBeGreaterThan(20);
      expect(rule.fix.length).toBeGreaterThan(10);
    }
    expect(MOAT_PACK.filter((r) => r.severity === "warn").map((r) => r.id)).toEqual(["FW-4", "TLS-3", "MON-1"]);
  });

  test("locates findings: line of the resource, construct path from the file", () => {
    const stack = moatStack();
    stack.resource.aws_subnet.device.map_public_ip_on_launch = true;
    const text = JSON.stringify(stack, null, 2);
    const [finding] = runRules(loadCdktfJson(stack, "f", "iot-test", text), FIXTURE_CONTEXT);
    const line = text.split("\n").findIndex((l) => l.includes('"device": {') && l.startsWith("      ")) + 1;
    expect(finding.location).toEqual({ file: "f", line, constructPath: "iot-test/network/device-subnet-0" });
  });
});

describe("suppressions in the engine", () => {
  const reason = "The TLS policy of iot:Data-ATS is set once per account with aws iot update-domain-configuration.";

  test("accepts a TLS-1 finding on the endpoint of a stack without a domain configuration, and counts the match", () => {
    const stack = moatStack();
    delete stack.resource.aws_iot_domain_configuration;
    const tls1 = { rule: "TLS-1", resource: "aws_vpc_endpoint.endpoint", reason, source: "test" };
    const result = review([{ model: loadCdktfJson(stack, "f", "iot-test"), context: FIXTURE_CONTEXT }], [tls1]);
    expect(result.stacks[0].findings).toEqual([
      expect.objectContaining({ rule: "TLS-1", resource: "aws_vpc_endpoint.endpoint", status: "fail", suppression: tls1 }),
      expect.objectContaining({ rule: "TLS-3", severity: "warn", status: "fail" }),
    ]);
    expect(result.blocking).toEqual([]);
    expect(result.suppressions).toEqual([{ suppression: tls1, matched: 1 }]);
  });

  test("blocks on the same stack without the suppression", () => {
    const stack = moatStack();
    delete stack.resource.aws_iot_domain_configuration;
    expect(review([{ model: loadCdktfJson(stack, "f", "iot-test"), context: FIXTURE_CONTEXT }]).blocking.map((f) => f.rule)).toEqual([
      "TLS-1",
    ]);
  });
});

describe("review/ as a plain library", () => {
  test("loads no cdktf, constructs or provider module (so it runs on any Terraform JSON, cdktn included)", () => {
    const script = `require("tsx/cjs"); require("./review"); console.log(Object.keys(require.cache).filter((k) => /node_modules\\/(cdktf|constructs|@cdktf)\\//.test(k)).length);`;
    const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("0");
  });
});
