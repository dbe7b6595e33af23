import { Annotations, IAspect, TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { EnvironmentConfig } from "../config";
import { MoatError } from "../errors";
// The engine's own modules, not the review index: synth should not load report formats,
// plan loading and diffing it never uses.
import { review } from "../review/engine";
import { contextFromEnvironment, suppressionsFromEnvironment } from "../review/environment-context";
import { isBlocking } from "../review/finding";
import { loadCdktfJson } from "../review/load-cdktf";
import type { ReviewContext } from "../review/rule";
import type { Suppression } from "../review/suppressions";

export interface ReviewAspectProps {
  /**
   * What the environment intends (office CIDRs, device subnets, retention).
   * @default {}: rules that need it report "unknown", which stops synth
   */
  readonly context?: ReviewContext;
  /**
   * Accepted findings, each with a reason.
   * @default []
   */
  readonly suppressions?: readonly Suppression[];
  /**
   * false: error findings become warnings and synth goes on. For CI only, where `moat review`
   * runs right after synth, reports every finding and fails the job itself.
   * @default true
   */
  readonly enforce?: boolean;
}

/** `MOAT_REVIEW_AT_SYNTH=report` turns enforcement off for one synth (the PR workflow sets it). */
export const REVIEW_AT_SYNTH_VARIABLE = "MOAT_REVIEW_AT_SYNTH";

/**
 * Runs `moat review`'s rules on each stack it visits, as cdktf would write it, so `cdktf synth`
 * and `cdktf deploy` stop on an error finding (an error annotation makes synth throw).
 * Warnings and suppressed findings become warning and info annotations.
 *
 * The stack is reviewed when the aspect reaches it, before aspects reach its children:
 * attach this aspect to the stack, and change resources in constructs rather than aspects.
 */
export class ReviewAspect implements IAspect {
  /**
   * The aspect for a stack built from `env`, with its context and `review.suppressions`;
   * enforcing unless `MOAT_REVIEW_AT_SYNTH=report`.
   */
  static forEnvironment(env: EnvironmentConfig, stackName: string): ReviewAspect {
    return new ReviewAspect({
      context: contextFromEnvironment(env),
      suppressions: suppressionsFromEnvironment(env, stackName),
      enforce: process.env[REVIEW_AT_SYNTH_VARIABLE] !== "report",
    });
  }

  constructor(private readonly props: ReviewAspectProps = {}) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack)) return;
    const stack = node.node.id;
    const model = loadCdktfJson(node.toTerraform(), `${stack}/cdk.tf.json`, stack);
    let result;
    try {
      result = review([{ model, context: this.props.context }], this.props.suppressions ?? []);
    } catch (err) {
      if (!(err instanceof MoatError)) throw err;
      if (this.props.enforce === false) Annotations.of(node).addWarning(`moat review: ${err.message}`);
      else Annotations.of(node).addError(`moat review: ${err.message}`);
      return;
    }
    const byPath = new Map(node.node.findAll().map((c) => [c.node.path, c]));
    for (const finding of result.stacks[0].findings) {
      const target = (finding.location.constructPath && byPath.get(finding.location.constructPath)) || node;
      const text = `moat review ${finding.rule} ${finding.resource}: ${finding.status === "unknown" ? "unknown until apply, so not a pass: " : ""}${finding.message}`;
      if (finding.suppression) Annotations.of(target).addInfo(`${text} (suppressed: ${finding.suppression.reason})`);
      else if (isBlocking(finding) && this.props.enforce !== false) Annotations.of(target).addError(text);
      else Annotations.of(target).addWarning(text);
    }
  }
}
