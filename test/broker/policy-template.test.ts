import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IotPolicy } from "@cdktf/provider-aws/lib/iot-policy";
import { iotPolicyExpression } from "../../constructs/broker";
import { resourcesOf, synthWith } from "../support/synth";
import { readPolicyExpression } from "./policy-expression";

describe("iotPolicyExpression", () => {
  // A deploy-time id, IoT policy variables and a literal `%{` in one document.
  const result = synthWith((stack) => {
    const account = new DataAwsCallerIdentity(stack, "account");
    new IotPolicy(stack, "policy", {
      name: "p",
      policy: iotPolicyExpression({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "iot:Connect",
            Resource: `arn:aws:iot:eu-west-1:${account.accountId}:client/\${iot:Connection.Thing.ThingName}`,
          },
          {
            Effect: "Allow",
            Action: "iot:Publish",
            Resource: `arn:aws:iot:eu-west-1:${account.accountId}:topic/\${iot:ClientId}/odd%{name}`,
          },
        ],
      }),
    });
  });
  const raw = resourcesOf(result, "aws_iot_policy")[0].policy as string;

  test("keeps deploy-time ids as Terraform interpolations", () => {
    expect(raw.match(/(?<!\$)\$\{data\.aws_caller_identity\.account\.account_id\}/g)).toHaveLength(2);
  });

  test("escapes every literal ${ and %{, so Terraform hands IoT Core the text as written", () => {
    expect(raw).toContain("client/$${iot:Connection.Thing.ThingName}");
    expect(raw).toContain("topic/$${iot:ClientId}/odd%%{name}");
    const document = readPolicyExpression(raw);
    expect(document.Statement.map((s) => s.Resource)).toEqual([
      "arn:aws:iot:eu-west-1:${data.aws_caller_identity.account.account_id}:client/${iot:Connection.Thing.ThingName}",
      "arn:aws:iot:eu-west-1:${data.aws_caller_identity.account.account_id}:topic/${iot:ClientId}/odd%{name}",
    ]);
  });
});
