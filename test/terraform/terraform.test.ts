import { readdirSync } from "node:fs";
import { sharedSynth } from "../support/built-package";
import { startAwsStub } from "./aws-stub";
import { runMockTest } from "./mock-test";
import { PLAN_CASES, planFileName } from "./plan-cases";
import { planInputs, PLANS_DIR, REGENERATE, stalePlans } from "./plan-inputs";
import { initStackDir, validateStacksTogether } from "./stack-dir";
import { TerraformCli, terraformMissing } from "./terraform-cli";

type Json = Record<string, any>;

describe("committed plan fixtures (test/fixtures/plans)", () => {
  test("are current: each was made from the stack its case synthesizes today", () => {
    const stale = stalePlans(planInputs());
    if (stale.length > 0)
      throw new Error(
        `stale plan fixtures: ${stale.join(", ")}; run '${REGENERATE}' (needs terraform and the provider mirror) and commit test/fixtures/plans`,
      );
  });

  test("go stale when the stack behind one changes", () => {
    const inputs = planInputs();
    const before = stalePlans(inputs);
    inputs.get("fixture.clean")!.stack.resource.aws_vpc.vpc.cidr_block = "10.43.0.0/16";
    expect(stalePlans(inputs)).toEqual(
      [...before, "fixture.clean"].sort((a, b) => PLAN_CASES.findIndex((c) => c.name === a) - PLAN_CASES.findIndex((c) => c.name === b)),
    );
  });

  test("are exactly the plan cases, nothing left over", () => {
    const files = readdirSync(PLANS_DIR)
      .filter((f) => f !== "inputs.json")
      .sort();
    expect(files).toEqual(PLAN_CASES.map(planFileName).sort());
  });
});

describe("the AWS stub for offline plans", () => {
  test("answers STS GetCallerIdentity and refuses any other call with a body naming it", async () => {
    const stub = await startAwsStub();
    try {
      const sts = await fetch(stub.url, { method: "POST", body: "Action=GetCallerIdentity&Version=2011-06-15" });
      expect(await sts.text()).toContain("<Account>123456789012</Account>");
      const other = await fetch(`${stub.url}/`, { method: "POST", body: "Action=DescribeVpcs" });
      expect(other.status).toBe(400);
      expect(await other.text()).toMatch(/refused: POST \/ Action=DescribeVpcs/);
      expect(stub.refused).toEqual(["POST / Action=DescribeVpcs"]);
    } finally {
      await stub.close();
    }
  });
});

const missing = terraformMissing();
if (missing && process.env.CI !== "true") {
  console.warn(
    `SKIPPED: the Terraform checks (validate, terraform test): ${missing}. Install terraform and the hashicorp/aws mirror (or set MOAT_TF_MIRROR); with CI=true this is a failure.`,
  );
}
const terraformDescribe = missing && process.env.CI !== "true" ? describe.skip : describe;

terraformDescribe("Terraform with the real AWS provider (mirror, offline)", () => {
  if (missing) {
    test(`needs terraform and the provider mirror, which CI=true requires (${missing})`, () => {
      throw new Error(`the Terraform checks cannot run on CI: ${missing}`);
    });
    return;
  }
  // The terraform runs start together in beforeAll and share the cores with the other jest
  // workers; the first test waits for them all.
  jest.setTimeout(240_000);
  const cli = new TerraformCli();
  const stacks: Record<string, Json> = {};
  const results: Record<string, Promise<unknown>> = {};

  beforeAll(() => {
    // The shipped stacks, synthesized once for every suite that reads them.
    for (const env of ["dev", "prod"] as const) stacks[env] = JSON.parse(sharedSynth(env));
    // Started together, awaited by the tests: each terraform run spends most of its time loading
    // the provider, so every stack that is only validated, valid or broken, shares one validate
    // (one root, one module per stack; see validateStacksTogether for why the broken ones cannot
    // hide a problem in the others).
    const broken = (change: (stack: Json) => void) => {
      const stack = JSON.parse(JSON.stringify(stacks.dev));
      change(stack);
      return stack;
    };
    const firstVpc = (stack: Json) => Object.values(stack.resource.aws_vpc as Record<string, Json>)[0];
    const validated = validateStacksTogether(cli, "validate", {
      "iot-dev": stacks.dev,
      "iot-prod": stacks.prod,
      invalid: broken((s) => (firstVpc(s).not_an_aws_argument = true)),
      // Provider 6.x lets every resource name its region; 5.x does not know the argument.
      untranslated: broken((s) => (firstVpc(s).region = "eu-west-1")),
    });
    for (const env of ["dev", "prod"]) {
      results[`validate ${env}`] = validated.then((outcomes) => outcomes[`iot-${env}`]);
      results[`test ${env}`] = initStackDir(cli, env, stacks[env]).then((dir) => runMockTest(cli, dir, stacks[env]));
    }
    results.invalid = validated.then((outcomes) => outcomes.invalid);
    results.untranslated = validated.then((outcomes) => outcomes.untranslated);
    for (const p of Object.values(results)) p.catch(() => undefined);
  });
  afterAll(() => {
    cli.close();
  });

  test.each(["dev", "prod"])("terraform validate passes for iot-%s", async (env) => {
    await expect(results[`validate ${env}`]).resolves.toBeUndefined();
  });

  test.each(["dev", "prod"])("terraform test with a mock provider plans and applies iot-%s", async (env) => {
    await expect(results[`test ${env}`]).resolves.toMatch(/run "plan"\.\.\. pass[\s\S]*run "apply"\.\.\. pass[\s\S]*2 passed, 0 failed/);
  });

  test("fails on an invalid attribute, naming it", async () => {
    await expect(results.invalid).rejects.toThrow(
      /Extraneous JSON object property \(main\.tf\.json:\d+\): No argument or block type is named "not_an_aws_argument"/,
    );
  });

  test("fails on an untranslated provider 6.x difference, saying where to add the translation", async () => {
    await expect(results.untranslated).rejects.toThrow(
      /No argument or block type is named "region".*add an entry with its reason to PROVIDER_5X_TRANSLATIONS in test\/terraform\/provider-translations\.ts/,
    );
  });
});
