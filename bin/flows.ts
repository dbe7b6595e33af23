import { DEFAULT_ENVIRONMENTS_DIR, loadEnvironment } from "../config";
import { FlowReportFormat, renderFlowReport, reviewFlowFiles } from "../flows";
import { choice, command, commandHelp, parseCommand } from "./args";
import { CliIo } from "./moat";

const FORMATS: readonly FlowReportFormat[] = ["text", "markdown", "json"];

/** The table of `moat flows`: its parser and its help. */
export const spec = command({
  summary: "Reviews exported VPC flow logs against environments/E.yaml's address plan.",
  description:
    "The records are in the format moat configures, plain or gzip, as exported from CloudWatch Logs or copied from S3. The report shows connections to the broker by source, and every flow that breaks the segment's promises (not TCP 8883, not device -> endpoint, an office range, an address outside the VPC).",
  options: {
    env: { type: "string", value: "E", required: true, description: "the environment whose address plan judges the records" },
    format: choice(FORMATS, { description: "report format", default: "text" }),
    "environments-dir": { type: "string", value: "DIR", description: "where environment files are", default: DEFAULT_ENVIRONMENTS_DIR },
  },
  positional: {
    name: "FILE",
    many: true,
    description: "a flow-log file",
    missing: "give at least one flow-log FILE; run 'moat flows --help'",
  },
  notes: "Exit 0: no promise broken; 1: a promise broken, or unreadable input; 2: usage error.",
});

export async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand("moat flows", spec, argv);
  if (!parsed) {
    io.stdout(commandHelp("moat flows", spec));
    return 0;
  }
  const { values, positionals } = parsed;
  const { env, format } = values;
  const config = loadEnvironment(env, { dir: values["environments-dir"] });
  const result = await reviewFlowFiles(positionals, config.network, {
    onProgress: (p) =>
      io.stderr(
        `moat flows: ${p.records.toLocaleString("en-US")} records read, file ${p.fileNumber}/${p.files} (${Math.floor(p.fraction * 100)}% of the input)\n`,
      ),
  });
  io.stdout(renderFlowReport(format, { env: config.name, vpcCidr: config.network.vpcCidr, files: positionals }, result));
  return result.broken ? 1 : 0;
}
