// What a pull request sees: the attribute-level diff against the base, and a comment GitHub accepts.
import { diffReviews, loadCdktfJson, renderReport, review } from "../../review";
import { attributeChangeText } from "../../review/report/report-input";

/** A one-stack cdk.tf.json with these resources (type -> name -> attributes). */
function model(resource: Record<string, Record<string, unknown>>) {
  return loadCdktfJson({ resource }, "cdktf.out/stacks/iot-test/cdk.tf.json", "iot-test");
}

/** The attribute changes of the one stack between two sets of resources. */
function changes(before: Record<string, Record<string, unknown>>, after: Record<string, Record<string, unknown>>) {
  const diff = diffReviews({ models: [model(before)], findings: [] }, { models: [model(after)], findings: [] });
  expect(diff.stacks).toHaveLength(1);
  expect(diff.stacks[0].changed).toEqual(diff.stacks[0].changes.map((c) => c.address));
  return diff.stacks[0].changes;
}

const acl = (cidr: string, extra: Record<string, unknown> = {}) => ({
  aws_network_acl: {
    devices: {
      vpc_id: "${aws_vpc.vpc.id}",
      ingress: [{ rule_no: 100, action: "allow", protocol: "tcp", from_port: 8883, to_port: 8883, cidr_block: cidr }],
      ...extra,
    },
  },
  aws_vpc: { vpc: { cidr_block: "10.42.0.0/16" } },
});

describe("review --base: what changed inside each changed resource", () => {
  test("names the leaf that changed inside a nested block, and leaves unchanged resources out", () => {
    expect(changes(acl("10.42.0.0/24"), acl("0.0.0.0/0"))).toEqual([
      {
        address: "aws_network_acl.devices",
        attributes: [{ path: "ingress[0].cidr_block", before: '"10.42.0.0/24"', after: '"0.0.0.0/0"' }],
      },
    ]);
    expect(changes(acl("10.42.0.0/24"), acl("10.42.0.0/24"))).toEqual([]);
  });

  test("shows a list that grew or shrank whole, and an attribute that appeared or went away as not set", () => {
    const grown = acl("10.42.0.0/24");
    (grown.aws_network_acl.devices.ingress as unknown[]).push({
      rule_no: 200,
      action: "allow",
      protocol: "-1",
      from_port: 0,
      to_port: 0,
      cidr_block: "0.0.0.0/0",
    });
    const [list] = changes(acl("10.42.0.0/24"), grown);
    expect(list.attributes).toHaveLength(1);
    expect(list.attributes[0].path).toBe("ingress");
    expect(JSON.parse(list.attributes[0].after!)).toHaveLength(2);

    const [added] = changes(acl("10.42.0.0/24"), acl("10.42.0.0/24", { tags: { Name: "devices" } }));
    expect(added.attributes).toEqual([{ path: "tags", after: '{"Name":"devices"}' }]);
    expect(attributeChangeText(added.attributes[0])).toBe('tags: (not set) -> {"Name":"devices"}');
    const [removed] = changes(acl("10.42.0.0/24", { tags: { Name: "devices" } }), acl("10.42.0.0/24"));
    expect(removed.attributes).toEqual([{ path: "tags", before: '{"Name":"devices"}' }]);
  });

  test("shows a reference that now points elsewhere the way the file writes it", () => {
    const other = { ...acl("10.42.0.0/24"), aws_vpc: { vpc: { cidr_block: "10.42.0.0/16" }, other: { cidr_block: "10.43.0.0/16" } } };
    const moved = { ...other, aws_network_acl: { devices: { ...other.aws_network_acl.devices, vpc_id: "${aws_vpc.other.id}" } } };
    expect(changes(other, moved)).toEqual([
      {
        address: "aws_network_acl.devices",
        attributes: [{ path: "vpc_id", before: '"${aws_vpc.vpc.id}"', after: '"${aws_vpc.other.id}"' }],
      },
    ]);
  });

  test("opens a JSON policy template and a jsonencode document to name the statement that changed", () => {
    const template = (topic: string) => ({
      aws_iot_policy: {
        sensor: {
          name: "sensor",
          policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":["arn:aws:iot:eu-west-1:\${data.aws_caller_identity.me.account_id}:topic/devices/$\${iot:Connection.Thing.ThingName}/${topic}"]}]}`,
        },
      },
    });
    const [policy] = changes(template("telemetry"), template("#"));
    expect(policy.attributes.map((a) => a.path)).toEqual(["policy#Statement[0].Resource[0]"]);
    // Cut around the difference: the end of the topic, where the wildcard is, stays in view.
    expect(attributeChangeText(policy.attributes[0])).toMatch(
      /^policy#Statement\[0\]\.Resource\[0\]: \.\.\..*\/telemetry" -> \.\.\..*\/#"$/,
    );

    const encoded = (action: string) => ({
      aws_vpc_endpoint: { broker: { vpc_id: "x", service_name: "com.amazonaws.eu-west-1.iot.data" } },
      aws_iot_policy: {
        gateway: {
          name: "gateway",
          policy: `\${jsonencode({"Statement" = [{"Effect" = "Allow", "Action" = ["${action}"], "Resource" = ["*"], "Condition" = {"StringEquals" = {"aws:SourceVpce" = aws_vpc_endpoint.broker.id}}}]})}`,
        },
      },
    });
    const [document] = changes(encoded("iot:Connect"), encoded("iot:*"));
    expect(document.attributes).toEqual([{ path: "policy.Statement[0].Action[0]", before: '"iot:Connect"', after: '"iot:*"' }]);
  });

  test("keeps the pull-request comment within GitHub's limit: 50 changed resources listed, the rest counted", () => {
    const many = (cidr: string) => ({
      aws_subnet: Object.fromEntries(
        Array.from({ length: 60 }, (_, i) => [`s${i}`, { vpc_id: "x", cidr_block: cidr, tags: { Name: `s${i}` } }]),
      ),
    });
    const base = model(many("10.42.0.0/24"));
    const head = model(many("10.42.1.0/24"));
    const result = review([{ model: head }], []);
    const diff = diffReviews({ models: [base], findings: [] }, { models: [head], findings: result.stacks[0].findings });
    const markdown = renderReport("markdown", { result, diff });
    expect(markdown.match(/^  - `cidr_block: "10\.42\.0\.0\/24" → "10\.42\.1\.0\/24"`$/gm)).toHaveLength(50);
    expect(markdown).toContain("- and 10 more changed resources: see the JSON report");
    const text = renderReport("text", { result, diff });
    expect(text.match(/cidr_block: "10\.42\.0\.0\/24" -> "10\.42\.1\.0\/24"/g)).toHaveLength(60);
  });
});

