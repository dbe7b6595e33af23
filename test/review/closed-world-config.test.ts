import { join } from "node:path";
import { dump } from "js-yaml";
import { moat, tempFile, writeOut } from "./cli-support";
import { describeVariants } from "./clean-stacks";
import { add, first, isDevice, isDeviceAcl, ref, reviewWithFiles, shippedStacks } from "./closed-world-support";
import { variantsOf } from "./closed-world-variants";
import { Json } from "./fixture-stack";

/**
 * Issue 13, classes 1, 11 and 12: configuration Terraform applies that the review did not read,
 * suppressions matched by what the file says about itself, and input that crashed the review.
 * Run through the CLI, since the files next to cdk.tf.json are part of what Terraform applies.
 */
const stacks = shippedStacks();

describe("class 1: configuration Terraform applies that the review must read or refuse", () => {
  // Through the CLI: the files next to cdk.tf.json are part of what Terraform applies.
  test.each(variantsOf("class 1: configuration Terraform applies").map((v) => [v.variant, v] as const))(
    "blocks %s",
    async (_name, { rule, apply }) => {
      const stack = stacks.dev();
      const files: Record<string, string> = {};
      const resource = apply(stack, files);
      const run = await reviewWithFiles(stack, files);
      expect(run.code).toBe(1);
      const address = resource.startsWith("file ") ? `file ${join(run.dir, resource.slice("file ".length))}` : resource;
      expect(run.findings).toContainEqual(expect.objectContaining({ rule, resource: address, blocking: true }));
    },
  );
});

describeVariants(
  "class 11: suppressions match addresses, not construct paths",
  variantsOf("class 11: suppressions match addresses, not construct paths"),
);
describeVariants("class 12: array-form blocks are read", variantsOf("class 12: array-form blocks are read"));

describe("class 11: suppressions match Terraform addresses, never what the file says about itself", () => {
  const suppressionFile = (entries: object[]) => tempFile("review.yaml", dump({ suppressions: entries }));
  const reason = "Reviewed by the network team: the endpoint is needed for the lab.";

  test("refuses a suppression written with a construct path", async () => {
    const stack = stacks.dev();
    const path = stack.resource.aws_vpc_endpoint[first(stack, "aws_vpc_endpoint")]["//"].metadata.path;
    const run = await moat(
      "review",
      writeOut({ "iot-dev": stack }),
      "--suppressions",
      suppressionFile([{ rule: "TLS-1", resource: path, reason }]),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is a construct path; suppressions match Terraform addresses only/);
  });

  test("does not hide an added endpoint that claims the suppressed endpoint's construct path", async () => {
    const stack = stacks.dev();
    const endpoint = stack.resource.aws_vpc_endpoint[first(stack, "aws_vpc_endpoint")];
    const address = `aws_vpc_endpoint.${first(stack, "aws_vpc_endpoint")}`;
    stack.resource.aws_vpc_endpoint.partner = {
      ...endpoint,
      "//": endpoint["//"],
      service_name: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0",
    };
    const run = await reviewWithFiles(stack, {}, "--suppressions", suppressionFile([{ rule: "TLS-3", resource: address, reason }]));
    expect(run.code).toBe(1);
    expect(run.findings).toContainEqual(expect.objectContaining({ rule: "NET-2", resource: "aws_vpc_endpoint.partner", blocking: true }));
    expect(run.findings).toContainEqual(expect.objectContaining({ rule: "TLS-3", resource: address, suppressed: expect.anything() }));
  });

  test("a CW-1 suppression by address accepts that resource only, not another with the same construct path", async () => {
    const stack = stacks.dev();
    const subnet = ref(stack, "aws_subnet", "id", isDevice);
    const meta = { metadata: { path: "iot-dev/network/jump" } };
    add(stack, "aws_instance", "jump", { "//": meta, ami: "ami-0123456789abcdef0", instance_type: "t3.micro", subnet_id: subnet });
    add(stack, "aws_instance", "other", { "//": meta, ami: "ami-0123456789abcdef0", instance_type: "t3.micro", subnet_id: subnet });
    const run = await moat(
      "review",
      writeOut({ "iot-dev": stack }),
      "--format",
      "json",
      "--suppressions",
      suppressionFile([{ rule: "CW-1", resource: "aws_instance.jump", reason }]),
    );
    expect(run.code).toBe(1);
    const findings = JSON.parse(run.stdout).stacks[0].findings;
    expect(findings).toContainEqual(expect.objectContaining({ rule: "CW-1", resource: "aws_instance.jump", blocking: false }));
    expect(findings).toContainEqual(expect.objectContaining({ rule: "CW-1", resource: "aws_instance.other", blocking: true }));
  });
});

