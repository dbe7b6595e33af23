import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { parseTopicModel } from "../../authz";
import { IotCoreBroker, IotCoreBrokerProps } from "../../constructs/broker";

const FIXTURES = path.join(__dirname, "..", "fixtures");
/** The committed test CA's public PEMs, in the PKI store layout. */
export const FIXTURE_PKI_DIR = path.join(FIXTURES, "pki");
const FIXTURE_FILES: Record<string, string> = {
  "issuing-ca.pem": path.join(FIXTURE_PKI_DIR, "dev", "ca", "issuing.pem"),
  "verification.pem": path.join(FIXTURE_PKI_DIR, "dev", "aws", "verification.pem"),
};
export const fixturePem = (name: string): string => fs.readFileSync(FIXTURE_FILES[name] ?? path.join(FIXTURES, "broker", name), "utf8");

export const DEVICE_SUBNETS = [
  { name: "devices-a", cidr: "10.9.0.0/20" },
  { name: "devices-b", cidr: "10.9.16.0/20" },
];

export const TOPICS = parseTopicModel(
  {
    classes: {
      sensor: { publish: ["devices/{thing}/telemetry"], subscribe: ["devices/{thing}/commands"], receive: ["devices/{thing}/commands"] },
      gateway: {
        publish: ["devices/{thing}/telemetry"],
        subscribe: ["fleet/firmware"],
        receive: ["fleet/firmware"],
        sharedTopics: [{ topic: "fleet/firmware", reason: "Firmware notices go to every gateway at once." }],
      },
    },
  },
  "environments/test.yaml",
);

/** The broker alone in someone else's stack: plain ids, no moat network construct. */
export function brokerStack(overrides: Partial<IotCoreBrokerProps> = {}) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "other-team");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const broker = new IotCoreBroker(stack, "broker", {
    name: "iot-test",
    region: "eu-west-1",
    vpcId: "vpc-0abc",
    endpointSubnetIds: ["subnet-0a", "subnet-0b"],
    deviceSubnets: DEVICE_SUBNETS,
    topics: TOPICS,
    caCertificatePem: fixturePem("issuing-ca.pem"),
    verificationCertificatePem: fixturePem("verification.pem"),
    alarmEmails: ["ops@example.com"],
    ...overrides,
  });
  return { stack, broker };
}

export type SynthJson = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
};

export function synthJson(stack: TerraformStack): SynthJson {
  return JSON.parse(Testing.synth(stack, true)) as SynthJson;
}

export function resourcesOf(json: SynthJson, type: string): Array<Record<string, unknown>> {
  return Object.values(json.resource[type] ?? {});
}
