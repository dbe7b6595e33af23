import { evaluateString } from "../../review/expression";
import { loadCdktfJson } from "../../review/load-cdktf";
import { loadPlanJson } from "../../review/load-plan";
import { readPolicy } from "../../review/policy-document";
import { Encoded, Unknown, Value } from "../../review/value";

// JSON.parse makes "__proto__" an ordinary key. Copied with a plain assignment it would become
// the copy's prototype, and rules would read attributes the file never set as if it had.
const HOSTILE =
  '{"__proto__": {"enable_dns_support": true, "Statement": [{"Effect": "Allow", "Action": "*"}]}, "cidr_block": "10.0.0.0/16"}';

function expectOwnProtoKeyOnly(value: unknown): void {
  const record = value as Record<string, unknown>;
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  expect(Object.keys(record)).toContain("__proto__");
  expect(record.enable_dns_support).toBeUndefined();
  expect(record.Statement).toBeUndefined();
}

describe('a "__proto__" key in reviewed input stays an ordinary key', () => {
  test("in a cdk.tf.json resource body (copied to drop cdktf's // metadata)", () => {
    const body = JSON.parse(HOSTILE);
    body["//"] = { metadata: { path: "iot/vpc" } };
    const model = loadCdktfJson({ resource: { aws_vpc: { v: body } } }, "cdk.tf.json", "iot");
    expectOwnProtoKeyOnly(model.resources[0].attributes);
  });

  test("in a jsonencode object", () => {
    const value = evaluateString(
      '${jsonencode({"__proto__" = {"enable_dns_support" = true}, "cidr_block" = "10.0.0.0/16"})}',
      () => new Unknown("ref"),
    );
    // All literal: evaluated to the JSON text Terraform would produce.
    expect(typeof value).toBe("string");
    expectOwnProtoKeyOnly(JSON.parse(value as string));
    const withReference = evaluateString(
      '${jsonencode({"__proto__" = {"enable_dns_support" = true}, "vpc" = aws_vpc.v.id})}',
      () => new Unknown("ref"),
    );
    expect(withReference).toBeInstanceOf(Encoded);
    expectOwnProtoKeyOnly((withReference as Encoded).value);
  });

  test("in a policy template with interpolations: no statement is inherited", () => {
    const policy = evaluateString(
      '{"__proto__": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, "Resource": "${aws_iot_topic_rule.r.arn}"}',
      () => new Unknown("ref"),
    );
    const model = loadCdktfJson({ resource: {} }, "cdk.tf.json", "iot");
    expect(readPolicy(model, policy as Value)).toEqual({ statements: [] });
  });

  test("in a plan's planned values", () => {
    const plan = {
      format_version: "1.2",
      planned_values: {
        root_module: { resources: [{ address: "aws_vpc.v", mode: "managed", type: "aws_vpc", name: "v", values: JSON.parse(HOSTILE) }] },
      },
      resource_changes: [
        {
          address: "aws_vpc.v",
          mode: "managed",
          type: "aws_vpc",
          name: "v",
          change: { actions: ["create"], after: JSON.parse(HOSTILE), after_unknown: { id: true } },
        },
      ],
    };
    const model = loadPlanJson(plan, "plan.json", "iot");
    expectOwnProtoKeyOnly(model.get("aws_vpc.v")?.attributes);
  });
});
