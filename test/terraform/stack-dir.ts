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

/** `terraform validate`; throws one message per error diagnostic, with what to do about it. */
export async function validateStackDir(cli: TerraformCli, dir: string, name: string): Promise<void> {
  const run = await cli.run(dir, ["validate", "-json", "-no-color"]);
  let result: {
    valid?: boolean;
    diagnostics?: {
      severity: string;
      summary: string;
      detail?: string;
      address?: string;
      range?: { filename?: string; start?: { line?: number } };
    }[];
  };
  try {
    result = JSON.parse(run.stdout);
  } catch {
    throw new Error(`terraform validate of ${name} wrote no JSON (exit ${run.code}): ${run.stderr}`);
  }
  if (result.valid && run.code === 0) return;
  const errors = (result.diagnostics ?? []).filter((d) => d.severity === "error");
  throw new Error(
    `terraform validate of ${name} against hashicorp/aws ${MIRROR_PROVIDER_VERSION} failed:\n` +
      errors
        .map(
          (d) =>
            `- ${d.summary}${d.range ? ` (${d.range.filename}:${d.range.start?.line})` : ""}${d.address ? ` in ${d.address}` : ""}: ${d.detail ?? ""}${untranslatedHint(d.summary)}`,
        )
        .join("\n"),
  );
}
