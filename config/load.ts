import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { MoatError } from "../errors";
import { ENVIRONMENT_NAME, environmentNameProblem } from "../core/names";
import { crossFieldIssues } from "./consistency";
import { EnvironmentConfig, environmentSchema } from "./schema";
import { Issue } from "./schema-dsl";

/** Where environment files live unless told otherwise: `environments/` under the working directory. */
export const DEFAULT_ENVIRONMENTS_DIR = "environments";

export interface LoadOptions {
  /** Directory holding `<env>.yaml`. @default "environments" (relative to the working directory) */
  readonly dir?: string;
}

/** A config file that failed validation; the message has one line per problem, each naming file and key path. */
export class EnvironmentError extends MoatError {
  constructor(
    public readonly file: string,
    public readonly issues: readonly Issue[],
  ) {
    super(issues.map((issue) => `${file}: ${issue.path} ${issue.message}`).join("\n"));
    this.name = "EnvironmentError";
  }
}

/** The environment names found in `dir` (file names without .yaml), sorted. */
export function listEnvironments(options: LoadOptions = {}): string[] {
  const dir = options.dir ?? DEFAULT_ENVIRONMENTS_DIR;
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith(".yaml"))
    .map((file) => file.slice(0, -".yaml".length))
    .filter((name) => ENVIRONMENT_NAME.test(name))
    .sort();
}

/** Loads and validates `environments/<name>.yaml`; throws a MoatError that lists every problem. */
export function loadEnvironment(name: string, options: LoadOptions = {}): EnvironmentConfig {
  const dir = options.dir ?? DEFAULT_ENVIRONMENTS_DIR;
  const nameProblem = environmentNameProblem(name);
  if (nameProblem) throw new MoatError(nameProblem);
  const file = path.join(dir, `${name}.yaml`);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    const known = listEnvironments(options);
    const hint = known.length > 0 ? `known environments: ${known.join(", ")}` : `create ${file}`;
    throw new MoatError(`${file}: no such environment file; ${hint}`);
  }
  return parseEnvironment(text, file, name);
}

/** Parses and validates environment YAML text; `file` is used in messages only. */
export function parseEnvironment(text: string, file: string, name: string): EnvironmentConfig {
  let document: unknown;
  try {
    // js-yaml 4's default schema is the safe one: no functions, no custom tags.
    document = yaml.load(text, { filename: file });
  } catch (err) {
    const e = err as yaml.YAMLException;
    const where = e.mark ? `line ${e.mark.line + 1}, column ${e.mark.column + 1}` : "";
    throw new EnvironmentError(file, [{ path: where || "(document)", message: `is not valid YAML: ${e.reason ?? e.message}` }]);
  }
  const issues: Issue[] = [];
  const parsed = environmentSchema.parse(document, "", issues);
  if (!parsed) throw new EnvironmentError(file, issues);
  const crossIssues = crossFieldIssues(parsed);
  if (crossIssues.length > 0) throw new EnvironmentError(file, crossIssues);
  return { ...parsed, name, file };
}
