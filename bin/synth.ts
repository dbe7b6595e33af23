import * as path from "node:path";
import { UsageError } from "../errors";
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
  const { app, stacks } = buildApp({ environments: values.all ? undefined : values.env, dir: values["environments-dir"], outdir });
  app.synth();
  for (const stack of stacks) {
    io.stdout(`synthesized ${stack.node.id} -> ${path.join(outdir, "stacks", stack.node.id, "cdk.tf.json")}\n`);
  }
  return 0;
}
