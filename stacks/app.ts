import { App } from "cdktf";
import { listEnvironments, loadEnvironment, LoadOptions } from "../config";
import { MoatError } from "../errors";
import { IotEnvironmentStack, stackName } from "./environment-stack";

export interface BuildAppOptions extends LoadOptions {
  /** Environments to build. @default every environments/*.yaml */
  readonly environments?: readonly string[];
  /** Where cdktf writes. @default cdktf's own choice: $CDKTF_OUTDIR (set by `cdktf synth --output`) or cdktf.out */
  readonly outdir?: string;
}

/**
 * Loads the environments (every problem in every file reported together) and builds one
 * stack per environment in a new App.
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stacks: IotEnvironmentStack[] } {
  const names = options.environments ?? listEnvironments(options);
  if (names.length === 0) {
    throw new MoatError(`no environment files in ${options.dir ?? "environments"}/; add one such as dev.yaml`);
  }
  const loaded = names.map((name) => {
    try {
      return { name, environment: loadEnvironment(name, options) };
    } catch (err) {
      if (err instanceof MoatError) return { name, error: err };
      throw err;
    }
  });
  const errors = loaded.flatMap((l) => (l.error ? [l.error.message] : []));
  if (errors.length > 0) throw new MoatError(errors.join("\n"));

  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  const stacks = loaded.map((l) => new IotEnvironmentStack(app, stackName(l.name), { environment: l.environment! }));
  return { app, stacks };
}
