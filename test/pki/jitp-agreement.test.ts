import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { parseTopicModel } from "../../authz";
import { loadEnvironment } from "../../config";
import { IotCoreBroker, jitpTemplateBody } from "../../constructs/broker";
import { DEVICE_CLASS, initCa, issueFromCsr } from "../../pki";
import { IotEnvironmentStack, stackName } from "../../stacks/environment-stack";
import { cleanup, openssl, opensslCsr, scratch } from "./pki-fixtures";

type Synth = { resource: Record<string, Record<string, Record<string, unknown>>> };

/** AWS IoT thing group names (CreateThingGroup): 1-128 of these characters. */
const THING_GROUP_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/** The value of the JITP template's thing group for a certificate subject, as IoT Core evaluates Fn::Join / Ref. */
function groupFor(templateBody: string, parameters: Record<string, string>): string {
  const template = JSON.parse(templateBody) as {
    Parameters: Record<string, unknown>;
    Resources: { thing: { Properties: { ThingGroups: unknown[] } } };
  };
  for (const name of Object.keys(template.Parameters))
    if (parameters[name] === undefined) throw new Error(`the certificate has no ${name}: provisioning fails`);
  const evaluate = (node: unknown): string => {
    if (typeof node === "string") return node;
    const object = node as { Ref?: string; "Fn::Join"?: [string, unknown[]] };
    if (object.Ref !== undefined) return parameters[object.Ref];
    if (object["Fn::Join"]) return object["Fn::Join"][1].map(evaluate).join(object["Fn::Join"][0]);
    throw new Error(`unexpected template node ${JSON.stringify(node)}`);
  };
  const [group] = template.Resources.thing.Properties.ThingGroups;
  return evaluate(group);
}

describe("the JITP template and moat pki agree on the class (dev: sensor and gateway)", () => {
  let dir: string;
  let synth: Synth;
  let stack: IotEnvironmentStack;
  const env = loadEnvironment("dev");

  beforeAll(() => {
    dir = scratch();
    initCa({ pkiDir: dir, env: "dev", unencryptedDevKey: true });
    stack = new IotEnvironmentStack(Testing.app(), stackName("dev"), { environment: env, pkiDir: dir });
    synth = JSON.parse(Testing.synth(stack)) as Synth;
  });
  afterAll(() => cleanup(dir));

  test.each(Object.keys(loadEnvironment("dev").topics.classes))(
    "a %s certificate from moat pki lands in the thing group the broker creates for that class",
    (deviceClass) => {
      // The template as synthesized, which is jitpTemplateBody with the broker's prefix
      const [ca] = Object.values(synth.resource.aws_iot_ca_certificate);
      const templateBody = (ca.registration_config as { template_body: string }).template_body;
      const prefix = `${stackName("dev")}-`;
      expect(templateBody).toBe(jitpTemplateBody({ connectPolicyName: stack.broker.connectPolicyName, thingGroup: { prefix } }));

      // A certificate issued for the class, its subject read by OpenSSL
      const csr = opensslCsr(dir, `${deviceClass}-1`, `/CN=${deviceClass}-0001`).csr;
      const cert = issueFromCsr({ pkiDir: dir, env: "dev", deviceClass, csrPem: readFileSync(csr, "utf8") });
      const subject = openssl(["x509", "-noout", "-subject", "-nameopt", "sep_multiline,sname"], cert.certPem);
      const ou = /\n\s+OU=(.*)\n/.exec(subject)?.[1] as string;
      const cn = /\n\s+CN=(.*)\n/.exec(subject)?.[1] as string;
      expect(ou).toBe(deviceClass);

      // IoT Core evaluates the template with that certificate's parameters
      const group = groupFor(templateBody, {
        "AWS::IoT::Certificate::CommonName": cn,
        "AWS::IoT::Certificate::OrganizationalUnit": ou,
        "AWS::IoT::Certificate::Id": "0".repeat(64),
      });

      // The group is exactly the thing group the broker synthesized for the class, carrying its policies
      expect(group).toBe(`${prefix}${ou}`);
      expect(stack.broker.classes.find((c) => c.className === deviceClass)?.thingGroupName).toBe(group);
      expect(Object.values(synth.resource.aws_iot_thing_group).map((g) => g.name)).toContain(group);
      expect(group).toMatch(THING_GROUP_NAME);
    },
  );

  test("a certificate without an OU fails provisioning in a multi-class environment (closed, not a default class)", () => {
    const [ca] = Object.values(synth.resource.aws_iot_ca_certificate);
    const templateBody = (ca.registration_config as { template_body: string }).template_body;
    expect(() =>
      groupFor(templateBody, { "AWS::IoT::Certificate::CommonName": "old", "AWS::IoT::Certificate::Id": "0".repeat(64) }),
    ).toThrow("the certificate has no AWS::IoT::Certificate::OrganizationalUnit: provisioning fails");
  });
});

describe("prefix + class is a valid thing group name for every class name the schema allows", () => {
  test("the longest broker name and the longest class give a name within the 128 of [a-zA-Z0-9:_-]", () => {
    // Every character a class may contain is a thing-group character.
    for (let code = 0; code < 128; code++) {
      const c = String.fromCharCode(code);
      if (DEVICE_CLASS.test(`a${c}`)) expect(`a${c}`).toMatch(THING_GROUP_NAME);
    }
    const longestClass = `z${"9-".repeat(31)}`; // 63 characters, the schema's maximum
    expect(longestClass).toMatch(DEVICE_CLASS);
    expect(`${longestClass}x`).not.toMatch(DEVICE_CLASS);
    const name = "N".repeat(40); // IotCoreBroker refuses longer names
    const topics = parseTopicModel(
      {
        classes: {
          [longestClass]: { publish: ["devices/{thing}/telemetry"], subscribe: [], receive: [] },
          a: { publish: ["devices/{thing}/status"], subscribe: [], receive: [] },
        },
      },
      "environments/long.yaml",
    );
    const stack = new TerraformStack(Testing.app(), "long");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    const broker = new IotCoreBroker(stack, "broker", {
      name,
      region: "eu-west-1",
      vpcId: "vpc-0abc",
      endpointSubnetIds: ["subnet-0a"],
      deviceSubnets: [{ name: "devices-a", cidr: "10.9.0.0/20" }],
      topics,
      caCertificatePem: readFileSync(join(__dirname, "..", "fixtures", "pki", "dev", "ca", "issuing.pem"), "utf8"),
      sniOnlyReason: "A test stack that never deploys, so no registration code exists to prove CA key possession.",
    });
    const groups = broker.classes.map((c) => c.thingGroupName);
    expect(groups).toContain(`${name}-${longestClass}`);
    for (const group of groups) expect(group).toMatch(THING_GROUP_NAME);
    expect(`${name}-${longestClass}`).toHaveLength(104);
  });
});
