import { diffReviews, ReviewDiff } from "./diff";
import { review, ReviewResult, runRules } from "./engine";
import { contextFromEnvironment, environmentForStack, suppressionsFromEnvironment } from "./environment-context";
import { refusingDeepValues } from "./deep-values";
import { discoverStackFiles, loadStackFile } from "./load";
import { ReviewModel } from "./model";
import { Suppression } from "./suppressions";

export interface ReviewSessionOptions {
  /** Files or directories to review. */
  readonly paths: readonly string[];
  /** The base branch's synthesized output, to report what changed. @default no comparison */
  readonly base?: string;
  /** Environment for every stack (for plan files or renamed stacks). @default from each stack's `iot-<env>` name */
  readonly env?: string;
  /** Where environment files are. @default "environments" */
  readonly environmentsDir?: string;
  /** The synthesized stack a plan PATH was made from, for its findings' locations. @default none */
  readonly synth?: string;
  /** Suppressions from a review file, on top of each environment's own. @default [] */
  readonly suppressions?: readonly Suppression[];
}

/** `moat review`: load every stack, bring in its environment, review, and compare with the base. */
export function reviewSession(options: ReviewSessionOptions): { result: ReviewResult; diff?: ReviewDiff } {
  const models = discoverStackFiles(options.paths).map((file) => loadStackFile(file, { env: options.env, synth: options.synth }));
  const envFor = (model: ReviewModel) => environmentForStack(model.stack, { env: options.env, dir: options.environmentsDir });
  const inputs = models.map((model) => {
    const env = envFor(model);
    return { model, context: env ? contextFromEnvironment(env) : {}, suppressions: env ? suppressionsFromEnvironment(env, model.stack) : [] };
  });
  const suppressions = [...inputs.flatMap((i) => i.suppressions), ...(options.suppressions ?? [])];
  const result = review(inputs, suppressions);
  if (options.base === undefined) return { result };

  const baseModels = discoverStackFiles([options.base]).map((file) => loadStackFile(file));
  const baseFindings = baseModels.flatMap((model) => {
    const env = envFor(model);
    return runRules(model, env ? contextFromEnvironment(env) : {});
  });
  // The comparison reads every attribute of both sides, outside any rule's guard.
  const diff = refusingDeepValues(`comparing with --base ${options.base}`, () => diffReviews({ models: baseModels, findings: baseFindings }, { models, findings: result.stacks.flatMap((s) => s.findings) }));
  return { result, diff };
}
