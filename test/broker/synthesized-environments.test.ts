import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { loadEnvironment } from "../../config";
import { main } from "../../bin/moat";
import { buildApp } from "../../stacks/app";
import { IotEnvironmentStack } from "../../stacks/environment-stack";
import { readPolicyExpression } from "./policy-expression";
import { scratchDir } from "../support/scratch";

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

// What the segment promises, checked on the files `cdktf synth` writes for each environment (not on an in-memory stack).
describe.each(["dev", "prod"])("the synthesized %s environment, as written to cdktf.out", (name) => {
  const outdir = scratchDir("moat-synthesized-environments-");
  buildApp({ environments: [name], outdir }).app.synth();
  const stackFile = path.join(outdir, "stacks", `iot-${name}`, "cdk.tf.json");
  const resources = (JSON.parse(fs.readFileSync(stackFile, "utf8")) as { resource: Resources }).resource;
  const env = loadEnvironment(name);

  test("no IoT policy has *, # or + in an action or resource", () => {
    const policies = Object.values(resources.aws_iot_policy ?? {});
    expect(policies.length).toBeGreaterThan(1);
    for (const policy of policies) {
      const document = readPolicyExpression(policy.policy as string);
      for (const statement of document.Statement) {
        for (const value of [...[].concat(statement.Action as never), ...[].concat(statement.Resource as never)] as string[])
          expect(value).not.toMatch(/[*#+]/);
      }
    }
  });

  test("every Connect statement carries the thing-name variable, IsAttached and the segment's aws:SourceVpce", () => {
    const endpointKeys = Object.keys(resources.aws_vpc_endpoint ?? {});
    expect(endpointKeys).toHaveLength(1);
    const statements = Object.values(resources.aws_iot_policy ?? {})
      .flatMap((p) => readPolicyExpression(p.policy as string).Statement)
      .filter((s) => ([] as unknown[]).concat(s.Action).includes("iot:Connect")) as Array<{
      Resource: string;
      Condition: Record<string, Record<string, string>>;
    }>;
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Resource).toMatch(/:client\/\$\{iot:Connection\.Thing\.ThingName\}$/);
      expect(statement.Condition.Bool["iot:Connection.Thing.IsAttached"]).toBe("true");
      expect(statement.Condition.StringEquals["aws:SourceVpce"]).toBe(`\${aws_vpc_endpoint.${endpointKeys[0]}.id}`);
    }
  });

  test("the only ingress to the endpoint security group is TCP 8883 from the device subnets", () => {
    const endpoint = Object.values(resources.aws_vpc_endpoint)[0];
    const [groupRef] = endpoint.security_group_ids as string[];
    const groupKey = /^\$\{aws_security_group\.([^.]+)\.id\}$/.exec(groupRef)?.[1];
    expect(groupKey).toBeDefined();
    expect(resources.aws_security_group[groupKey as string].ingress).toBeUndefined();
    const rules = Object.values(resources.aws_vpc_security_group_ingress_rule ?? {}).filter((r) => r.security_group_id === groupRef);
    expect(rules.map((r) => [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4]).sort()).toEqual(
      env.network.deviceSubnets.map((s) => ["tcp", 8883, 8883, s.cidr]).sort(),
    );
    expect(Object.values(resources.aws_security_group_rule ?? {}).filter((r) => r.security_group_id === groupRef)).toEqual([]);
  });

  test("moat review finds nothing to block in it", async () => {
    let out = "";
    const code = await main(["review", outdir], { stdout: (t) => (out += t), stderr: (t) => (out += t) });
    expect(out).toMatch(/PASS/);
    expect(code).toBe(0);
  });

  test("devices may egress only to the broker endpoint's security group on TCP 8883", () => {
    const endpointGroup = (Object.values(resources.aws_vpc_endpoint)[0].security_group_ids as string[])[0];
    const egress = Object.values(resources.aws_vpc_security_group_egress_rule ?? {});
    expect(egress.map((r) => [r.ip_protocol, r.from_port, r.to_port, r.referenced_security_group_id, r.cidr_ipv4])).toEqual([
      ["tcp", 8883, 8883, endpointGroup, undefined],
    ]);
    expect(egress[0].security_group_id).not.toBe(endpointGroup);
  });

  test("no aws_iot_certificate without a CSR and no PEM private key anywhere in cdktf.out", () => {
    for (const certificate of Object.values(resources.aws_iot_certificate ?? {})) expect(certificate.csr).toEqual(expect.any(String));
    const files = filesUnder(outdir);
    expect(files).toContain(stackFile);
    for (const file of files) expect(fs.readFileSync(file, "utf8")).not.toMatch(/PRIVATE KEY/);
    // The registered CA is the public PEM from the store, nothing more.
    expect(Object.values(resources.aws_iot_ca_certificate)[0].ca_certificate_pem).toMatch(
      /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n$/,
    );
  });
});

describe("the environment stack's broker wiring", () => {
  const dir = () => scratchDir("moat-pki-empty-");
  test("with no CA in the PKI store, synthesis stops on one line naming moat pki init --env", () => {
    const empty = dir();
    expect(() => new IotEnvironmentStack(Testing.app(), "iot-dev", { environment: loadEnvironment("dev"), pkiDir: empty })).toThrow(
      `environments/dev.yaml: no issuing CA certificate at ${path.join(empty, "dev", "ca", "issuing.pem")}; run moat pki init --env dev`,
    );
  });

  test("DEFAULT mode without a verification certificate stops synthesis with a message naming the registration-code flow", () => {
    const store = dir();
    fs.mkdirSync(path.join(store, "prod", "ca"), { recursive: true });
    fs.copyFileSync(
      path.join(__dirname, "..", "fixtures", "pki", "dev", "ca", "issuing.pem"),
      path.join(store, "prod", "ca", "issuing.pem"),
    );
    // prod as if its CA certificates were not committed (no pki.publicDir): read from the store.
    const prod = loadEnvironment("prod");
    const fromStore = { ...prod, pki: { ...prod.pki, publicDir: undefined } };
    expect(() => new IotEnvironmentStack(Testing.app(), "iot-prod", { environment: fromStore, pkiDir: store })).toThrow(
      /^environments\/prod\.yaml: broker\.certificateMode DEFAULT needs the CA verification certificate at .*; run aws iot get-registration-code, then moat pki verification-cert --env prod --registration-code CODE$/,
    );
  });

  test("SNI_ONLY without a reason is refused at synthesis, naming the key", () => {
    const dev = loadEnvironment("dev");
    const environment = { ...dev, broker: { ...dev.broker, sniOnlyReason: undefined } };
    expect(() => new IotEnvironmentStack(Testing.app(), "iot-dev", { environment })).toThrow(
      "environments/dev.yaml: broker.sniOnlyReason is required with certificateMode SNI_ONLY",
    );
  });
});
