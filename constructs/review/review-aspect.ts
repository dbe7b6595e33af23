// Library code, not a stack: it sits with the constructs rather than in review/ because it
// needs cdktf at runtime (Annotations, the synthesis hook), which review/ never loads.
import { Annotations, App, IAspect, TerraformStack } from "cdktf";
// Internal to cdktf (pinned exactly in package.json): the hook cdktf's own assets use to act
// after every aspect and validation, just before a stack's annotations are collected.
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
import { IConstruct } from "constructs";
import { EnvironmentConfig } from "../../config";
import { MoatError } from "../../errors";
// The engine's own modules, not the review index: synth should not load report formats,
// plan loading and diffing it never uses.
import { review } from "../../review/engine";
import { contextFromEnvironment, suppressionsFromEnvironment } from "../../review/environment-context";
import { isBlocking } from "../../review/finding";
import { loadCdktfJson } from "../../review/load-cdktf";
import type { ReviewContext } from "../../review/rule";
import type { Suppression } from "../../review/suppressions";

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
   * @default true, unless `MOAT_REVIEW_AT_SYNTH=report`
   */
  readonly enforce?: boolean;
}

/** `MOAT_REVIEW_AT_SYNTH=report` turns enforcement off for one synth (the PR workflow sets it). */
export const REVIEW_AT_SYNTH_VARIABLE = "MOAT_REVIEW_AT_SYNTH";

/** The property addCustomSynthesis sets (a registered symbol): a stack holds at most one hook. */
const CUSTOM_SYNTHESIS = Symbol.for("cdktf/customSynthesis");

/** The review aspects attached to each stack whose synthesis hook moat owns. */
const reviewersOf = new WeakMap<TerraformStack, Set<ReviewAspect>>();

/**
 * Runs `moat review`'s rules on each stack it visits, on the Terraform JSON cdktf writes for it,
 * so `cdktf synth` and `cdktf deploy` stop on an error finding (an error annotation makes
 * synth throw). Warnings and suppressed findings become warning and info annotations.
 *
 * The review runs when cdktf synthesizes the stack, after every aspect (yours too) has run: it
 * sees exactly what is written, and cdktf writes the configuration the review resolved instead
 * of resolving every token again. `Testing.synth` runs aspects but no synthesis hooks, so it
 * does not review; `Testing.fullSynth` and `app.synth()` do.
 */
export class ReviewAspect implements IAspect {
  /**
   * The aspect for a stack built from `env`, with its context and `review.suppressions`;
   * enforcing unless `MOAT_REVIEW_AT_SYNTH=report`.
   */
  static forEnvironment(env: EnvironmentConfig, stackName: string, pkiDir?: string): ReviewAspect {
    return new ReviewAspect({
      // The PKI store the stack read its CA from, so AUTH-3 compares the stack with that CA.
      context: contextFromEnvironment(env, { pkiDir }),
      suppressions: suppressionsFromEnvironment(env, stackName),
      enforce: process.env[REVIEW_AT_SYNTH_VARIABLE] !== "report",
    });
  }

  constructor(private readonly props: ReviewAspectProps = {}) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack)) return;
    let reviewers = reviewersOf.get(node);
    if (reviewers === undefined) {
      if (CUSTOM_SYNTHESIS in node) {
        // Someone else's hook is on this stack: review the tree as it is now.
        this.annotate(node, node.toTerraform());
        return;
      }
      const registered = new Set<ReviewAspect>();
      reviewers = registered;
      reviewersOf.set(node, registered);
      addCustomSynthesis(node, { onSynthesize: () => reviewAtSynthesis(node, registered) });
    }
    reviewers.add(this);
  }

  /** Reviews one stack's Terraform JSON and annotates the constructs at fault. */
  annotate(node: TerraformStack, config: Record<string, unknown>): void {
    const stack = node.node.id;
    const model = loadCdktfJson(config, `${stack}/cdk.tf.json`, stack);
    const enforce = this.props.enforce ?? process.env[REVIEW_AT_SYNTH_VARIABLE] !== "report";
    let result;
    try {
      result = review([{ model, context: this.props.context }], this.props.suppressions ?? []);
    } catch (err) {
      if (!(err instanceof MoatError)) throw err;
      if (!enforce) Annotations.of(node).addWarning(`moat review: ${err.message}`);
      else Annotations.of(node).addError(`moat review: ${err.message}`);
      return;
    }
    const byPath = new Map(node.node.findAll().map((c) => [c.node.path, c]));
    let stopped = 0;
    for (const finding of result.stacks[0].findings) {
      const target = (finding.location.constructPath && byPath.get(finding.location.constructPath)) || node;
      const text = `moat review ${finding.rule} ${finding.resource}: ${finding.status === "unknown" ? "unknown until apply, so not a pass: " : ""}${finding.message}`;
      if (finding.suppression) Annotations.of(target).addInfo(`${text} (suppressed: ${finding.suppression.reason})`);
      else if (isBlocking(finding) && enforce) {
        Annotations.of(target).addError(text);
        stopped++;
      } else Annotations.of(target).addWarning(text);
    }
    if (stopped > 0) {
      // Synth stops at the first blocking finding's stack; say how to see everything at once.
      Annotations.of(node).addError(
        `moat review stopped synth of ${stack} on ${stopped} blocking finding${stopped === 1 ? "" : "s"}; to synthesize anyway and read the full report, run with ${REVIEW_AT_SYNTH_VARIABLE}=report, then moat review cdktf.out`,
      );
    }
  }
}

/**
 * cdktf's synthesis hook for one stack: resolves the stack once, reviews it with every aspect
 * attached, and hands the same configuration to cdktf's writer, which asks for it next (after
 * collecting annotations). The hand-over lasts for this synchronous synthesis only.
 */
function reviewAtSynthesis(stack: TerraformStack, reviewers: ReadonlySet<ReviewAspect>): void {
  const config = stack.toTerraform();
  for (const reviewer of reviewers) reviewer.annotate(stack, config);
  // HCL output renders from the construct tree, not from toTerraform: nothing to hand over.
  if (App.of(stack).hclOutput) return;
  const served = (): Record<string, unknown> => {
    Reflect.deleteProperty(stack, "toTerraform");
    return config;
  };
  Object.defineProperty(stack, "toTerraform", { value: served, configurable: true, writable: true });
  process.nextTick(() => {
    if (Object.getOwnPropertyDescriptor(stack, "toTerraform")?.value === served) Reflect.deleteProperty(stack, "toTerraform");
  });
}
