import * as fs from "node:fs";
import * as path from "node:path";
import type { AnnotationMetadataEntryType, TerraformStack } from "cdktf";
import { DEFAULT_ENVIRONMENTS_DIR } from "../config";
import { MoatError, UsageError } from "../errors";
import { command, commandHelp, parseCommand } from "./args";
import { CliIo } from "./moat";

/** The table of `moat synth`: its parser and its help. */
export const spec = command({
  summary: "Synthesizes the environment stacks (offline, no AWS account needed) into DIR/stacks/iot-<env> and reviews them.",
  synopsis: "(--env E [--env F ...] | --all) [options]",
  options: {
    env: { type: "string", value: "E", multiple: true, description: "environment file environments/E.yaml" },
    all: { type: "boolean", description: "every environment file" },
    out: { type: "string", value: "DIR", description: "output directory", default: "cdktf.out" },
    "environments-dir": { type: "string", value: "DIR", description: "where the environment files are", default: DEFAULT_ENVIRONMENTS_DIR },
  },
});

export async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand("moat synth", spec, argv);
  if (!parsed) {
    io.stdout(commandHelp("moat synth", spec));
    return 0;
  }
  const { values } = parsed;
  if (!values.all && values.env.length === 0) throw new UsageError("give --env E or --all");
  if (values.all && values.env.length > 0) throw new UsageError("give --env or --all, not both");

  const outdir = values.out;
  prepareOutdir(outdir);
  // cdktf and the stacks load only here: `moat --help` reads this command's table without them.
  const { AnnotationMetadataEntryType } = await import("cdktf");
  const { buildApp } = await import("../stacks/app");
  const { app, stacks } = buildApp({ environments: values.all ? undefined : values.env, dir: values["environments-dir"], outdir });
  try {
    app.synth();
  } catch (err) {
    // An error annotation (a blocking review finding, a construct's refusal) stops cdktf's
    // synth with one long message; report each annotation as its own line instead.
    const errors = annotations(stacks, AnnotationMetadataEntryType.ERROR);
    if (errors.length === 0) throw err;
    throw new MoatError(errors.join("\n"));
  }
  for (const warning of annotations(stacks, AnnotationMetadataEntryType.WARN)) io.stderr(`moat synth: warning: ${warning}\n`);
  for (const stack of stacks) {
    io.stdout(`synthesized ${stack.node.id} -> ${path.join(outdir, "stacks", stack.node.id, "cdk.tf.json")}\n`);
  }
  return 0;
}

/** Annotations of one level on every construct of the stacks, as `[construct path] message`. */
function annotations(stacks: readonly TerraformStack[], level: AnnotationMetadataEntryType): string[] {
  return stacks.flatMap((stack) =>
    stack.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata.filter((entry) => entry.type === level).map((entry) => `[${construct.node.path}] ${String(entry.data)}`),
      ),
  );
}

/** The output directory must be a directory we can write: say so in one line, not a stack trace. */
function prepareOutdir(outdir: string): void {
  try {
    fs.mkdirSync(outdir, { recursive: true });
    fs.accessSync(outdir, fs.constants.W_OK);
  } catch (err) {
    // A cast, as a catch gives unknown: mkdirSync and accessSync throw errno errors.
    const e = err as NodeJS.ErrnoException;
    throw new MoatError(`--out ${outdir}: cannot write there (${e.code ?? e.message}); give a writable directory`);
  }
}
