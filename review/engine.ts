import { MoatError } from "../errors";
import { deepValueRefusal, isStackExhausted } from "./deep-values";
import { Finding, isBlocking } from "./finding";
import { ReviewModel } from "./model";
import { MOAT_PACK } from "./pack";
import { ReviewContext, RuleDefinition, STACK } from "./rule";
import { Suppression, validateSuppressions } from "./suppressions";

/** One stack to review with what is known of its environment. */
export interface ReviewInput {
  readonly model: ReviewModel;
  /** @default {}: no environment known */
  readonly context?: ReviewContext;
}

export interface StackReview {
  readonly model: ReviewModel;
  /** What the review knew of the stack's environment. */
  readonly context: ReviewContext;
  readonly findings: readonly Finding[];
}

export interface ReviewResult {
  readonly stacks: readonly StackReview[];
  readonly pack: readonly RuleDefinition[];
  /** Every suppression in force, with how many findings each accepted. */
  readonly suppressions: readonly { readonly suppression: Suppression; readonly matched: number }[];
  /** Unsuppressed error findings: the review fails when there is one. */
  readonly blocking: readonly Finding[];
}

/** Runs every rule of the pack on one model; a rule that throws becomes a finding. */
export function runRules(model: ReviewModel, context: ReviewContext = {}, pack: readonly RuleDefinition[] = MOAT_PACK): Finding[] {
  const findings: Finding[] = [];
  for (const rule of pack) {
    let violations;
    try {
      violations = rule.check(model, context);
    } catch (err) {
      // A value too deep to evaluate is bad input, not a rule's failure: refuse the file (exit 2).
      if (isStackExhausted(err)) throw deepValueRefusal(model.file);
      findings.push({
        rule: rule.id,
        severity: rule.severity,
        status: "rule-error",
        stack: model.stack,
        resource: STACK,
        message: `rule ${rule.id} failed on stack ${model.stack}: ${(err as Error).message}`,
        location: { file: model.file },
      });
      continue;
    }
    for (const v of violations) {
      findings.push({
        rule: rule.id,
        severity: rule.severity,
        status: v.unknown ? "unknown" : "fail",
        stack: model.stack,
        resource: v.resource,
        message: v.message,
        location: model.locate(v.resource),
      });
    }
  }
  return findings;
}

/**
 * Reviews stacks, applies suppressions and checks that each suppression is valid and used:
 * an unknown rule id, a reason under a sentence or a suppression that matches nothing throws.
 */
export function review(
  inputs: readonly ReviewInput[],
  suppressions: readonly Suppression[] = [],
  pack: readonly RuleDefinition[] = MOAT_PACK,
): ReviewResult {
  validateSuppressions(suppressions, pack);
  const matched = new Map<Suppression, number>(suppressions.map((s) => [s, 0]));
  const stacks = inputs.map(({ model, context }): StackReview => {
    const findings = runRules(model, context, pack).map((finding) => {
      const suppression = suppressions.find((s) => appliesTo(s, finding));
      if (!suppression) return finding;
      matched.set(suppression, (matched.get(suppression) ?? 0) + 1);
      return { ...finding, suppression };
    });
    return { model, context: context ?? {}, findings };
  });
  const unused = suppressions.filter((s) => matched.get(s) === 0);
  if (unused.length > 0) {
    const list = unused.map((s) => `${s.rule}${s.resource ? ` on ${s.resource}` : ""} (${s.source})`).join(", ");
    throw new MoatError(`suppression matches no finding: ${list}; remove it, or fix its rule id or resource address`);
  }
  return {
    stacks,
    pack,
    suppressions: suppressions.map((s) => ({ suppression: s, matched: matched.get(s) ?? 0 })),
    blocking: stacks.flatMap((s) => s.findings.filter(isBlocking)),
  };
}

/**
 * By Terraform address only: a construct path comes from the reviewed file's own `//` metadata,
 * so an added resource could claim a suppressed resource's path and hide its own finding.
 */
function appliesTo(s: Suppression, f: Finding): boolean {
  return (
    s.rule === f.rule && (s.stacks === undefined || s.stacks.includes(f.stack)) && (s.resource === undefined || s.resource === f.resource)
  );
}
