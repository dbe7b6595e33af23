import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sharedSynthDir } from "../support/built-package";
import { moat, writeOut } from "./cli-support";
import { Json } from "./fixture-stack";
import { expectValidSarif } from "./sarif-validation";
import { scratchDir } from "../support/scratch";

// The real environment stacks, synthesized the way `moat synth` / `cdktf synth` write them.
// The shipped stacks, synthesized once for every suite that reads them (read only).
const outdir = sharedSynthDir();

const devJson = (): Json => JSON.parse(readFileSync(join(outdir, "stacks", "iot-dev", "cdk.tf.json"), "utf8"));
/** The one resource of a type (the shipped stack has exactly one of each used here). */
const only = (stack: Json, type: string): [string, Json] => {
  const entries = Object.entries(stack.resource[type] as Record<string, Json>);
  return entries[0];
};

describe("the shipped environments", () => {
  test("review clean: dev and prod, exit 0, TLS-1 passing with no suppression and TLS-3's warning naming the one command", async () => {
    const run = await moat("review", outdir);
    expect(run.stdout).toMatch(/^PASS\. 2 stacks, 2 findings \(0 blocking, 0 suppressed\)/m);
    expect(run.code).toBe(0);
    const json = JSON.parse((await moat("review", outdir, "--format", "json")).stdout);
    for (const env of ["dev", "prod"]) {
      const stack = json.stacks.find((s: Json) => s.stack === `iot-${env}`);
      // The broker's own DATA domain configuration carries the TLS policy: TLS-1 passes. What no
      // plan can set, iot:Data-ATS, is TLS-3's warning with the command and this stack's policy.
      expect(stack.findings).toEqual([
        expect.objectContaining({
          rule: "TLS-3",
          severity: "warn",
          blocking: false,
          resource: "aws_vpc_endpoint.broker_endpoint_8C30445F",
          message: expect.stringMatching(
            /aws iot update-domain-configuration --domain-configuration-name iot:Data-ATS --tls-config securityPolicy=IoTSecurityPolicy_TLS13_1_2_2022_10$/,
          ),
        }),
      ]);
      expect(stack.findings[0].suppressed).toBeNull();
    }
    expect(json.suppressions).toEqual([]);
  });

  test("are what the rules expect to see: a broker endpoint, device subnets, IoT policies, a flow log", () => {
    const stack = devJson();
    expect(Object.values(stack.resource.aws_vpc_endpoint as Record<string, Json>).map((e) => e.service_name)).toEqual([
      "com.amazonaws.eu-west-1.iot.data",
    ]);
    expect(Object.values(stack.resource.aws_subnet as Record<string, Json>).filter((s) => s.tags["moat:role"] === "device")).toHaveLength(
      2,
    );
    expect(Object.keys(stack.resource.aws_iot_policy).length).toBeGreaterThan(1);
    expect(Object.keys(stack.resource.aws_flow_log)).toHaveLength(1);
  });
});

