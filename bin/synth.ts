import * as fs from "node:fs";
import * as path from "node:path";
import { AnnotationMetadataEntryType, TerraformStack } from "cdktf";
import { MoatError, UsageError } from "../errors";
import { buildApp } from "../stacks/app";
import { parseCommandArgs } from "./args";
import { CliIo } from "./moat";

const HELP = `usage: moat synth (--env E [--env F ...] | --all) [--out DIR] [--environments-dir DIR]

Synthesizes the environment stacks (offline, no AWS account needed) into DIR/stacks/iot-<env>.
  --env E               environment file environments/E.yaml (repeatable)
  --all                 every environment file
  --out DIR             output directory (default cdktf.out)
  --environments-dir D  where the environment files are (default environments)
`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs("moat synth", argv, {
    env: { type: "string", multiple: true },
    all: { type: "boolean" },
    out: { type: "string" },
    "environments-dir": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if (!values.all && !values.env?.length) throw new UsageError("give --env E or --all");
  if (values.all && values.env?.length) throw new UsageError("give --env or --all, not both");

  const outdir = values.out ?? "cdktf.out";
  prepareOutdir(outdir);
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
    const e = err as NodeJS.ErrnoException;
    throw new MoatError(`--out ${outdir}: cannot write there (${e.code ?? e.message}); give a writable directory`);
  }
}
