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

/**
 * Several stacks checked by one `terraform validate`: each is a module (its checkable stack in
 * its own folder, its variables set in the module call) of one root, so the provider, whose
 * schema takes most of a validate's time to load, starts once for all of them. Each key's
 * outcome is what {@link validateStackDir} gives for that stack alone: it fails with the error
 * diagnostics raised in its folder, named as in its own directory (`main.tf.json:12`).
 */
export async function validateStacksTogether(
  cli: TerraformCli,
  name: string,
  stacks: Record<string, Json>,
): Promise<Record<string, Promise<void>>> {
  const dir = cli.workDir(name);
  const module: Record<string, Json> = {};
  for (const [key, stack] of Object.entries(stacks)) {
    mkdirSync(join(dir, key));
    writeFileSync(join(dir, key, "main.tf.json"), JSON.stringify(checkableStack(stack), null, 2));
    module[key] = { source: `./${key}`, ...checkVariables(stack) };
  }
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ module }, null, 2));
  await cli.expectSuccess(dir, ["init", "-input=false", "-no-color", "-backend=false"], `init of ${name}`);
  const result = await runValidate(cli, dir, name);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  const outcomes: Record<string, Promise<void>> = {};
  for (const key of Object.keys(stacks)) {
    const prefix = `${key}/`;
    // An error outside every module's folder (the root itself) fails them all.
    const own = errors
      .filter(
        (d) =>
          !d.range?.filename ||
          d.range.filename.startsWith(prefix) ||
          !Object.keys(stacks).some((k) => d.range!.filename!.startsWith(`${k}/`)),
      )
      .map((d) =>
        d.range?.filename?.startsWith(prefix) ? { ...d, range: { ...d.range, filename: d.range.filename.slice(prefix.length) } } : d,
      );
    outcomes[key] = result.valid || own.length === 0 ? Promise.resolve() : Promise.reject(validateFailure(key, own));
    outcomes[key].catch(() => undefined);
  }
  if (!result.valid && errors.length === 0) throw new Error(`terraform validate of ${name} failed without an error diagnostic`);
  return outcomes;
}
