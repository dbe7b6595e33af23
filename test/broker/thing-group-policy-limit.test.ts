import { Testing } from "cdktf";
import { compileIotPolicies, MAX_POLICIES_PER_CLASS, parseTopicModel } from "../../authz";
import { MoatError } from "../../errors";
import { brokerStack } from "./broker-fixture";

/** Issue 18 item 4: a thing group holds at most two policies, so a class may compile to two. */
const TARGET = { partition: "aws", region: "eu-west-1", accountId: "123456789012", sourceVpceId: "vpce-0123456789abcdef0" };
const classWith = (topics: number) =>
  parseTopicModel(
    {
      classes: {
        sensor: { publish: Array.from({ length: topics }, (_, i) => `devices/{thing}/measurements/channel-${String(i).padStart(3, "0")}`) },
      },
    },
    "environments/big.yaml",
  );

test("the limit is AWS's two policies per thing group", () => {
  expect(MAX_POLICIES_PER_CLASS).toBe(2);
});

test("a class that compiles to two policies has both attached to its group", () => {
  const model = classWith(30);
  expect(compileIotPolicies(model, TARGET).classes[0].documents).toHaveLength(2);
  const json = JSON.parse(Testing.synth(brokerStack({ topics: model }).stack, true));
  expect(Object.keys(json.resource.aws_iot_policy_attachment)).toHaveLength(2);
});

test("a class that would need three policies is refused before synthesis, naming the class, the limit and the fix", () => {
  const model = classWith(45);
  const refuse = () => brokerStack({ topics: model });
  expect(refuse).toThrow(MoatError);
  expect(refuse).toThrow(
    /^environments\/big\.yaml: topics\.classes\.sensor: needs 3 IoT policies of 2048 characters, more than the 2 a thing group can hold; split the class or use fewer topics$/,
  );
});