/** Ways to break the synthesized dev stack; each names the rule and resource that must be reported. */
const BREAKS: { name: string; rule: string; apply: (stack: Json) => string }[] = [
  {
    name: "8883 open to 0.0.0.0/0",
    rule: "FW-2",
    apply: (s) => {
      const [name, rule] = only(s, "aws_vpc_security_group_ingress_rule");
      rule.cidr_ipv4 = "0.0.0.0/0";
      return `aws_vpc_security_group_ingress_rule.${name}`;
    },
  },
  {
    name: "a 1883 rule",
    rule: "FW-1",
    apply: (s) => {
      const [, rule] = only(s, "aws_vpc_security_group_ingress_rule");
      s.resource.aws_vpc_security_group_ingress_rule.plain_mqtt = { ...rule, from_port: 1883, to_port: 1883, description: "plain MQTT" };
      return "aws_vpc_security_group_ingress_rule.plain_mqtt";
    },
  },
  {
    name: "an internet gateway route",
    rule: "NET-2",
    apply: (s) => {
      const [vpc] = only(s, "aws_vpc");
      const [table] = only(s, "aws_route_table");
      s.resource.aws_internet_gateway = { igw: { vpc_id: `\${aws_vpc.${vpc}.id}` } };
      s.resource.aws_route = {
        to_internet: {
          route_table_id: `\${aws_route_table.${table}.id}`,
          destination_cidr_block: "0.0.0.0/0",
          gateway_id: "${aws_internet_gateway.igw.id}",
        },
      };
      return "aws_route.to_internet";
    },
  },
  {
    name: "no flow log",
    rule: "LOG-1",
    apply: (s) => {
      delete s.resource.aws_flow_log;
      return `aws_vpc.${only(s, "aws_vpc")[0]}`;
    },
  },
  {
    name: "* in an IoT policy",
    rule: "AUTHZ-1",
    apply: (s) => {
      const [name, policy] = Object.entries(s.resource.aws_iot_policy as Record<string, Json>).find(([, p]) =>
        p.policy.includes("iot:Publish"),
      )!;
      policy.policy = policy.policy.replace('"iot:Publish"', '"iot:*"');
      return `aws_iot_policy.${name}`;
    },
  },
  {
    name: "a private key",
    rule: "AUTH-2",
    apply: (s) => {
      // Made here and now, never committed: the review must find any PEM private key.
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      s.output.device_key = { value: privateKey.export({ type: "pkcs8", format: "pem" }), sensitive: true };
      return "output.device_key";
    },
  },
  {
    name: "a 7-day log retention",
    rule: "LOG-2",
    apply: (s) => {
      const [name, group] = Object.entries(s.resource.aws_cloudwatch_log_group as Record<string, Json>).find(([, g]) =>
        String(g.name).includes("flow"),
      )!;
      group.retention_in_days = 7;
      return `aws_cloudwatch_log_group.${name}`;
    },
  },
];

describe.each(BREAKS)("breaking the synthesized dev stack: $name", ({ rule, apply }) => {
  const stack = devJson();
  const resource = apply(stack);
  const out = writeOut({ "iot-dev": stack });

  test("text names rule and resource, exit 1", async () => {
    const run = await moat("review", out, "--format", "text");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`ERROR\\s+${rule}\\s+${resource.replace(/[.[\]]/g, "\\$&")}: `));
  });

  test("markdown names rule and resource, exit 1", async () => {
    const run = await moat("review", out, "--format", "markdown");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`| :x: error | ${rule} | \`${resource}\` |`);
  });

  test("json names rule and resource, exit 1", async () => {
    const run = await moat("review", out, "--format", "json");
    expect(run.code).toBe(1);
    const findings = JSON.parse(run.stdout).stacks[0].findings;
    expect(findings).toContainEqual(expect.objectContaining({ rule, resource, blocking: true }));
  });

  test("sarif is valid 2.1.0 and names rule and resource, exit 1", async () => {
    const run = await moat("review", out, "--format", "sarif");
    expect(run.code).toBe(1);
    const log = JSON.parse(run.stdout);
    expectValidSarif(log);
    const result = log.runs[0].results.find((r: Json) => r.ruleId === rule && r.locations[0].logicalLocations[0].name === resource);
    expect(result).toMatchObject({ level: "error" });
    expect(result.message.text).toContain(resource);
  });
});

test("all seven breaks at once are all reported", async () => {
  const stack = devJson();
  const expected = BREAKS.map((b) => ({ rule: b.rule, resource: b.apply(stack) }))
    // Without a flow log there is no flow-log group left to judge: LOG-1 reports the VPC instead.
    .filter((e) => e.rule !== "LOG-2");
  const file = join(scratchDir("moat-broken-"), "cdk.tf.json");
  writeFileSync(file, JSON.stringify(stack));
  const run = await moat("review", file, "--env", "dev", "--format", "json");
  expect(run.code).toBe(1);
  const findings = JSON.parse(run.stdout).stacks[0].findings;
  for (const e of expected) expect(findings).toContainEqual(expect.objectContaining(e));
});
