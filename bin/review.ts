import { UsageError } from "../errors";
import {
  contextFromFlags,
  GRAPH_FORMATS,
  GraphFormat,
  loadSuppressionFile,
  reachability,
  renderGraphs,
  REPORT_FORMATS,
  ReportFormat,
  renderReport,
  reviewSession,
  writeReport,
} from "../review";
import { parseCommandArgs } from "./args";
import { CliIo } from "./moat";

const HELP = `usage: moat review [PATH...] [--format text|markdown|json|sarif] [--base DIR] [options]

Checks synthesized stacks (cdk.tf.json) or plans ('terraform show -json') against moat's security rules.
  PATH                  a cdk.tf.json, a plan JSON, a stack directory or cdktf.out (default cdktf.out)
  --format F            text (default), markdown (pull-request comment), json, sarif (code scanning)
  --base DIR            the base branch's cdktf.out: report added/removed/changed resources and new/fixed findings
  --base-environments-dir D  the base branch's environment files (default: environments/ beside the base's cdktf.out)
  --suppressions FILE   YAML with a "suppressions:" list of {rule, resource, reason}
  --env E               review every PATH against environments/E.yaml (default: from the iot-<env> stack name,
                        or for a plan the environment its configuration tags)
  --synth DIR           the synthesized stack (cdktf.out/stacks/<stack>) a plan PATH was made from:
                        findings point at its lines and construct paths
  --environments-dir D  where environment files are (default environments)
  --context FILE        for your own stacks (no environment file): YAML officeCidrs, deviceSubnets, minRetentionDays
  --office-cidr CIDR    an office network the segment must not reach (repeatable; replaces the context file's)
  --device-subnet CIDR  a device subnet (repeatable; replaces the context file's)
  --graph G             json or dot: print each stack's reachability graph (address spaces, and who reaches whom
                        on which ports through which resources; unknown edges marked) instead of the report;
                        the exit code is still the review's (docs/reachability.md)
  --out FILE            write the report (or graph) to FILE instead of stdout
Exit 0: no unsuppressed error finding; 1: error findings or refused suppressions; 2: unusable input.
`;

const DEFAULT_PATH = "cdktf.out";

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "moat review",
    argv,
    {
      format: { type: "string" },
      base: { type: "string" },
      "base-environments-dir": { type: "string" },
      suppressions: { type: "string" },
      env: { type: "string" },
      synth: { type: "string" },
      "environments-dir": { type: "string" },
      context: { type: "string" },
      "office-cidr": { type: "string", multiple: true },
      "device-subnet": { type: "string", multiple: true },
      out: { type: "string" },
      graph: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    true,
  );
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const format = (values.format ?? "text") as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format ${values.format} is not one of ${REPORT_FORMATS.join(", ")}`);
  const graph = values.graph as GraphFormat | undefined;
  if (graph !== undefined && !GRAPH_FORMATS.includes(graph))
    throw new UsageError(`--graph ${values.graph} is not one of ${GRAPH_FORMATS.join(", ")}; use --graph json or --graph dot`);

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