const nested = (depth: number, leaf: string) => "[".repeat(depth) + leaf + "]".repeat(depth);

describe("class 12: no input makes the review crash; deep nesting is refused in one line, array-form blocks are read", () => {
  test.each([
    [
      "an output value",
      (s: Json) => `${JSON.stringify({ ...s, output: undefined }).slice(0, -1)}, "output": {"deep": {"value": ${nested(100_000, "1")}}}}`,
    ],
    ["a local", (s: Json) => `${JSON.stringify(s).slice(0, -1)}, "locals": {"deep": ${nested(100_000, "1")}}}`],
    ["an output expression", (s: Json) => JSON.stringify({ ...s, output: { deep: { value: `\${${nested(50_000, "1")}}` } } })],
    [
      "a resource attribute",
      (s: Json) =>
        `{"resource": {"aws_s3_object": {"deep": {"metadata": ${nested(100_000, "1")}}}}, ${JSON.stringify({ ...s, resource: undefined }).slice(1)}`,
    ],
  ])("refuses deep nesting in %s: exit 2, one line naming the file", async (_where, text) => {
    const run = await reviewWithFiles(text(stacks.dev()));
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/cdk\.tf\.json: a value nests too deeply to review/);
  });

  test.each([
    [
      "a second resource section",
      (s: Json) => `{"resource": {"aws_internet_gateway": {"igw": {"vpc_id": "${ref(s, "aws_vpc")}"}}}, ${JSON.stringify(s).slice(1)}`,
      /key "resource" is written twice/,
    ],
    [
      "a second ingress block in a group",
      (s: Json) =>
        JSON.stringify(s).replace(
          '"revoke_rules_on_delete":true',
          '"ingress":{"protocol":"-1","from_port":0,"to_port":0,"cidr_blocks":["0.0.0.0/0"]},"ingress":{"protocol":"tcp","from_port":8883,"to_port":8883,"cidr_blocks":["10.42.0.0/20"]},"revoke_rules_on_delete":true',
        ),
      /key "ingress" is written twice/,
    ],
    [
      "an escaped spelling of the same key",
      (s: Json) => `{"resourc\u0065": {"aws_internet_gateway": {"igw": {}}}, ${JSON.stringify(s).slice(1)}`,
      /key "resource" is written twice/,
    ],
  ])(
    "refuses %s: Terraform reads every copy of a repeated key, JSON.parse only the last (exit 2, one line)",
    async (_what, text, message) => {
      const run = await reviewWithFiles(text(stacks.dev()));
      expect(run.code).toBe(2);
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    },
  );

  test('reads a "__proto__" resource type as a type (blocked as unknown), never as the section\'s prototype', async () => {
    const text = JSON.stringify(stacks.dev()).replace('"resource":{', '"resource":{"__proto__":{"x":{"cidr_block":"0.0.0.0/0"}},');
    const run = await reviewWithFiles(text);
    expect(run.code).toBe(1);
    expect(run.findings).toContainEqual(expect.objectContaining({ rule: "CW-1", resource: "__proto__.x", blocking: true }));
  });

  test("refuses a block defined twice, as Terraform does (exit 2, one line)", async () => {
    const s = stacks.dev();
    const acl = first(s, "aws_network_acl", isDeviceAcl);
    const run = await reviewWithFiles({ ...s, resource: [s.resource, { aws_network_acl: { [acl]: { vpc_id: ref(s, "aws_vpc") } } }] });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`resource\\.aws_network_acl\\.${acl} is defined twice`));
  });
});
