import { SourceLocation } from "./model";
import { Severity } from "./rule";
import { Suppression } from "./suppressions";

/**
 * `fail`: the rule does not hold. `unknown`: the file cannot tell (never a pass).
 * `rule-error`: the rule itself threw; reported so a bug cannot hide a violation.
 */
export type FindingStatus = "fail" | "unknown" | "rule-error";

export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly status: FindingStatus;
  readonly stack: string;
  /** Resource address, `output.x` for loose values, or `stack`. */
  readonly resource: string;
  readonly message: string;
  readonly location: SourceLocation;
  /** The suppression that accepts it, if any. */
  readonly suppression?: Suppression;
}

/** True when the finding stops the review: an unsuppressed error-severity finding. */
export function isBlocking(finding: Finding): boolean {
  return finding.severity === "error" && finding.suppression === undefined;
}

/** Identity of a finding across two reviews (base and head). */
export function findingKey(finding: Finding): string {
  return [finding.stack, finding.rule, finding.resource, finding.status, finding.message].join("\u0001");
}
