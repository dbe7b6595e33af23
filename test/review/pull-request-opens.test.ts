// What a pull request's report shows for what it adds: the flows an added resource opens, long lists collapsed, a suppressed finding once.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_DEV, FIXTURE_DEV, moat, writeOut } from "./cli-support";
import { moatStack } from "./fixture-stack";
import { scratchDir } from "../support/scratch";

/** The fixture stack plus an SSH rule on the devices' group, a network ACL allow and a route. */
function withOpenings() {
  const stack = moatStack();
  stack.resource.aws_vpc_security_group_ingress_rule.ssh = {
    security_group_id: "${aws_security_group.devices.id}",
    ip_protocol: "tcp",
    from_port: 22,
    to_port: 22,
    cidr_ipv4: "10.0.0.0/8",
  };
  stack.resource.aws_network_acl_rule.device_ingress_ssh = {
    network_acl_id: "${aws_network_acl.device.id}",
    egress: false,
    rule_number: 300,
    rule_action: "allow",
    protocol: "6",
    cidr_block: "10.0.0.0/8",
    from_port: 22,
    to_port: 22,
  };
  stack.resource.aws_route = {
    out: {
      route_table_id: "${aws_route_table.device.id}",
      destination_cidr_block: "0.0.0.0/0",
      gateway_id: "${aws_internet_gateway.igw.id}",
    },
  };
  stack.resource.aws_internet_gateway = { igw: { vpc_id: "${aws_vpc.vpc.id}" } };
  return stack;
}

describe("moat review --base: added resources show what they open", () => {
  const base = writeOut({ "iot-test": moatStack() });
  const head = writeOut({ "iot-test": withOpenings() });

  test("for a pull request adding an SSH rule, an ACL allow and a route, the text report shows each flow beside its address", async () => {
    const text = (await moat("review", head, "--base", base, ...FIXTURE_DEV, ...BASE_DEV)).stdout;
    expect(text).toContain("    + aws_vpc_security_group_ingress_rule.ssh  opens tcp/22 from 10.0.0.0/8\n");
    expect(text).toContain("    + aws_network_acl_rule.device_ingress_ssh  opens allow tcp/22 from 10.0.0.0/8 (rule 300)\n");
    expect(text).toContain("    + aws_route.out  opens route 0.0.0.0/0 -> aws_internet_gateway.igw\n");
    expect(text).toContain("    + aws_internet_gateway.igw\n");
  });

  test("for that pull request, the pull-request comment and the JSON report say the same", async () => {
    const markdown = (await moat("review", head, "--base", base, ...FIXTURE_DEV, ...BASE_DEV, "--format", "markdown")).stdout;
    expect(markdown).toContain("`aws_vpc_security_group_ingress_rule.ssh` opens `tcp/22 from 10.0.0.0/8`");
    const json = JSON.parse((await moat("review", head, "--base", base, ...FIXTURE_DEV, ...BASE_DEV, "--format", "json")).stdout);
    expect(json.diff.stacks[0].opened).toContainEqual({
      address: "aws_vpc_security_group_ingress_rule.ssh",
      opens: ["tcp/22 from 10.0.0.0/8"],
    });
  });

  test("a new stack of many resources has a table cell that lists ten and counts the rest", async () => {
    const markdown = (
      await moat(
        "review",
        writeOut({ "iot-test": moatStack(), "iot-new": moatStack() }),
        "--base",
        base,
        ...FIXTURE_DEV,
        ...BASE_DEV,
        "--format",
        "markdown",
      )
    ).stdout;
    const row = markdown.split("\n").find((line) => line.startsWith("| iot-new |"))!;
    expect(row.split("<br>")).toHaveLength(11);
    expect(row).toMatch(/and \d+ more \(`--format json` lists all\)/);
  });
});

describe("moat review --format markdown: a suppressed finding is printed once", () => {
  test("a suppression matching a finding in two stacks is left out of the finding tables and counted twice in the Suppressions table", async () => {
    const dir = scratchDir("moat-suppressions-");
    const reason = "The lab VPC keeps its flow logs for thirty days only, which the security team accepted in review.";
    writeFileSync(
      join(dir, "review.yaml"),
      `suppressions:\n  - rule: LOG-2\n    resource: aws_cloudwatch_log_group.flow\n    reason: ${reason}\n`,
    );
    const short = () => {
      const stack = moatStack();
      stack.resource.aws_cloudwatch_log_group.flow.retention_in_days = 30;
      return stack;
    };
    const run = await moat(
      "review",
      writeOut({ "iot-a": short(), "iot-b": short() }),
      ...FIXTURE_DEV,
      "--suppressions",
      join(dir, "review.yaml"),
      "--format",
      "markdown",
    );
    expect(run.code).toBe(0);
    expect(run.stdout.match(/LOG-2/g)).toHaveLength(2); // the suppression row and the rule help, not one row per stack
    expect(run.stdout).toContain("### iot-a: 1 finding (and 1 suppressed)");
    expect(run.stdout).toMatch(/\| LOG-2 \| aws_cloudwatch_log_group\.flow \| .* \| 2 \|/);
  });
});

describe("moat review: where a finding is", () => {
  test("each finding on a synthesized stack names the construct that wrote the resource, beside the file and line", async () => {
    const stack = moatStack();
    stack.resource.aws_cloudwatch_log_group.flow.retention_in_days = 30;
    const text = (await moat("review", writeOut({ "iot-test": stack }), ...FIXTURE_DEV)).stdout;
    expect(text).toMatch(
      /LOG-2 +aws_cloudwatch_log_group\.flow: .*\[.*stacks\/iot-test\/cdk\.tf\.json:\d+ \(construct iot-test\/[^)]+\)\]/,
    );
    const markdown = (await moat("review", writeOut({ "iot-test": stack }), ...FIXTURE_DEV, "--format", "markdown")).stdout;
    expect(markdown).toMatch(/\| LOG-2 \| `aws_cloudwatch_log_group\.flow` \| .* \| .*cdk\.tf\.json:\d+ \(construct iot-test\/[^)]+\) \|/);
  });
});
