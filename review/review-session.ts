import { MoatError } from "../errors";
import { diffReviews, ReviewDiff } from "./diff";
import { review, ReviewResult, runRules } from "./engine";
import {
  baseEnvironmentsDir,
  contextFromEnvironment,
  environmentForStack,
  needsEnvironment,
  refuseBase,
  suppressionsFromEnvironment,
} from "./environment-context";
import { refusingDeepValues } from "./deep-values";
import { discoverStackFiles, loadStackFile } from "./load";
import { ReviewModel } from "./model";
import { ReviewContext } from "./rule";
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
  /** The base branch's environment files. @default the `environments` directory beside the base's cdktf.out */
  readonly baseEnvironmentsDir?: string;
  /** The context of stacks no environment file describes (`--context`, `--office-cidr`, `--device-subnet`); it wins over an environment's. @default none */
  readonly context?: ReviewContext;
  /** The synthesized stack a plan PATH was made from, for its findings' locations. @default none */
  readonly synth?: string;
  /** Suppressions from a review file, on top of each environment's own. @default [] */
  readonly suppressions?: readonly Suppression[];
}

/** `moat review`: load every stack, bring in its environment, review, and compare with the base. */
export function reviewSession(options: ReviewSessionOptions): { result: ReviewResult; diff?: ReviewDiff } {
  const models = distinctStacks(
    discoverStackFiles(options.paths).map((file) => loadStackFile(file, { env: options.env, synth: options.synth })),
  );
  const envFor = (model: ReviewModel) => environmentForStack(model.stack, { env: options.env, dir: options.environmentsDir });
  const inputs = models.map((model) => {
    const env = envFor(model);
    return {
      model,
      context: { ...(env ? contextFromEnvironment(env) : {}), ...options.context },
      suppressions: env ? suppressionsFromEnvironment(env, model.stack) : [],
    };
  });
  const suppressions = [...inputs.flatMap((i) => i.suppressions), ...(options.suppressions ?? [])];
  const result = review(inputs, suppressions);
  if (options.base === undefined) return { result };

  const baseModels = distinctStacks(discoverStackFiles([options.base]).map((file) => loadStackFile(file)));
  // The base is reviewed against the base branch's own environment files: against this branch's,
  // a changed officeCidrs or retentionDays would show findings the base never had as "fixed".
  const baseDir = baseEnvironmentsDir(options.base, options.baseEnvironmentsDir, options.environmentsDir);
  // Only stacks reviewed here can have fixed findings: a base stack outside the paths is not fixed by this change.
  const reviewed = new Set(models.map((m) => m.stack));
  const baseFindings = baseModels
    .filter((model) => reviewed.has(model.stack))
    .flatMap((model) => {
      const env = needsEnvironment(model.stack, options.env)
        ? environmentForStack(model.stack, { env: options.env, dir: baseDir ?? refuseBase(options.base!, model.stack) })
        : undefined;
      return runRules(model, { ...(env ? contextFromEnvironment(env) : {}), ...options.context });
    });
  // The comparison reads every attribute of both sides, outside any rule's guard.
  const diff = refusingDeepValues(`comparing with --base ${options.base}`, () =>
    diffReviews({ models: baseModels, findings: baseFindings }, { models, findings: result.stacks.flatMap((s) => s.findings) }),
  );
  return { result, diff };
}

/** Stacks are matched by name (the stackName cdktf writes into the file): two files claiming one name cannot be told apart. */
function distinctStacks(models: ReviewModel[]): ReviewModel[] {
  const seen = new Map<string, string>();
  for (const model of models) {
    const other = seen.get(model.stack);
    if (other !== undefined)
      throw new MoatError(
        `${model.file}: stack ${model.stack} is also ${other}; review each stack once (a copy of cdktf.out among the paths?)`,
        2,
      );
    seen.set(model.stack, model.file);
  }
  return models;
}