describe("the pull-request comment stays within GitHub's limit", () => {
  test("cuts a report longer than 60,000 characters at a line, closes what it opened and says where the rest is", () => {
    // 600 subnets without a network ACL: a NET-5 finding each, far more than a comment holds.
    const subnets = Object.fromEntries(
      Array.from({ length: 600 }, (_, i) => [
        `device_subnet_number_${i}`,
        { vpc_id: "${aws_vpc.vpc.id}", cidr_block: `10.${Math.floor(i / 256)}.${i % 256}.0/24` },
      ]),
    );
    const result = review([{ model: model({ aws_vpc: { vpc: { cidr_block: "10.0.0.0/8" } }, aws_subnet: subnets }) }], []);
    const text = renderReport("text", { result });
    expect(text.match(/NET-5/g)!.length).toBeGreaterThanOrEqual(600);

    const markdown = renderReport("markdown", { result });
    expect(markdown.length).toBeLessThanOrEqual(60_000);
    expect(markdown.startsWith("<!-- moat-review -->\n## moat review\n\n**FAIL")).toBe(true);
    expect(markdown.trimEnd().split("\n").pop()).toBe(
      "**Cut at 60,000 characters (GitHub refuses longer comments): every finding is in the `moat-review` artifact of this run, or run `moat review --format text`.**",
    );
    expect((markdown.match(/<details>/g) ?? []).length).toBe((markdown.match(/<\/details>/g) ?? []).length);
    // Whole rows only: every table row that was kept ends with its closing pipe.
    for (const row of markdown.split("\n").filter((l) => l.startsWith("| "))) expect(row.endsWith("|")).toBe(true);
  });

  test("leaves a report that fits untouched", () => {
    const result = review([{ model: model(acl("10.42.0.0/24")) }], []);
    const markdown = renderReport("markdown", { result });
    expect(markdown).not.toContain("Cut at");
    expect(markdown.length).toBeLessThan(60_000);
  });
});
