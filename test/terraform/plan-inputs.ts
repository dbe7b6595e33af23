import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { buildApp } from "../../stacks/app";
import { fixtureStack, PLAN_CASES, PlanCase, planFileName } from "./plan-cases";
import { checkableStack, checkVariables } from "./stack-dir";

type Json = Record<string, any>;

export const PLANS_DIR = join(__dirname, "..", "fixtures", "plans");
/** Input digests of the committed plans: a plan is stale when its input's digest changed. */
const MANIFEST = join(PLANS_DIR, "inputs.json");
export const REGENERATE = "npm run plans";

export interface PlanInput {
  /** The cdk.tf.json to plan. */
  readonly stack: Json;
  /** For an update: the stack applied first. */
  readonly base?: Json;
  /** Files beside the stack's configuration (a closed-world variant's extra or override files, a local module). */
  readonly files?: Record<string, string>;
}

/**
 * The stack behind every committed plan, synthesized now: the environments from their files
 * (with the committed test CA), the fixture cases from the review tests' fixture.
 */
export function planInputs(): Map<string, PlanInput> {
  process.env.MOAT_PKI_DIR ??= join(__dirname, "..", "fixtures", "pki");
  const outdir = mkdtempSync(join(tmpdir(), "moat-plans-synth-"));
  try {
    const envs = [...new Set(PLAN_CASES.flatMap((c) => ("env" in c.source ? [c.source.env] : [])))];
    buildApp({ environments: envs, outdir }).app.synth();
    const synthesized = (env: string): Json => JSON.parse(readFileSync(join(outdir, "stacks", `iot-${env}`, "cdk.tf.json"), "utf8"));
    return new Map(
      PLAN_CASES.map((c) => {
        if (!("env" in c.source)) return [c.name, { stack: fixtureStack(c) }];
        const stack = synthesized(c.source.env);
        const files: Record<string, string> = {};
        c.mutate?.(stack, files);
        const extra = Object.keys(files).length > 0 ? { files } : {};
        return [c.name, c.update ? { stack, base: synthesized(c.source.env), ...extra } : { stack, ...extra }];
      }),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** What a plan depends on: the configuration Terraform sees, its variables, and the applied base. */
export function inputDigest(input: PlanInput): string {
  const seen = (s: Json) => ({ config: checkableStack(s), variables: checkVariables(s) });
  return createHash("sha256")
    .update(
      JSON.stringify({ ...seen(input.stack), base: input.base ? seen(input.base) : null, ...(input.files ? { files: input.files } : {}) }),
    )
    .digest("hex");
}

/**
 * A plan as committed: pretty-printed (Terraform writes one line) so a regenerated plan reads as a
 * diff, `relevant_attributes` sorted (Terraform writes them in no stable order), and the committed
 * text kept when only Terraform's `timestamp` differs, so regenerating changes only what changed.
 */
export function fixtureText(plan: Json, committed?: string): string {
  const key = (r: Json) => `${r.resource} ${JSON.stringify(r.attribute)}`;
  const sorted = {
    ...plan,
    relevant_attributes: [...(plan.relevant_attributes ?? [])].sort((a: Json, b: Json) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)),
  };
  const text = `${JSON.stringify(sorted, null, 2)}\n`;
  if (committed === undefined) return text;
  const withoutTimestamp = (t: string) => JSON.stringify({ ...JSON.parse(t), timestamp: undefined });
  return withoutTimestamp(committed) === withoutTimestamp(text) ? committed : text;
}

/** Records the digests of the plans just made, keeping the others'. */
export function writeManifest(made: ReadonlyMap<string, PlanInput>): void {
  const recorded: Record<string, string> = existsSync(MANIFEST) ? JSON.parse(readFileSync(MANIFEST, "utf8")) : {};
  for (const [name, input] of made) recorded[name] = inputDigest(input);
  const names = new Set(PLAN_CASES.map((c) => c.name));
  const kept = Object.keys(recorded)
    .filter((n) => names.has(n))
    .sort();
  writeFileSync(MANIFEST, `${JSON.stringify(Object.fromEntries(kept.map((n) => [n, recorded[n]])), null, 2)}\n`);
}

/** Names of committed plans whose inputs changed since they were generated, or that are missing. */
export function stalePlans(inputs: ReadonlyMap<string, PlanInput>): string[] {
  const recorded: Record<string, string> = existsSync(MANIFEST) ? JSON.parse(readFileSync(MANIFEST, "utf8")) : {};
  return [...inputs]
    .filter(([name, input]) => recorded[name] !== inputDigest(input) || !existsSync(join(PLANS_DIR, planFileName(caseNamed(name)))))
    .map(([name]) => name);
}

const caseNamed = (name: string): PlanCase => PLAN_CASES.find((c) => c.name === name)!;

/** The committed text of a plan case, read through gzip when it is committed compressed. */
export function readPlanText(c: PlanCase): string {
  const bytes = readFileSync(join(PLANS_DIR, planFileName(c)));
  return c.compressed ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
}
