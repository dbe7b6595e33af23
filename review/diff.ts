import { Finding, findingKey } from "./finding";
import { ReviewModel } from "./model";

/** How one stack's resources changed between the base branch and the pull request. */
export interface StackChange {
  readonly stack: string;
  /** `base-only`: a removed stack, or one not among the paths reviewed; `head-only`: a new stack. */
  readonly presence: "both" | "base-only" | "head-only";
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

/** What a pull request changes for security: resources and findings, base vs head. */
export interface ReviewDiff {
  readonly stacks: readonly StackChange[];
  readonly newFindings: readonly Finding[];
  readonly fixedFindings: readonly Finding[];
  readonly unchangedFindings: readonly Finding[];
}

/** Compares the base branch's stacks and findings with the head's, stack by stack name. */
export function diffReviews(base: { models: readonly ReviewModel[]; findings: readonly Finding[] }, head: { models: readonly ReviewModel[]; findings: readonly Finding[] }): ReviewDiff {
  const baseModels = new Map(base.models.map((m) => [m.stack, m]));
  const headModels = new Map(head.models.map((m) => [m.stack, m]));
  const stacks = [...new Set([...baseModels.keys(), ...headModels.keys()])].sort().map((stack) => resourceChanges(stack, baseModels.get(stack), headModels.get(stack)));
  const baseKeys = new Set(base.findings.map(findingKey));
  const headKeys = new Set(head.findings.map(findingKey));
  return {
    stacks,
    newFindings: head.findings.filter((f) => !baseKeys.has(findingKey(f))),
    fixedFindings: base.findings.filter((f) => !headKeys.has(findingKey(f))),
    unchangedFindings: head.findings.filter((f) => baseKeys.has(findingKey(f))),
  };
}

function resourceChanges(stack: string, base: ReviewModel | undefined, head: ReviewModel | undefined): StackChange {
  const before = new Map((base?.resources ?? []).map((r) => [r.address, JSON.stringify(r.attributes)]));
  const after = new Map((head?.resources ?? []).map((r) => [r.address, JSON.stringify(r.attributes)]));
  return {
    stack,
    presence: base && head ? "both" : base ? "base-only" : "head-only",
    added: [...after.keys()].filter((a) => !before.has(a)),
    removed: [...before.keys()].filter((a) => !after.has(a)),
    changed: [...after.keys()].filter((a) => before.has(a) && before.get(a) !== after.get(a)),
  };
}
