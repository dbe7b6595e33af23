/**
 * `npm run plans [NAME...]`: regenerates every committed plan fixture (test/fixtures/plans/) with real
 * Terraform, the mirror's AWS provider and a local stub of the two AWS calls a plan makes. Run it
 * whenever the constructs, the environments or the review fixture change; the Terraform suite
 * fails while a committed plan is stale. With names, only those plans are made again.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { appliedState, ProviderSchema } from "./applied-state";
import { startAwsStub } from "./aws-stub";
import { offlineCli, offlinePlan } from "./offline-plan";
import { PLAN_CASES, PlanCase, planFileName } from "./plan-cases";
import { fixtureText, PLANS_DIR, planInputs, readPlanText, writeManifest } from "./plan-inputs";
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
  // In the order named: a long run interrupted keeps the plans it made first.
  const cases = names.length === 0 ? [...PLAN_CASES] : names.map((n) => PLAN_CASES.find((c) => c.name === n)!);
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
        process.stdout.write(
          `  ${c.name} FAILED: ${(err as Error).message
            .split("\n")
            .filter((l) => /Error|refused/.test(l))
            .slice(0, 3)
            .join(" | ")}\n`,
        );
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
      const { plan } = await offlinePlan(cli, stub, c.name, input.stack, state, input.files);
      plans.set(c.name, plan);
      // Written as soon as made, with its digest: the closed-world cases take a long time.
      mkdirSync(PLANS_DIR, { recursive: true });
      const file = join(PLANS_DIR, planFileName(c));
      const text = fixtureText(plan, existsSync(file) ? readPlanText(c) : undefined);
      writeFileSync(file, c.compressed ? gzipSync(text, { level: 9 }) : text);
      writeManifest(new Map([[c.name, input]]));
      process.stdout.write(`  ${c.name} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    };
    // Two at a time: each plan starts a provider that uses most of a core.
    const queue = [...cases];
    await Promise.all(
      [0, 1].map(async () => {
        for (let c = queue.shift(); c; c = queue.shift()) await planOne(c);
      }),
    );
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
