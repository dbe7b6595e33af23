import { loadCdktfJson } from "../../review/load-cdktf";
import { Ref, Unknown } from "../../review/value";

describe("loadCdktfJson: references", () => {
  const model = loadCdktfJson(
    {
      data: { aws_region: { current: {} } },
      resource: {
        aws_vpc: { main: { cidr_block: "10.0.0.0/16" } },
        aws_subnet: {
          s: {
            vpc_id: "${aws_vpc.main.id}",
            cidr_block: "${aws_vpc.main.cidr_block}",
            availability_zone: "${data.aws_region.current.name}a",
            tags: {
              elsewhere: "${aws_vpc.elsewhere.id}",
              variable: "${var.zone.name}",
              region: "${data.aws_region.current.name}",
              nested: "${aws_vpc.main.tags.Name}",
              spaced: "${ aws_vpc.main.id }",
              twice: "${aws_vpc.main.id}${aws_vpc.main.id}",
            },
          },
        },
      },
    },
    "test/cdk.tf.json",
    "test",
  );
  const attributes = model.get("aws_subnet.s")!.attributes as Record<string, any>;

  test("a resource attribute becomes a reference to that resource", () => {
    expect(attributes.vpc_id).toEqual(new Ref("aws_vpc.main", "id"));
    expect(attributes.cidr_block).toEqual(new Ref("aws_vpc.main", "cidr_block"));
    expect(attributes.tags.nested).toEqual(new Ref("aws_vpc.main", "tags.Name"));
    expect(attributes.tags.spaced).toEqual(new Ref("aws_vpc.main", "id"));
    expect(attributes.tags.region).toEqual(new Ref("data.aws_region.current", "name"));
  });

  test("what the file cannot resolve is unknown, never a value", () => {
    expect(attributes.tags.elsewhere).toEqual(new Unknown("aws_vpc.elsewhere.id"));
    expect(attributes.tags.variable).toEqual(new Unknown("var.zone.name"));
    expect(attributes.availability_zone).toBeInstanceOf(Unknown);
    expect(attributes.tags.twice).toBeInstanceOf(Unknown);
  });

  test("the references of a resource are the addresses it points at", () => {
    expect([...model.get("aws_subnet.s")!.references].sort()).toEqual(["aws_vpc.main", "data.aws_region.current"]);
  });
});
