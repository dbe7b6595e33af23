import { UsageError } from "../errors";
import {
  contextFromFlags,
  GRAPH_FORMATS,
  loadSuppressionFile,
  reachability,
  renderGraphs,
  REPORT_FORMATS,
  renderReport,
  reviewSession,
  writeReport,
} from "../review";
import { choice, command, commandHelp, parseCommand } from "./args";
import { CliIo } from "./moat";

const DEFAULT_PATH = "cdktf.out";

/** The table of `moat review`: its parser and its help. */
export const spec = command({
  summary: "Checks synthesized stacks (cdk.tf.json) or plans ('terraform show -json') against moat's security rules.",
  options: {
    format: choice(REPORT_FORMATS, { description: "markdown: a pull-request comment; sarif: code scanning", default: "text" }),
    base: {
      type: "string",
      value: "DIR",
      description: "the base branch's cdktf.out: report added/removed/changed resources and new/fixed findings",
    },
    "base-environments-dir": {
      type: "string",
      value: "DIR",
      description: "the base branch's environment files",
      defaultNote: "environments/ beside the base's cdktf.out",
    },
    suppressions: { type: "string", value: "FILE", description: 'YAML with a "suppressions:" list of {rule, resource, reason}' },
    env: {
      type: "string",
      value: "E",
      description: "review every PATH against environments/E.yaml",
      defaultNote: "from the iot-<env> stack name, or for a plan the environment its configuration tags",
    },
    synth: {
      type: "string",
      value: "DIR",
      description:
        "the synthesized stack (cdktf.out/stacks/<stack>) a plan PATH was made from: findings point at its lines and construct paths",
    },
    "environments-dir": { type: "string", value: "DIR", description: "where environment files are", defaultNote: "environments" },
    context: {
      type: "string",
      value: "FILE",
      description: "for your own stacks (no environment file): YAML officeCidrs, deviceSubnets, minRetentionDays",
    },
    "office-cidr": {
      type: "string",
      value: "CIDR",
      multiple: true,
      description: "an office network the segment must not reach (replaces the context file's)",
    },
    "device-subnet": { type: "string", value: "CIDR", multiple: true, description: "a device subnet (replaces the context file's)" },
    graph: choice(GRAPH_FORMATS, {
      description:
        "print each stack's reachability graph (address spaces, who reaches whom on which ports through which resources; unknown edges marked) instead of the report; the exit code is still the review's (docs/reachability.md)",
      hint: "; use --graph json or --graph dot",
    }),
    out: { type: "string", value: "FILE", description: "write the report (or graph) to FILE instead of stdout" },
  },
  positional: {
    name: "PATH",
    many: true,
    description: `a cdk.tf.json, a plan JSON, a stack directory or cdktf.out (default ${DEFAULT_PATH})`,
  },
  notes: "Exit 0: no unsuppressed error finding; 1: error findings or refused suppressions; 2: unusable input.",
});

export async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand("moat review", spec, argv);
  if (!parsed) {
    io.stdout(commandHelp("moat review", spec));
    return 0;
  }
  const { values, positionals } = parsed;
  const { format, graph } = values;
  if (values.synth !== undefined && positionals.length !== 1)
    throw new UsageError("--synth pairs one plan with its synthesized stack; pass exactly one plan PATH");
  const { result, diff } = reviewSession({
    paths: positionals.length > 0 ? positionals : [DEFAULT_PATH],
    base: values.base,
    env: values.env,
    synth: values.synth,
    environmentsDir: values["environments-dir"],
    baseEnvironmentsDir: values["base-environments-dir"],
    context: contextFromFlags({ file: values.context, officeCidrs: values["office-cidr"], deviceSubnets: values["device-subnet"] }),
    suppressions: values.suppressions ? loadSuppressionFile(values.suppressions) : [],
  });
  const report =
    graph !== undefined
      ? renderGraphs(
          graph,
          result.stacks.map((s) => reachability(s.model, s.context)),
        )
      : renderReport(format, { result, diff });
  if (values.out) writeReport(values.out, report);
  else io.stdout(report);
  return result.blocking.length > 0 ? 1 : 0;
}
