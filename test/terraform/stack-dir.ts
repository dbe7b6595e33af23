import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { MIRROR_PROVIDER_VERSION, translateTo5x, untranslatedHint } from "./provider-translations";
import { TerraformCli } from "./terraform-cli";

type Json = Record<string, any>;

/**
 * A synthesized stack as Terraform checks it offline: the provider pinned to the mirror's
 * version, 6.x names translated to 5.x, and no backend (state stays in the temp directory; the
 * prod S3 backend would need credentials). Everything else is the synthesized JSON unchanged.
 */
export function checkableStack(stack: Json): Json {
  const out = JSON.parse(translateTo5x(JSON.stringify(stack))) as Json;
  out.terraform = {
    ...out.terraform,
    required_providers: { ...out.terraform?.required_providers, aws: { source: "hashicorp/aws", version: MIRROR_PROVIDER_VERSION } },
  };
  delete out.terraform.backend;
  return out;
}

/**
 * Input variables the checks set. `allow_example_ca`: the stacks are built from the committed
 * test CA, which a prod stack refuses unless told it is an example; set only where declared.
 */
export function checkVariables(stack: Json): Record<string, boolean> {
  return stack.variable?.allow_example_ca ? { allow_example_ca: true } : {};
}

/** Writes the checkable stack into a new directory and runs `terraform init` there. */
export async function initStackDir(cli: TerraformCli, name: string, stack: Json, files: Record<string, string> = {}): Promise<string> {
  const dir = cli.workDir(name);
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify(checkableStack(stack), null, 2));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  await cli.expectSuccess(dir, ["init", "-input=false", "-no-color", "-backend=false"], `init of ${name}`);
  return dir;
}

interface ValidateDiagnostic {
  severity: string;
  summary: string;
  detail?: string;
  address?: string;
  range?: { filename?: string; start?: { line?: number } };
}

/** Runs `terraform validate -json` and returns its verdict and diagnostics. */
async function runValidate(cli: TerraformCli, dir: string, name: string): Promise<{ valid: boolean; diagnostics: ValidateDiagnostic[] }> {
  const run = await cli.run(dir, ["validate", "-json", "-no-color"]);
  let result: { valid?: boolean; diagnostics?: ValidateDiagnostic[] };
  try {
    result = JSON.parse(run.stdout);
  } catch {
    throw new Error(`terraform validate of ${name} wrote no JSON (exit ${run.code}): ${run.stderr}`);
  }
  return { valid: Boolean(result.valid) && run.code === 0, diagnostics: result.diagnostics ?? [] };
}

/** The error thrown for a stack's error diagnostics, one line each with what to do about it. */
function validateFailure(name: string, errors: ValidateDiagnostic[]): Error {
  return new Error(
    `terraform validate of ${name} against hashicorp/aws ${MIRROR_PROVIDER_VERSION} failed:\n` +
      errors
        .map(
          (d) =>
            `- ${d.summary}${d.range ? ` (${d.range.filename}:${d.range.start?.line})` : ""}${d.address ? ` in ${d.address}` : ""}: ${d.detail ?? ""}${untranslatedHint(d.summary)}`,
        )
        .join("\n"),
  );
}

/** `terraform validate`; throws one message per error diagnostic, with what to do about it. */
export async function validateStackDir(cli: TerraformCli, dir: string, name: string): Promise<void> {
  const result = await runValidate(cli, dir, name);
  if (result.valid) return;
  throw validateFailure(
    name,
    result.diagnostics.filter((d) => d.severity === "error"),
  );
}

/** The module that proves the resources were validated: one resource with an argument no provider has. */
const CANARY = "walk-canary";
const CANARY_ARGUMENT = "moat_walk_canary";
const CANARY_STACK: Json = {
  terraform: { required_providers: { aws: { source: "hashicorp/aws", version: MIRROR_PROVIDER_VERSION } } },
  resource: { aws_vpc: { canary: { cidr_block: "10.0.0.0/16", [CANARY_ARGUMENT]: true } } },
};

/**
 * Several stacks checked by one `terraform validate`: each is a module (its checkable stack in
 * its own folder, its variables set in the module call) of one root, so the provider, whose
 * schema takes most of a validate's time to load, starts once for all of them. Each key's
 * outcome is what {@link validateStackDir} gives for that stack alone: it fails with the error
 * diagnostics raised in its folder, named as in its own directory (`main.tf.json:12`).
 *
 * Stacks expected to fail may share the root with stacks expected to pass, because Terraform
 * checks every resource against the provider schema in one walk and reports what each one
 * breaks. A configuration error found before that walk would stop it and leave the other
 * stacks unchecked, so a canary module with one unknown argument is always added: unless its
 * error is reported, the resources were not checked and the whole call throws.
 */
export async function validateStacksTogether(
  cli: TerraformCli,
  name: string,
  stacks: Record<string, Json>,
): Promise<Record<string, Promise<void>>> {
  const dir = cli.workDir(name);
  const module: Record<string, Json> = {};
  const files: Record<string, Json> = { ...Object.fromEntries(Object.entries(stacks).map(([k, v]) => [k, checkableStack(v)])) };
  files[CANARY] = CANARY_STACK;
  for (const [key, stack] of Object.entries(files)) {
    mkdirSync(join(dir, key));
    writeFileSync(join(dir, key, "main.tf.json"), JSON.stringify(stack, null, 2));
    module[key] = { source: `./${key}`, ...checkVariables(stack) };
  }
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ module }, null, 2));
  await cli.expectSuccess(dir, ["init", "-input=false", "-no-color", "-backend=false"], `init of ${name}`);
  const result = await runValidate(cli, dir, name);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  const inFolder = (d: ValidateDiagnostic, key: string) => d.range?.filename?.startsWith(`${key}/`) ?? false;
  const canary = errors.filter((d) => inFolder(d, CANARY));
  if (canary.length !== 1 || !canary[0].summary.includes("Extraneous JSON object property") || !canary[0].detail?.includes(CANARY_ARGUMENT))
    throw new Error(
      `terraform validate of ${name} did not report the canary's one unknown argument, so it did not check the resources; ` +
        `its diagnostics:\n${JSON.stringify(result.diagnostics, null, 2)}`,
    );
  const outcomes: Record<string, Promise<void>> = {};
  for (const key of Object.keys(stacks)) {
    const prefix = `${key}/`;
    // An error outside every module's folder (the root itself) fails them all.
    const own = errors
      .filter((d) => inFolder(d, key) || !Object.keys(files).some((k) => inFolder(d, k)))
      .map((d) => (inFolder(d, key) ? { ...d, range: { ...d.range, filename: d.range!.filename!.slice(prefix.length) } } : d));
    outcomes[key] = own.length === 0 ? Promise.resolve() : Promise.reject(validateFailure(key, own));
    outcomes[key].catch(() => undefined);
  }
  return outcomes;
}
