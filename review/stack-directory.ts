import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MoatError } from "../errors";
import { refuseDuplicateKeys } from "./duplicate-keys";
import { isPlainObject } from "./terraform-json";

/**
 * The other files Terraform reads from a stack's directory: `terraform plan` in
 * cdktf.out/stacks/<stack>/ loads every `*.tf` and `*.tf.json` there, merges `*_override.tf(.json)`
 * files last, and takes variable values from `terraform.tfvars(.json)` and `*.auto.tfvars(.json)`.
 * A pull request that adds one changes what is applied without touching cdk.tf.json.
 */
export interface StackDirectory {
  /** Primary Terraform JSON files besides the reviewed one, in name order. */
  readonly extras: readonly { readonly file: string; readonly json: Record<string, unknown> }[];
  /** Override files (`override.tf.json`, `*_override.tf.json`), in name order. */
  readonly overrides: readonly { readonly file: string; readonly json: Record<string, unknown> }[];
  /** Variable values from JSON variable files, in Terraform's order (later wins). */
  readonly variableFiles: readonly { readonly file: string; readonly json: Record<string, unknown> }[];
  /** Files Terraform reads that the review cannot (HCL): each a blocking unknown. */
  readonly unreadable: readonly { readonly file: string; readonly why: string }[];
}

const NONE: StackDirectory = { extras: [], overrides: [], variableFiles: [], unreadable: [] };

const isOverride = (name: string) => /(^|_)override\.tf(\.json)?$/.test(name);

/** The files next to `file` that Terraform also reads; none when the directory holds no others. */
export function readStackDirectory(file: string): StackDirectory {
  const dir = dirname(file);
  if (!existsSync(dir)) return NONE;
  const own = basename(file);
  let names: string[];
  try {
    // Terraform ignores names starting with "." (editor and lock files), and so does the review.
    names = readdirSync(dir)
      .filter(
        (n) =>
          n !== own &&
          !n.startsWith(".") &&
          /\.(tf|tf\.json|tofu|tofu\.json|tfvars|tfvars\.json)$/.test(n) &&
          statSync(join(dir, n)).isFile(),
      )
      .sort();
  } catch (err) {
    throw new MoatError(
      `${dir}: cannot list the stack directory (${(err as Error).message}); Terraform reads every file there, so the review must too`,
      2,
    );
  }
  const extras: { file: string; json: Record<string, unknown> }[] = [];
  const overrides: { file: string; json: Record<string, unknown> }[] = [];
  const unreadable: { file: string; why: string }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith(".tf.json")) (isOverride(name) ? overrides : extras).push({ file: path, json: readJson(path) });
    else if (name.endsWith(".tofu") || name.endsWith(".tofu.json"))
      unreadable.push({
        file: path,
        why: "OpenTofu reads this file as part of the stack (in place of its .tf namesake); the review reads Terraform's .tf.json only",
      });
    else if (name.endsWith(".tf"))
      unreadable.push({
        file: path,
        why: `Terraform ${isOverride(name) ? "merges this HCL override file into" : "reads this HCL file as part of"} the stack, and the review reads JSON only`,
      });
  }
  // Terraform's order: terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) by name.
  const variableNames = [
    ...names.filter((n) => n === "terraform.tfvars" || n === "terraform.tfvars.json"),
    ...names.filter((n) => /\.auto\.tfvars(\.json)?$/.test(n)),
  ];
  const variableFiles: { file: string; json: Record<string, unknown> }[] = [];
  for (const name of variableNames) {
    const path = join(dir, name);
    if (name.endsWith(".json")) variableFiles.push({ file: path, json: readJson(path) });
    else unreadable.push({ file: path, why: "Terraform sets variable values from this HCL file, and the review reads JSON only" });
  }
  return { extras, overrides, variableFiles, unreadable };
}

function readJson(file: string): Record<string, unknown> {
  let json: unknown;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new MoatError(
      `${file}: cannot read it (${(err as Error).message}); Terraform reads every *.tf.json and *.tfvars.json of the stack directory: make it readable or remove it`,
      2,
    );
  }
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MoatError(
      `${file}: not JSON (${(err as Error).message}); Terraform reads every *.tf.json and *.tfvars.json of the stack directory: fix or remove it`,
      2,
    );
  }
  if (!isPlainObject(json))
    throw new MoatError(
      `${file}: the top level is not an object; Terraform reads every *.tf.json and *.tfvars.json of the stack directory: fix or remove it`,
      2,
    );
  refuseDuplicateKeys(text, file);
  return json;
}
