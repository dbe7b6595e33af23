/**
 * Issue 13's variants on both sides: each variant of closed-world-variants.ts that can exist as a
 * plan is caught by the same rule, on the same resource, blocking, on its cdk.tf.json and on its
 * real Terraform plan (made offline by `npm run plans`, committed gzipped under test/fixtures/plans).
 */
import { join } from "node:path";
import { isBlocking } from "../../review/finding";
import { loadPlanJson } from "../../review/load-plan";
import { closedWorldPlanName, PLAN_CASES, planFileName } from "../terraform/plan-cases";
import { PLANS_DIR, readPlanText } from "../terraform/plan-inputs";
import { cleanStack, Env, reviewAs, reviewModelAs } from "./clean-stacks";
import { reviewWithFiles } from "./closed-world-support";
import { ClosedWorldVariant, NOT_PLANNED, PLAN_PENDING, STACK_ONLY, VARIANTS } from "./closed-world-variants";

const CLASSES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const caseOf = (v: ClosedWorldVariant) => PLAN_CASES.find((c) => c.name === closedWorldPlanName(v));
const planned = VARIANTS.filter((v) => caseOf(v) !== undefined);

/**
 * The blocking findings of a committed plan, reviewed as its environment's stack. Reviewed once
 * per plan and variant: two tests read each variant's findings, and neither changes them.
 */
const reviewedPlans = new Map<string, ReturnType<typeof reviewPlan>>();
function blockingOnPlan(name: string, env: Env, v?: ClosedWorldVariant) {
  const key = `${name}\0${env}\0${v?.variant ?? ""}`;
  if (!reviewedPlans.has(key)) reviewedPlans.set(key, reviewPlan(name, env, v));
  return reviewedPlans.get(key)!;
}

function reviewPlan(name: string, env: Env, v?: ClosedWorldVariant) {
  const c = PLAN_CASES.find((p) => p.name === name)!;
  const text = readPlanText(c);
  const file = join(PLANS_DIR, planFileName(c));
  const model = loadPlanJson(JSON.parse(text), file, `iot-${env}`, text);
  return reviewModelAs(env, model, v?.suppress?.(cleanStack(env)) ?? []).filter(isBlocking);
}

/** The blocking findings of the variant's cdk.tf.json: in process, or through the CLI when it writes files beside it. */
async function blockingOnStack(v: ClosedWorldVariant): Promise<{ resource: string; blocking: { rule: string; resource: string }[] }> {
  const stack = cleanStack(v.env);
  const extra = v.suppress?.(stack) ?? [];
  const files: Record<string, string> = {};
  const resource = v.apply(stack, files);
  if (Object.keys(files).length === 0) return { resource, blocking: reviewAs(v.env, stack, extra).filter(isBlocking) };
  const run = await reviewWithFiles(stack, files);
  const blocking = run.findings.filter((f) => f.blocking).map((f) => ({ rule: String(f.rule), resource: String(f.resource) }));
  return { resource: resource.startsWith("file ") ? `file ${join(run.dir, resource.slice("file ".length))}` : resource, blocking };
}

describe("the closed-world table", () => {
  test("every variant is planned, or listed as stack-only, refused by Terraform or pending, with a reason", () => {
    const listed = new Set([...Object.keys(STACK_ONLY), ...Object.keys(NOT_PLANNED), ...Object.keys(PLAN_PENDING)]);
    expect(VARIANTS.filter((v) => caseOf(v) === undefined && !listed.has(v.variant)).map((v) => v.variant)).toEqual([]);
    expect([...listed].filter((name) => !VARIANTS.some((v) => v.variant === name))).toEqual([]);
    expect(planned.filter((v) => listed.has(v.variant)).map((v) => v.variant)).toEqual([]);
    for (const reason of [...Object.values(STACK_ONLY), ...Object.values(NOT_PLANNED), ...Object.values(PLAN_PENDING)])
      expect(reason.length).toBeGreaterThan(20);
  });

  test("every class holds at least three variants on cdk.tf.json", () => {
    expect(CLASSES.filter((n) => VARIANTS.filter((v) => v.cls === n).length < 3)).toEqual([]);
  });

  test("every class but 11 (construct paths exist only in cdk.tf.json) holds at least three variants on a real plan", () => {
    expect(CLASSES.filter((n) => n !== 11 && planned.filter((v) => v.cls === n).length < 3)).toEqual([]);
  });

  test("variant names are unique", () => {
    expect(new Set(VARIANTS.map((v) => v.variant)).size).toBe(VARIANTS.length);
  });
});

describe("the clean plans stay clean", () => {
  test.each([
    ["iot-dev.first", "dev"],
    ["iot-prod.first", "prod"],
  ] as const)("%s has no blocking finding", (name, env) => {
    expect(blockingOnPlan(name, env).map((f) => `${f.rule} ${f.resource}: ${f.message}`)).toEqual([]);
  });
});

test("no blocking finding on a variant's plan says null or undefined", () => {
  const said = planned.flatMap((v) =>
    blockingOnPlan(caseOf(v)!.name, v.env, v)
      .filter((f) => /\bnull\b|\bundefined\b/.test(f.message))
      .map((f) => `${v.variant}: ${f.rule} ${f.resource}: ${f.message}`),
  );
  expect(said).toEqual([]);
});

describe("each variant is caught on its cdk.tf.json and on its real plan", () => {
  test.each(planned.map((v) => [v.cls, v.variant, v] as const))("class %i: %s", async (_cls, _name, v) => {
    const onStack = await blockingOnStack(v);
    expect(onStack.blocking).toContainEqual(expect.objectContaining({ rule: v.rule, resource: onStack.resource }));
    const expected = v.onPlan ? { rule: v.onPlan.rule, resource: v.onPlan.resource } : { rule: v.rule, resource: onStack.resource };
    const onPlan = blockingOnPlan(caseOf(v)!.name, v.env, v);
    expect(onPlan.map((f) => ({ rule: f.rule, resource: f.resource }))).toContainEqual(expected);
  });
});
