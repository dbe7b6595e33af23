import * as fs from "node:fs";
import * as path from "node:path";
import { environmentJsonSchemaText, EnvironmentError, listEnvironments, loadEnvironment } from "../../config";
import { MoatError } from "../../errors";
import { devDocument, environmentsDir } from "../support/environment-files";

/** Loads a variant of dev.yaml changed by `mutate` and returns the error lines (none when it loads). */
function problemsWith(mutate: (doc: Record<string, any>) => void): string[] {
  const doc = devDocument();
  mutate(doc);
  const dir = environmentsDir({ broken: doc });
  try {
    loadEnvironment("broken", { dir });
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(EnvironmentError);
    return (err as Error).message.split("\n");
  }
}

describe("shipped environments", () => {
  test.each(["dev", "prod"])("environments/%s.yaml loads and validates", (name) => {
    const env = loadEnvironment(name);
    expect(env.name).toBe(name);
    expect(env.network.availabilityZones.length).toBeGreaterThanOrEqual(2);
  });

  test("dev is the local-state default and prod uses the S3 backend", () => {
    expect(loadEnvironment("dev").backend.type).toBe("local");
    expect(loadEnvironment("prod").backend).toMatchObject({ type: "s3", s3: { bucket: expect.any(String) } });
  });

  test("listEnvironments finds both", () => {
    expect(listEnvironments()).toEqual(expect.arrayContaining(["dev", "prod"]));
  });

  test("defaults are the secure ones", () => {
    const doc = devDocument();
    delete doc.logs;
    delete doc.broker;
    delete doc.pki;
    const env = loadEnvironment("minimal", { dir: environmentsDir({ minimal: doc }) });
    expect(env.logs).toEqual({ store: "cloudwatch", retentionDays: 365, archiveAfterDays: 90 });
    expect(env.broker.tlsPolicy).toMatch(/^IoTSecurityPolicy_TLS13_/);
    expect(env.pki.allowLocalKeys).toBe(false);
  });
});

describe("the editor JSON Schema", () => {
  test("the committed schema is the one generated from the validator's declaration (run `npm run schema`)", () => {
    const committed = fs.readFileSync(path.join(__dirname, "..", "..", "environments", "environment.schema.json"), "utf8");
    expect(committed).toBe(environmentJsonSchemaText());
  });

  test("it forbids unknown keys and requires what the validator requires", () => {
    const schema = JSON.parse(environmentJsonSchemaText());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(["region", "network", "topics"]));
    expect(schema.properties.network.properties.availabilityZones.minItems).toBe(2);
    expect(schema.properties.logs.properties.retentionDays.minimum).toBe(365);
  });

  test("a renamed key matches nothing in the schema and its description names the new key", () => {
    const schema = JSON.parse(environmentJsonSchemaText());
    const renamed: Record<string, string> = {};
    // Every schema node, nested under properties, items or a map's values, so no renamed key is missed.
    const walk = (node: any, at: string) => {
      for (const [key, child] of Object.entries<any>(node.properties ?? {})) {
        const where = at ? `${at}.${key}` : key;
        if (child.deprecated) {
          expect(child.not).toEqual({});
          expect(child.deprecationMessage).toBe(child.description);
          const newKey = /^Renamed: call it (\w+)\.$/.exec(child.description)?.[1];
          expect(node.properties).toHaveProperty([newKey as string]);
          renamed[where] = `${at}.${newKey}`;
        } else walk(child, where);
      }
      for (const [key, child] of Object.entries<any>(node)) {
        if (key !== "properties" && typeof child === "object" && child !== null && !Array.isArray(child)) walk(child, `${at}[${key}]`);
      }
    };
    walk(schema, "");
    expect(renamed).toEqual({
      "broker.certificateModeReason": "broker.sniOnlyReason",
      "broker.accountLogging.reason": "broker.accountLogging.disabledReason",
    });
  });
});

