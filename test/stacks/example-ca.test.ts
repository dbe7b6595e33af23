import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { loadEnvironment } from "../../config";
import { IotEnvironmentStack } from "../../stacks/environment-stack";
import { ALLOW_EXAMPLE_CA_VARIABLE, EXAMPLE_CA_ERROR, EXAMPLE_CA_FINGERPRINTS } from "../../constructs/broker/example-ca";
import { brokerStack } from "../broker/broker-fixture";
import { X509Certificate } from "node:crypto";

/** Issue 18 item 8: a stack whose CA is the committed example synthesizes, but no plan or apply goes ahead with it. */
const REPO = path.join(__dirname, "..", "..");
const synthProd = () =>
  JSON.parse(Testing.synth(new IotEnvironmentStack(Testing.app(), "iot-prod", { environment: loadEnvironment("prod") }), true));
const caOf = (json: any) => Object.entries(json.resource.aws_iot_ca_certificate as Record<string, any>);

test("the example fingerprint is the committed prod CA's (regenerating the example must update it)", () => {
  const committed = new X509Certificate(fs.readFileSync(path.join(REPO, "environments", "prod-ca", "issuing.pem")));
  expect(EXAMPLE_CA_FINGERPRINTS.has(committed.fingerprint256)).toBe(true);
});

describe("the prod environment synthesized with the committed example CA", () => {
  const json = synthProd();

  test("declares a bool variable allow_example_ca, default false, with a description", () => {
    expect(json.variable).toEqual({
      [ALLOW_EXAMPLE_CA_VARIABLE]: {
        type: "bool",
        default: false,
        nullable: false,
        description: expect.stringMatching(/never applied.*moat pki init/),
      },
    });
  });

  test("puts a precondition on the CA registration whose message is one line naming the commands that make a real CA", () => {
    const [[, ca]] = caOf(json);
    expect(ca.lifecycle).toEqual({ precondition: [{ condition: "${var.allow_example_ca}", error_message: EXAMPLE_CA_ERROR }] });
    expect(EXAMPLE_CA_ERROR).not.toMatch(/\n|\$\{|%\{/);
    for (const command of ["moat pki init", "moat pki verification-cert", "aws iot get-registration-code", "moat pki publish"])
      expect(EXAMPLE_CA_ERROR).toContain(command);
  });
});

test("a stack whose CA is not the example synthesizes neither the variable nor the precondition", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moat-own-ca-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        path.join(dir, "ca.key"),
        "-out",
        path.join(dir, "ca.pem"),
        "-days",
        "30",
        "-subj",
        "/CN=own test CA",
        "-addext",
        "basicConstraints=critical,CA:true",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      { stdio: "ignore" },
    );
    const { stack } = brokerStack({
      caCertificatePem: fs.readFileSync(path.join(dir, "ca.pem"), "utf8"),
      verificationCertificatePem: undefined,
      sniOnlyReason: "a test CA made here, registered without proof of possession",
    });
    const json = JSON.parse(Testing.synth(stack, true));
    expect(json.variable).toBeUndefined();
    expect(caOf(json)[0][1]).not.toHaveProperty("lifecycle");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The real Terraform CLI (1.11, provider 5.100 from the local mirror), offline: `terraform test`
 * with a mocked AWS provider plans the synthesized prod stack twice. Adjusted for the 5.x mirror
 * as FIELD-NOTES says: version constraint relaxed, data.aws_region's `.region` read as `.name`,
 * backend dropped (test runs keep state in memory).
 */
describe("the synthesized prod stack under real terraform", () => {
  const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" });
  const mirror = "/opt/tf-plugins";
  const available = terraform.status === 0 && fs.existsSync(mirror);
  if (!available)
    console.warn(
      `SKIPPING the real-Terraform check of the example CA: terraform (${terraform.error?.message ?? terraform.stderr}) or the provider mirror ${mirror} is missing`,
    );
  const run = available ? test : test.skip;

  run(
    "a plan is refused with the one-line message unless -var allow_example_ca=true",
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moat-tf-example-ca-"));
      try {
        const json = synthProd();
        delete json.terraform.backend;
        json.terraform.required_providers.aws.version = ">= 5.100";
        const text = JSON.stringify(json).replace(/(\$\{data\.aws_region\.[^.}]+)\.region\}/g, "$1.name}");
        fs.writeFileSync(path.join(dir, "cdk.tf.json"), text);
        // Two plans in one run of the CLI (a failed run skips the ones after it, so it comes last):
        // the one that sets the variable passes, the default one fails on the precondition.
        fs.writeFileSync(
          path.join(dir, "example_ca.tftest.hcl"),
          [
            'mock_provider "aws" {}',
            'run "allowed_for_a_plan_never_applied" {',
            "  command = plan",
            "  variables {",
            "    allow_example_ca = true",
            "  }",
            "}",
            'run "with_the_default" {',
            "  command = plan",
            "}",
            "",
          ].join("\n"),
        );
        const cli = path.join(dir, "cli.tfrc");
        fs.writeFileSync(cli, `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`);
        const env = { ...process.env, TF_CLI_CONFIG_FILE: cli, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
        const init = spawnSync("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env, encoding: "utf8" });
        expect(init.stderr).toBe("");
        expect(init.status).toBe(0);
        const tested = spawnSync("terraform", ["test", "-no-color"], { cwd: dir, env, encoding: "utf8" });
        const output = tested.stdout + tested.stderr;
        expect(output).toMatch(/run "with_the_default"\.\.\. fail/);
        expect(output).toMatch(/run "allowed_for_a_plan_never_applied"\.\.\. pass/);
        expect(output).toMatch(/1 passed, 1 failed/);
        const caAddress = caOf(json).map(([name]) => `aws_iot_ca_certificate.${name}`)[0];
        expect(output).toContain(`Resource precondition failed`);
        expect(output).toContain(`on cdk.tf.json`);
        expect(output).toContain(caAddress);
        // Terraform wraps long messages: compare with the line breaks and box drawing removed.
        expect(output.replace(/\s*\n[\s│]*/g, " ")).toContain(EXAMPLE_CA_ERROR);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
