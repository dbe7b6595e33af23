/**
 * `npm run plans [NAME...]`: regenerates every committed plan fixture (test/fixtures/plans/) with real
 * Terraform, the mirror's AWS provider and a local stub of the two AWS calls a plan makes. Run it
 * whenever the constructs, the environments or the review fixture change; the Terraform suite
 * fails while a committed plan is stale. With names, only those plans are made again.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appliedState, ProviderSchema } from "./applied-state";
import { startAwsStub } from "./aws-stub";
import { offlineCli, offlinePlan } from "./offline-plan";
import { PLAN_CASES, PlanCase } from "./plan-cases";
import { fixtureText, PLANS_DIR, planInputs, writeManifest } from "./plan-inputs";
import { terraformMissing } from "./terraform-cli";

type Json = Record<string, any>;

async function main(): Promise<void> {
  const missing = terraformMissing();
  if (missing) throw new Error(`cannot generate plans: ${missing}`);
  const started = Date.now();
  const inputs = planInputs();
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !inputs.has(n));
  if (unknown.length) throw new Error(`no plan case named ${unknown.join(", ")}; the cases are in test/terraform/plan-cases.ts`);
  const cases = PLAN_CASES.filter((c) => names.length === 0 || names.includes(c.name));
  const stub = await startAwsStub();
  const cli = offlineCli(stub);
  try {
    const plans = new Map<string, Json>();
    let schema: ProviderSchema | undefined;
    const failed: string[] = [];
    const planOne = async (c: PlanCase): Promise<void> => {
      try {
        await planCase(c);
      } catch (err) {
        failed.push(`${c.name}: ${(err as Error).message}`);
      }
    };
    const planCase = async (c: PlanCase): Promise<void> => {
      const input = inputs.get(c.name)!;
      let state: Json | undefined;
      if (input.base) {
        const first = await offlinePlan(cli, stub, `${c.name}-base`, input.base);
        schema ??= await providerSchema(cli, first.dir);
        state = appliedState(first.plan, schema);
      }
      const { plan } = await offlinePlan(cli, stub, c.name, input.stack, state);
      plans.set(c.name, plan);
      process.stdout.write(`  ${c.name} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    };
    // Two at a time: each plan starts a provider that uses most of a core.
    const queue = [...cases];
    await Promise.all(
      [0, 1].map(async () => {
        for (let c = queue.shift(); c; c = queue.shift()) await planOne(c);
      }),
    );
    mkdirSync(PLANS_DIR, { recursive: true });
    const made = cases.filter((c) => plans.has(c.name));
    for (const c of made) {
      const file = join(PLANS_DIR, `${c.name}.json`);
      writeFileSync(file, fixtureText(plans.get(c.name)!, existsSync(file) ? readFileSync(file, "utf8") : undefined));
    }
    writeManifest(new Map(made.map((c) => [c.name, inputs.get(c.name)!])));
    if (failed.length > 0)
      throw new Error(`${failed.length} of ${cases.length} plans failed (the others are written):\n${failed.join("\n")}`);
    console.log(`${readdirSync(PLANS_DIR).length} files in ${PLANS_DIR} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await stub.close();
    cli.close();
  }
}

async function providerSchema(cli: ReturnType<typeof offlineCli>, dir: string): Promise<ProviderSchema> {
  const run = await cli.expectSuccess(dir, ["providers", "schema", "-json"], "provider schema");
  const schemas = JSON.parse(run.stdout).provider_schemas as Record<string, ProviderSchema>;
  return schemas["registry.terraform.io/hashicorp/aws"];
}

main().catch((err: Error) => {
  console.error(`npm run plans: ${err.message}`);
  process.exitCode = 1;
});
