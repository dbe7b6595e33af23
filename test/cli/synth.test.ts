import * as fs from "node:fs";
import * as path from "node:path";
import { devDocument, environmentsDir } from "../support/environment-files";
import { runMoat, STACK_TRACE } from "../support/run-moat";
import { scratchDir } from "../support/scratch";

function tempDir(): string {
  return scratchDir("moat-out-");
}

describe("moat synth", () => {
  test("dev synthesizes offline to cdktf.out/stacks/iot-dev and exits 0", () => {
    const out = tempDir();
    const result = runMoat(["synth", "--env", "dev", "--out", out]);
    // Only construct warnings (the TLS policy step Terraform cannot take) may reach stderr.
    for (const line of result.stderr.split("\n").filter(Boolean)) expect(line).toMatch(/^moat synth: warning: \[iot-dev\/\S+\] /);
    expect(result.code).toBe(0);
    const json = JSON.parse(fs.readFileSync(path.join(out, "stacks", "iot-dev", "cdk.tf.json"), "utf8"));
    expect(Object.keys(json.resource)).toContain("aws_vpc");
  });

  test.each<[string, (doc: Record<string, any>) => void, RegExp]>([
    ["an unknown key", (d) => (d.network.vpcId = "vpc-1"), /^moat synth: \S+broken\.yaml: network\.vpcId is not a known key/],
    [
      "an overlapping CIDR",
      (d) => (d.network.endpointSubnets[0].cidr = "10.42.0.0/26"),
      /network\.endpointSubnets\[0\]\.cidr "10\.42\.0\.0\/26" overlaps network\.deviceSubnets\[0\]\.cidr/,
    ],
    ["a public CIDR", (d) => (d.network.officeCidrs = ["10.42.0.0/8"]), /network\.officeCidrs\[0\] "10\.42\.0\.0\/8" has host bits set/],
    [
      "fewer than 2 AZs",
      (d) => (d.network.availabilityZones = ["eu-west-1a"]),
      /network\.availabilityZones has 1 entries, needs at least 2/,
    ],
    [
      "office CIDRs inside the VPC",
      (d) => (d.network.officeCidrs = ["10.42.0.0/24"]),
      /network\.officeCidrs\[0\] "10\.42\.0\.0\/24" overlaps network\.vpcCidr/,
    ],
  ])("%s: exit 1 with one line per problem naming file and key, no stack trace, nothing written", (_name, mutate, expected) => {
    const doc = devDocument();
    mutate(doc);
    const out = tempDir();
    const result = runMoat(["synth", "--env", "broken", "--environments-dir", environmentsDir({ broken: doc }), "--out", out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  test("broken YAML is one line naming file, line and column", () => {
    const result = runMoat(["synth", "--env", "broken", "--environments-dir", environmentsDir({ broken: "network: [\n" })]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/broken\.yaml: line \d+, column \d+ is not valid YAML/);
  });

  test.each([[["synth"]], [["synth", "--env", "dev", "--all"]], [["synth", "--bogus"]]])("usage mistakes exit 2: %p", (args) => {
    const result = runMoat(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^moat synth: /);
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });
});

describe("moat synth stops on the synth-time review", () => {
  test("a suppression that matches nothing: exit 1, each error on its own line naming the construct, nothing written", () => {
    const doc = devDocument();
    doc.review = {
      suppressions: [
        { rule: "NET-5", resource: "aws_network_acl.does_not_exist", reason: "A suppression for a resource this stack does not have." },
      ],
    };
    const out = tempDir();
    // Named dev so the committed test CA (test/fixtures/pki/dev) is found.
    const result = runMoat(["synth", "--env", "dev", "--environments-dir", environmentsDir({ dev: doc }), "--out", out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^moat synth: \[iot-dev\] moat review: .*does_not_exist/m);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(fs.existsSync(path.join(out, "stacks", "iot-dev", "cdk.tf.json"))).toBe(false);
  });
});

test.each([
  [
    "an existing file",
    () => {
      const file = path.join(tempDir(), "a-file");
      fs.writeFileSync(file, "");
      return file;
    },
  ],
  [
    "a path under a file",
    () => {
      const file = path.join(tempDir(), "a-file");
      fs.writeFileSync(file, "");
      return path.join(file, "out");
    },
  ],
])("moat synth --out %s: one line, exit 1, no stack trace", (_name, outdir) => {
  const result = runMoat(["synth", "--env", "dev", "--out", outdir()]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^moat synth: --out .*: cannot write there \(E[A-Z]+\); give a writable directory\n$/);
  expect(result.stderr).not.toMatch(STACK_TRACE);
});
