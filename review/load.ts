import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { environmentStackName } from "../core/names";
import { MoatError } from "../errors";
import { isCdktfJson, loadCdktfJson } from "./load-cdktf";
import { isPlanJson, loadPlanJson, planStackName } from "./load-plan";
import { refusingDeepValues } from "./deep-values";
import { refuseDuplicateKeys } from "./duplicate-keys";
import { ReviewModel } from "./model";
import { readStackDirectory, StackDirectory } from "./stack-directory";

const STACK_FILE = "cdk.tf.json";

/**
 * The files behind the paths given to `moat review`: a cdk.tf.json or plan JSON file, a stack
 * directory, a cdktf.out directory or its stacks/ directory. Throws (exit 2) on a path that
 * holds nothing to review, so an empty synth never reviews "clean".
 */
export function discoverStackFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (!existsSync(path))
      throw new MoatError(`${path}: no such file or directory; run 'npx cdktf synth' first or pass a cdk.tf.json or plan JSON`, 2);
    if (statSync(path).isFile()) {
      files.push(path);
      continue;
    }
    const found = stackFilesIn(path);
    if (found.length === 0) {
      throw new MoatError(
        `${path}: no ${STACK_FILE} in it or in its stacks/*/ directories; run 'npx cdktf synth' first or pass a stack file`,
        2,
      );
    }
    files.push(...found);
  }
  return files;
}

function stackFilesIn(dir: string): string[] {
  if (existsSync(join(dir, STACK_FILE))) return [join(dir, STACK_FILE)];
  const stacksDir = existsSync(join(dir, "stacks")) ? join(dir, "stacks") : dir;
  return readdirSync(stacksDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(stacksDir, entry.name, STACK_FILE)))
    .map((entry) => join(stacksDir, entry.name, STACK_FILE))
    .sort();
}

/** The stack name of a file: its directory for cdk.tf.json, its base name for a plan. */
export function stackNameOf(file: string): string {
  return basename(file) === STACK_FILE ? basename(dirname(file)) : basename(file).replace(/\.json$/, "");
}

export interface LoadStackOptions {
  /** The environment the file is of: a plan's stack is then `iot-<env>`. */
  readonly env?: string;
  /**
   * The synthesized stack a plan was made from (a stack directory or its cdk.tf.json): its name
   * is the plan's stack name, and findings point at its lines and construct paths.
   */
  readonly synth?: string;
}

/** Parses one file into a review model, telling cdk.tf.json from plan JSON by shape. */
export function loadStackFile(file: string, options: LoadStackOptions = {}): ReviewModel {
  const text = readFileSync(file, "utf8");
  return parseStackText(text, file, stackNameOf(file), options, () => readStackDirectory(file));
}

/**
 * The name cdktf writes into every cdk.tf.json (`"//": {"metadata": {"stackName": ...}}`): a stack
 * keeps its identity when its directory is copied or renamed, so a base and a head match.
 */
function cdktfStackName(json: unknown): string | undefined {
  const comment = ownValue(json, "//");
  const name = ownValue(ownValue(comment, "metadata"), "stackName");
  return typeof name === "string" && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name) ? name : undefined;
}

function ownValue(value: unknown, key: string): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/**
 * A plan's stack name: the paired synthesized stack's, else `iot-<env>` for `--env`, else the
 * environment its configuration names, else the file's base name.
 */
function planStack(json: unknown, fallback: string, options: LoadStackOptions, paired?: ReviewModel): string {
  return paired?.stack ?? (options.env !== undefined ? environmentStackName(options.env) : undefined) ?? planStackName(json) ?? fallback;
}

function pairedSynth(synth: string): ReviewModel {
  const [file] = discoverStackFiles([synth]);
  const model = loadStackFile(file);
  if (model.format !== "cdktf")
    throw new MoatError(`--synth ${synth}: not a synthesized stack; pass its cdktf.out/stacks/<stack> directory`, 2);
  return model;
}

/** `directory`: the other files Terraform reads next to a cdk.tf.json (a plan already holds them). */
export function parseStackText(
  text: string,
  file: string,
  stack: string,
  options: LoadStackOptions = {},
  directory?: () => StackDirectory,
): ReviewModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MoatError(
      `${file}: not JSON (${(err as Error).message}); pass a cdk.tf.json from 'cdktf synth' or a plan from 'terraform show -json'`,
      2,
    );
  }
  if (isPlanJson(json)) {
    const paired = options.synth !== undefined ? pairedSynth(options.synth) : undefined;
    return refusingDeepValues(file, () => loadPlanJson(json, file, planStack(json, stack, options, paired), text, paired));
  }
  if (options.synth !== undefined)
    throw new MoatError(`${file}: --synth pairs a plan with its synthesized stack, and this is not a plan; pass the plan JSON`, 2);
  if (isCdktfJson(json)) {
    refuseDuplicateKeys(text, file, json);
    return refusingDeepValues(file, () => loadCdktfJson(json, file, cdktfStackName(json) ?? stack, text, directory?.()));
  }
  throw new MoatError(
    `${file}: JSON of the wrong shape (neither Terraform JSON with "resource"/"terraform" nor a plan with "format_version" and "resource_changes"); pass a cdk.tf.json or 'terraform show -json' output`,
    2,
  );
}
