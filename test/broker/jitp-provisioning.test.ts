import { jitpTemplateBody } from "../../constructs/broker";
import { brokerStack, resourcesOf, synthJson } from "./broker-fixture";

/** Issue 18 items 5 and 6: the JITP role and template as AWS documents them. */
describe("the broker's synthesized CA registration", () => {
  const json = synthJson(brokerStack().stack);
  const ca = resourcesOf(json, "aws_iot_ca_certificate")[0] as { registration_config: { role_arn: string; template_body: string } };

  test("the provisioning role carries exactly the AWSIoTThingsRegistration managed policy and no hand-picked subset", () => {
    const attachments = resourcesOf(json, "aws_iam_role_policy_attachment");
    expect(attachments.map((a) => a.policy_arn)).toEqual(["arn:aws:iam::aws:policy/service-role/AWSIoTThingsRegistration"]);
    const roleRef = String(attachments[0].role).replace(/\.name\}$/, "");
    expect(ca.registration_config.role_arn).toBe(`${roleRef}.arn}`);
    expect(resourcesOf(json, "aws_iam_role_policy").filter((p) => JSON.stringify(p).includes("iot:"))).toEqual([]);
  });

  test("the template says what happens to an existing thing: its groups are replaced by the new certificate's class", () => {
    const template = JSON.parse(ca.registration_config.template_body);
    expect(template.Resources.thing.OverrideSettings).toEqual({ ThingGroups: "REPLACE" });
    // JITP registers the certificate PENDING_ACTIVATION before the template runs: an override there would keep it so.
    expect(template.Resources.certificate).not.toHaveProperty("OverrideSettings");
    expect(template.Resources.certificate.Properties.Status).toBe("ACTIVE");
  });
});

test("in a GovCloud partition, the managed policy ARN is in that partition", () => {
  const json = synthJson(brokerStack({ region: "us-gov-west-1" }).stack);
  expect(resourcesOf(json, "aws_iam_role_policy_attachment").map((a) => a.policy_arn)).toEqual([
    "arn:aws-us-gov:iam::aws:policy/service-role/AWSIoTThingsRegistration",
  ]);
});

test("a fixed single-class template carries the same override", () => {
  const template = JSON.parse(jitpTemplateBody({ connectPolicyName: "p", thingGroup: { fixed: "g" } }));
  expect(template.Resources.thing.OverrideSettings).toEqual({ ThingGroups: "REPLACE" });
});
