import { evaluateString } from "../../review/expression";
import { loadCdktfJson } from "../../review/load-cdktf";
import { Encoded, Ref, Unknown, Value } from "../../review/value";

const resources = new Set(["aws_vpc.main", "aws_vpc_endpoint.ep", "data.aws_partition.p"]);
/** The loader's resolver, reduced: known addresses become references, the rest unknown. */
const resolve = (traversal: readonly string[], text: string): Value => {
  const length = traversal[0] === "data" ? 3 : 2;
  const address = traversal.slice(0, length).join(".");
  return resources.has(address) ? new Ref(address, traversal.slice(length).join(".").replace(/\.\[/g, "[")) : new Unknown(text);
};
const evaluate = (text: string) => evaluateString(text, resolve);

describe("Terraform JSON string evaluation", () => {
  test("keeps plain strings and unescapes $${ and %%{", () => {
    expect(evaluate("10.0.0.0/16")).toBe("10.0.0.0/16");
    expect(evaluate("client/$${iot:Connection.Thing.ThingName}")).toBe("client/${iot:Connection.Thing.ThingName}");
    expect(evaluate("%%{literal}")).toBe("%{literal}");
  });

  test("turns a whole-string traversal into a reference", () => {
    expect(evaluate("${aws_vpc.main.id}")).toEqual(new Ref("aws_vpc.main", "id"));
    expect(evaluate("${data.aws_partition.p.partition}")).toEqual(new Ref("data.aws_partition.p", "partition"));
    expect(evaluate('${aws_vpc.main.tags["Name"]}')).toEqual(new Ref("aws_vpc.main", 'tags["Name"]'));
  });

  test("keeps the known parts of a template with unknown holes", () => {
    const value = evaluate("arn:${data.aws_partition.p.partition}:iot:eu-west-1:1:client/x");
    expect(value).toBeInstanceOf(Unknown);
    expect((value as Unknown).parts).toEqual(["arn:", new Ref("data.aws_partition.p", "partition"), ":iot:eu-west-1:1:client/x"]);
    expect((value as Unknown).refs).toEqual(["data.aws_partition.p"]);
  });

  test("concatenates a template whose parts are all literals", () => {
    expect(evaluate('a-${"b"}-${3}')).toBe("a-b-3");
  });

  test("evaluates jsonencode of a literal to its JSON text, escapes and all", () => {
    expect(evaluate('${jsonencode({"a" = ["x\\"y", 1, true, null], b: {"c" = "$${iot:v}"}})}')).toBe(
      JSON.stringify({ a: ['x"y', 1, true, null], b: { c: "${iot:v}" } }),
    );
  });

  test("reads a template nested in a quoted string inside an interpolation in one pass", () => {
    expect(evaluate('${jsonencode({"a" = "x${"y"}z", "b" = "$${iot:v}-${3}"})}')).toBe(JSON.stringify({ a: "xyz", b: "${iot:v}-3" }));
    const value = evaluate('${jsonencode({"a" = "x-${aws_vpc.main.id}"})}') as Encoded;
    expect((value.value as Record<string, Value>).a).toEqual(
      new Unknown("x-${aws_vpc.main.id}", ["aws_vpc.main"], ["x-", new Ref("aws_vpc.main", "id")]),
    );
  });

  test("makes an interpolation with an escape JSON lacks unknown instead of failing", () => {
    expect(evaluate('${jsonencode({"a" = "\\U0001F600"})}')).toBeInstanceOf(Unknown);
  });

  test("makes a template directive inside a quoted string unknown", () => {
    const value = evaluate('${jsonencode({"a" = "%{ if var.x }y%{ endif }"})}') as Encoded;
    expect((value.value as Record<string, Value>).a).toBeInstanceOf(Unknown);
  });

  test("keeps jsonencode with references as a document", () => {
    const value = evaluate('${jsonencode({"Vpce" = aws_vpc_endpoint.ep.id, "Arn" = "arn:${data.aws_partition.p.partition}:iot"})}');
    expect(value).toBeInstanceOf(Encoded);
    const doc = (value as Encoded).value as Record<string, Value>;
    expect(doc.Vpce).toEqual(new Ref("aws_vpc_endpoint.ep", "id"));
    expect(doc.Arn).toBeInstanceOf(Unknown);
  });

  test.each([
    ["an operator", "${var.count + 1}"],
    ["a conditional", '${var.public ? "0.0.0.0/0" : "10.0.0.0/8"}'],
    ["a for expression", "${[for s in var.subnets : s.id]}"],
    ["a splat", "${aws_vpc.main.*.id}"],
    ["a function other than jsonencode", "${cidrsubnet(aws_vpc.main.cidr_block, 4, 1)}"],
    ["a template directive", "%{ if var.x }a%{ endif }"],
    ["a variable", "${var.cidr}"],
    ["a reference to a resource not in the file", "${aws_subnet.elsewhere.id}"],
  ])("makes %s unknown, never a literal", (_what, text) => {
    expect(evaluate(text)).toBeInstanceOf(Unknown);
  });

  test("names the references of an expression it cannot evaluate", () => {
    const value = evaluate("${cidrsubnet(aws_vpc.main.cidr_block, 4, 1)}") as Unknown;
    expect(value.refs).toEqual(["aws_vpc.main"]);
    const operator = evaluate("${aws_vpc.main.cidr_block == var.x}") as Unknown;
    expect(operator.refs).toEqual(["aws_vpc.main"]);
  });
});

describe("cdk.tf.json loading", () => {
  const json = {
    resource: {
      aws_vpc: { main: { "//": { metadata: { path: "s/vpc" } }, cidr_block: "10.0.0.0/16" } },
      aws_subnet: { a: { vpc_id: "${aws_vpc.main.id}", cidr_block: "10.0.1.0/24" } },
    },
    data: { aws_partition: { p: {} } },
    output: { vpc: { value: "${aws_vpc.main.id}" } },
  };
  const text = JSON.stringify(json, null, 2);

  test("gives each resource its address, construct path, line and references", () => {
    const model = loadCdktfJson(json, "f/cdk.tf.json", "s", text);
    const subnet = model.get("aws_subnet.a")!;
    expect(subnet.references).toEqual(new Set(["aws_vpc.main"]));
    expect(model.locate("aws_vpc.main")).toEqual({
      file: "f/cdk.tf.json",
      line: text.split("\n").findIndex((l) => l.includes('"main": {')) + 1,
      constructPath: "s/vpc",
    });
    expect(model.get("data.aws_partition.p")!.mode).toBe("data");
    expect(model.looseValues.map((l) => l.address)).toEqual(["output.vpc"]);
    expect(subnet.attributes.vpc_id).toEqual(new Ref("aws_vpc.main", "id"));
  });

  test.each([
    ["a resource section that is a list of strings", { resource: ["x"] }, /"resource" is not an object of resource types/],
    ["a type that is a string", { resource: { aws_vpc: "x" } }, /"resource.aws_vpc" is not an object of named aws_vpc blocks/],
    ["a resource that is a number", { resource: { aws_vpc: { main: 1 } } }, /"resource.aws_vpc.main" is not an object of attributes/],
  ])("refuses %s with exit code 2", (_what, bad, message) => {
    expect(() => loadCdktfJson(bad, "bad.json", "s")).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(message) }),
    );
  });
});
