/**
 * The shipped dev and prod stacks, synthesized once for all test files (test/support/built-package.ts), and a review of an edited
 * copy the way `moat review` runs it (the environment's context and suppressions), so an
 * adversarial variant is judged by exactly what would judge a pull request.
 */
import { loadEnvironment } from "../../config";
import { review, runRules } from "../../review/engine";
import { contextFromEnvironment, suppressionsFromEnvironment } from "../../review/environment-context";
import { Finding, isBlocking } from "../../review/finding";
import { loadCdktfJson } from "../../review/load-cdktf";
import { ReviewModel } from "../../review/model";
import { sharedSynth } from "../support/built-package";
import { Json } from "./fixture-stack";

export type Env = "dev" | "prod";

const texts = new Map<Env, string>();

function synthesized(env: Env): string {
  if (!texts.has(env)) texts.set(env, sharedSynth(env));
  return texts.get(env) as string;
}

/** A fresh, editable copy of the clean synthesized stack of an environment. */
export function cleanStack(env: Env): Json {
  return JSON.parse(synthesized(env));
}

/** A reviewer's suppression a variant adds to its environment's, by Terraform address. */
export interface ExtraSuppression {
  readonly rule: string;
  readonly resource: string;
}

/** Every finding of a review of `stack` as environment `env`'s stack, suppressions applied. */
export function reviewAs(env: Env, stack: Json, extra: readonly ExtraSuppression[] = []): Finding[] {
  const name = `iot-${env}`;
  return reviewModelAs(env, loadCdktfJson(stack, `${name}/cdk.tf.json`, name, JSON.stringify(stack)), extra);
}

/** Every finding of a review of a loaded stack or plan as environment `env`'s stack, suppressions applied. */
export function reviewModelAs(env: Env, model: ReviewModel, extra: readonly ExtraSuppression[] = []): Finding[] {
  const environment = loadEnvironment(env);
  const name = `iot-${env}`;
  const context = contextFromEnvironment(environment);
  // A variant may remove what a suppression accepts (a new domain configuration satisfies TLS-1);
  // the review refuses a suppression matching nothing, which is not what these tests are about.
  const raw = runRules(model, context);
  const reviewer = extra.map((e) => ({ ...e, reason: "Accepted by the reviewer for this variant only.", source: "review.yaml" }));
  const suppressions = [...suppressionsFromEnvironment(environment, name), ...reviewer].filter((s) =>
    raw.some((f) => f.rule === s.rule && f.resource === s.resource),
  );
  return review([{ model, context }], suppressions).stacks[0].findings as Finding[];
}

export function blockingOf(env: Env, stack: Json, extra: readonly ExtraSuppression[] = []): Finding[] {
  return reviewAs(env, stack, extra).filter(isBlocking);
}

/** The names of a type's resources in a stack. */
export function namesOf(stack: Json, type: string): string[] {
  return Object.keys(stack.resource[type] ?? {});
}

/** The one resource of a type whose attributes satisfy `test`, with its name. */
export function findResource(stack: Json, type: string, test: (body: Json) => boolean = () => true): [string, Json] {
  const found = Object.entries(stack.resource[type] ?? {}).find(([, body]) => test(body as Json));
  if (!found) throw new Error(`the clean stack has no ${type} matching the variant's expectation`);
  return found as [string, Json];
}

/** One insecure edit of a clean stack: which rule must block it, on which resource. */
export interface Variant {
  readonly variant: string;
  readonly env: Env;
  readonly rule: string;
  /**
   * Edits the stack; returns the address the finding must name. Files it writes into `files` go
   * next to cdk.tf.json (Terraform reads every *.tf.json there); such variants run through the CLI.
   */
  readonly apply: (stack: Json, files: Record<string, string>) => string;
  /** Suppressions a reviewer wrote, by address, computed on the clean stack (class 11). */
  readonly suppress?: (stack: Json) => ExtraSuppression[];
  /** @default "unknown" for CW-1 (a closed-world finding is always unknown), else "fail" */
  readonly status?: "fail" | "unknown";
  /** What the finding must say, so a variant blocked for another reason does not count. */
  readonly message?: RegExp;
}

/** A table of variants: each is blocked by its rule on its resource, and the clean stacks stay clean. */
export function describeVariants(title: string, variants: readonly Variant[]): void {
  describe(title, () => {
    test.each(["dev", "prod"] as const)("the clean %s stack has no blocking finding", (env) => {
      expect(blockingOf(env, cleanStack(env)).map((f) => `${f.rule} ${f.resource}: ${f.message}`)).toEqual([]);
    });
    test.each(variants.map((v) => [v.variant, v] as const))("blocks %s", (_name, v) => {
      const stack = cleanStack(v.env);
      const extra = v.suppress?.(stack) ?? [];
      const files: Record<string, string> = {};
      const resource = v.apply(stack, files);
      expect(Object.keys(files)).toEqual([]);
      const blocking = blockingOf(v.env, stack, extra);
      expect(blocking).toContainEqual(
        expect.objectContaining({
          rule: v.rule,
          resource,
          status: v.status ?? (v.rule === "CW-1" ? "unknown" : "fail"),
          message: expect.stringMatching(v.message ?? /./),
        }),
      );
    });
  });
}