describe("refused environment files: one line per problem naming file and key path", () => {
  const cases: [string, (doc: Record<string, any>) => void, RegExp][] = [
    ["an unknown top-level key", (d) => (d.netwrk = {}), /broken\.yaml: netwrk is not a known key; expected one of region, /],
    ["an unknown nested key", (d) => (d.network.vpcCidrs = "10.0.0.0/16"), /network\.vpcCidrs is not a known key/],
    [
      "a malformed CIDR",
      (d) => (d.network.deviceSubnets[1].cidr = "10.0.300.0/24"),
      /network\.deviceSubnets\[1\]\.cidr "10\.0\.300\.0\/24" is not a CIDR/,
    ],
    [
      "host bits set",
      (d) => (d.network.deviceSubnets[0].cidr = "10.42.0.5/20"),
      /network\.deviceSubnets\[0\]\.cidr "10\.42\.0\.5\/20" has host bits set; the network is 10\.42\.0\.0\/20/,
    ],
    [
      "a public VPC CIDR",
      (d) => {
        d.network.vpcCidr = "8.8.0.0/16";
        d.network.deviceSubnets = [
          { az: "eu-west-1a", cidr: "8.8.0.0/20" },
          { az: "eu-west-1b", cidr: "8.8.16.0/20" },
        ];
        d.network.endpointSubnets = [
          { az: "eu-west-1a", cidr: "8.8.240.0/26" },
          { az: "eu-west-1b", cidr: "8.8.240.64/26" },
        ];
      },
      /network\.vpcCidr "8\.8\.0\.0\/16" is not a private range/,
    ],
    [
      "a VPC prefix AWS refuses",
      (d) => (d.network.vpcCidr = "10.0.0.0/8"),
      /network\.vpcCidr "10\.0\.0\.0\/8" has prefix \/8; AWS allows VPC blocks from \/16 to \/28/,
    ],
    [
      "a subnet outside the VPC",
      (d) => (d.network.deviceSubnets[0].cidr = "10.43.0.0/20"),
      /network\.deviceSubnets\[0\]\.cidr "10\.43\.0\.0\/20" is outside network\.vpcCidr 10\.42\.0\.0\/16/,
    ],
    [
      "overlapping subnets",
      (d) => (d.network.endpointSubnets[0].cidr = "10.42.8.0/26"),
      /network\.endpointSubnets\[0\]\.cidr "10\.42\.8\.0\/26" overlaps network\.deviceSubnets\[0\]\.cidr "10\.42\.0\.0\/20"/,
    ],
    ["a subnet smaller than /28", (d) => (d.network.endpointSubnets[0].cidr = "10.42.240.0/29"), /smaller than \/28/],
    [
      "fewer than 2 availability zones",
      (d) => {
        d.network.availabilityZones = ["eu-west-1a"];
      },
      /network\.availabilityZones has 1 entries, needs at least 2/,
    ],
    [
      "a zone of another region",
      (d) => (d.network.availabilityZones[1] = "us-east-1b"),
      /network\.availabilityZones\[1\] "us-east-1b" is not a zone of region eu-west-1/,
    ],
    ["a zone listed twice", (d) => (d.network.availabilityZones = ["eu-west-1a", "eu-west-1a"]), /is listed twice/],
    [
      "a zone without an endpoint subnet",
      (d) => (d.network.endpointSubnets[1].az = "eu-west-1a"),
      /network\.endpointSubnets has no subnet in eu-west-1b; add one per availability zone/,
    ],
    [
      "a subnet in an unlisted zone",
      (d) => (d.network.deviceSubnets[1].az = "eu-west-1c"),
      /network\.deviceSubnets\[1\]\.az "eu-west-1c" is not in network\.availabilityZones/,
    ],
    [
      "office CIDRs inside the VPC",
      (d) => (d.network.officeCidrs = ["10.42.128.0/24"]),
      /network\.officeCidrs\[0\] "10\.42\.128\.0\/24" overlaps network\.vpcCidr 10\.42\.0\.0\/16; the office must be outside the IoT segment/,
    ],
    [
      "office CIDRs containing the VPC",
      (d) => (d.network.officeCidrs = ["10.0.0.0/8"]),
      /network\.officeCidrs\[0\] "10\.0\.0\.0\/8" overlaps network\.vpcCidr/,
    ],
    [
      "more ACL entries than AWS allows",
      (d) => (d.network.officeCidrs = Array.from({ length: 19 }, (_, i) => `192.168.${i}.0/24`)),
      /needs 21 network ACL entries per direction/,
    ],
    [
      "retention under a year",
      (d) => (d.logs.retentionDays = 30),
      /logs\.retentionDays 30 is below the minimum 365 \(connection logs must cover at least a year\); set it to 365 or more/,
    ],
    [
      "a retention CloudWatch refuses",
      (d) => (d.logs.retentionDays = 366),
      /logs\.retentionDays flow log retention 366 days is not a CloudWatch Logs retention value/,
    ],
    [
      "archiving after expiry",
      (d) => {
        d.logs = { store: "s3", retentionDays: 365, archiveAfterDays: 400 };
      },
      /logs\.archiveAfterDays flow log archiveAfterDays 400 is not below retentionDays 365/,
    ],
    ["an unknown log store", (d) => (d.logs.store = "splunk"), /logs\.store "splunk" is not one of cloudwatch, s3, both/],
    [
      "a TLS 1.2 broker policy",
      (d) => (d.broker.tlsPolicy = "IoTSecurityPolicy_TLS12_1_0_2015_01"),
      /broker\.tlsPolicy "IoTSecurityPolicy_TLS12_1_0_2015_01" is not one of IoTSecurityPolicy_TLS13_1_3_2022_10, IoTSecurityPolicy_TLS13_1_2_2022_10/,
    ],
    [
      "account logging off without a reason",
      (d) => (d.broker.accountLogging = { enabled: false }),
      /broker\.accountLogging\.disabledReason is missing; give one line of at least 4 words and 20 characters that says why: which stack manages IoT logging/,
    ],
    [
      "account logging off with a one-word reason",
      (d) => (d.broker.accountLogging = { enabled: false, disabledReason: "elsewhere" }),
      /broker\.accountLogging\.disabledReason "elsewhere" is under a sentence \(1 word, 9 characters\); give one line of at least 4 words and 20 characters/,
    ],
    ["an S3 backend without its settings", (d) => (d.backend = { type: "s3" }), /backend\.s3 is required when backend\.type is s3/],
    [
      "S3 settings on a local backend",
      (d) => (d.backend = { type: "local", s3: { bucket: "b-state", key: "k" } }),
      /backend\.s3 is set but backend\.type is local/,
    ],
    ["a missing required key", (d) => delete d.region, /broken\.yaml: region is required/],
    [
      "a wrong type",
      (d) => (d.network.availabilityZones = "eu-west-1a"),
      /network\.availabilityZones must be a list, got string "eu-west-1a"/,
    ],
    ["a bad region", (d) => (d.region = "Europe"), /region "Europe" is not an AWS region name such as eu-west-1/],
    ["a non-integer", (d) => (d.pki.deviceValidityDays = 1.5), /pki\.deviceValidityDays must be a whole number, got number 1\.5/],
    [
      "a Terraform expression in a tag (it would read the CA key into the plan)",
      (d) => (d.tags.Environment = '${file(".pki/dev/ca/issuing.key")}'),
      /tags\.Environment "\$\{file.*" contains "\$\{", which Terraform would evaluate as an expression; config values are literal text: remove it/,
    ],
    [
      "a Terraform directive in any string",
      (d) => (d.topics.classes.sensor.description = "%{ if true }x%{ endif }"),
      /topics\.classes\.sensor\.description .* contains "%\{"/,
    ],
    [
      "an expression in a backend setting",
      (d) => (d.backend = { type: "s3", s3: { bucket: "moat-state", key: "${var.key}" } }),
      /backend\.s3\.key "\$\{var\.key\}" contains "\$\{"/,
    ],
    ["a reserved aws: tag key", (d) => (d.tags["aws:owner"] = "me"), /tags\.aws:owner "aws:owner" is not a valid AWS tag key/],
    ["a tag value with characters AWS refuses", (d) => (d.tags.Team = "a;b"), /tags\.Team "a;b" is not a valid AWS tag value/],
    ["a bad class name", (d) => (d.topics.classes["Bad Class"] = {}), /topics\.classes\.Bad Class "Bad Class" is not a class name/],
  ];

  test.each(cases)("%s", (_name, mutate, expected) => {
    const problems = problemsWith(mutate);
    expect(problems.some((line) => expected.test(line))).toBe(true);
    for (const line of problems) expect(line).toMatch(/^\S+broken\.yaml: /);
  });

  test.each([
    [
      "broker.certificateModeReason",
      "broker.sniOnlyReason",
      (d: Record<string, any>) => (d.broker.certificateModeReason = d.broker.sniOnlyReason),
    ],
    [
      "broker.accountLogging.reason",
      "broker.accountLogging.disabledReason",
      (d: Record<string, any>) =>
        (d.broker.accountLogging = { enabled: false, reason: "The platform stack owns the account's IoT logging." }),
    ],
  ])("the old key %s is one line that names the new key %s", (oldKey, newKey, mutate) => {
    const problems = problemsWith((d) => {
      mutate(d);
      if (oldKey === "broker.certificateModeReason") delete d.broker.sniOnlyReason;
    });
    expect(problems).toEqual([expect.stringContaining(`${oldKey} was renamed; call it ${newKey}`)]);
  });

  test("every problem is reported at once", () => {
    const problems = problemsWith((d) => {
      d.extra = 1;
      d.network.deviceSubnets[0].cidr = "nope";
      d.logs.store = "splunk";
    });
    expect(problems).toHaveLength(3);
  });

  test("broken YAML names the file, line and column", () => {
    const dir = environmentsDir({ broken: "region: eu-west-1\nnetwork:\n  vpcCidr: [unclosed\n" });
    expect(() => loadEnvironment("broken", { dir })).toThrow(/broken\.yaml: line \d+, column \d+ is not valid YAML: /);
  });

  test("YAML tags that build objects are refused by the safe schema", () => {
    const dir = environmentsDir({ broken: "region: !!js/function 'function () {}'\n" });
    expect(() => loadEnvironment("broken", { dir })).toThrow(/is not valid YAML: unknown tag/);
  });

  test("a missing file lists the known environments", () => {
    expect(() => loadEnvironment("staging")).toThrow(
      /environments\/staging\.yaml: no such environment file; known environments: dev, prod/,
    );
  });

  test("an environment name that could escape the directory is refused", () => {
    expect(() => loadEnvironment("../etc/passwd")).toThrow(MoatError);
  });
});
