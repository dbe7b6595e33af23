import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkVariables } from "./stack-dir";
import { TerraformCli } from "./terraform-cli";

type Json = Record<string, any>;

const TEMPLATE = join(__dirname, "mock-apply.tftest.hcl");

/** The mock-provider test file for a stack, with the variables the stack declares set. */
export function mockTestFile(stack: Json): string {
  const variables = Object.entries(checkVariables(stack)).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}\n`);
  return readFileSync(TEMPLATE, "utf8").replace(
    "# __VARIABLES__",
    variables.length ? `variables {\n${variables.join("")}}` : "# (no variables to set)",
  );
}

/** `terraform test` of an initialised stack directory with the mock provider: plan, then apply. */
export async function runMockTest(cli: TerraformCli, dir: string, stack: Json): Promise<string> {
  writeFileSync(join(dir, "mock-apply.tftest.hcl"), mockTestFile(stack));
  const run = await cli.run(dir, ["test", "-no-color"]);
  if (run.code !== 0) throw new Error(`terraform test (mock provider) failed in ${dir}:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}
