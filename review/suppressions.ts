import { readFileSync } from "node:fs";
import { load } from "js-yaml";
import { MoatError } from "../errors";
import { RuleDefinition } from "./rule";
import { reasonProblem } from "../core/reason";

/** An accepted finding: which rule, on which resource, and why that is acceptable. */
export interface Suppression {
  readonly rule: string;
  /**
   * Terraform address (`aws_security_group.broker`), or `stack` for a stack-wide finding. Never a
   * construct path: the reviewed file writes those itself, so a resource could claim another's.
   * @default every resource of the stacks it applies to
   */
  readonly resource?: string;
  /** Why the finding is acceptable: at least a sentence, shown in every report. */
  readonly reason: string;
  /** Where the suppression was written (`environments/dev.yaml`, `review.yaml`). */
  readonly source: string;
  /**
   * Stacks it applies to; an environment's suppressions apply to that environment's stack only.
   * @default every reviewed stack
   */
  readonly stacks?: readonly string[];
}

/**
 * Checks suppressions against the pack, collecting every problem into one error line:
 * an unknown rule id or a reason under a sentence refuses the whole set.
 */
export function validateSuppressions(suppressions: readonly Suppression[], pack: readonly RuleDefinition[]): void {
  const problems: string[] = [];
  suppressions.forEach((s, i) => {
    const where = `${s.source} suppression ${i + 1} (${s.rule}${s.resource ? ` on ${s.resource}` : ""})`;
    if (!pack.some((r) => r.id === s.rule))
      problems.push(`${where}: unknown rule id ${JSON.stringify(s.rule)}; known ids are ${pack.map((r) => r.id).join(", ")}`);
    if (s.resource !== undefined && s.resource.includes("/") && !s.resource.includes("[")) {
      problems.push(
        `${where}: ${JSON.stringify(s.resource)} is a construct path; suppressions match Terraform addresses only (aws_security_group.broker), since the reviewed file writes its own construct paths`,
      );
    }
    const reason = reasonProblem(s.reason);
    if (reason) problems.push(`${where}: reason ${JSON.stringify(s.reason.trim())} ${reason}: why the finding is acceptable`);
  });
  if (problems.length > 0) throw new MoatError(problems.join("; "));
}

/** Reads a `--suppressions FILE`: YAML with a `suppressions:` list of `{rule, resource, reason}`. */
export function loadSuppressionFile(file: string): Suppression[] {
  let doc: unknown;
  try {
    doc = load(readFileSync(file, "utf8"));
  } catch (err) {
    throw new MoatError(
      `${file}: cannot read suppressions (${(err as Error).message.split("\n")[0]}); write YAML with a "suppressions:" list of {rule, resource, reason}`,
    );
  }
  const list = Array.isArray(doc) ? doc : (doc as { suppressions?: unknown } | null)?.suppressions;
  if (!Array.isArray(list))
    throw new MoatError(`${file}: no "suppressions:" list; write YAML with a "suppressions:" list of {rule, resource, reason}`);
  return list.map((entry, i) => {
    const e = entry as Record<string, unknown> | null;
    const bad = (field: string) =>
      new MoatError(`${file}: suppressions[${i}].${field} must be a string; each entry is {rule, resource, reason}`);
    if (typeof e?.rule !== "string") throw bad("rule");
    if (typeof e.reason !== "string") throw bad("reason");
    if (e.resource !== undefined && typeof e.resource !== "string") throw bad("resource");
    return { rule: e.rule, resource: e.resource as string | undefined, reason: e.reason, source: file };
  });
}
