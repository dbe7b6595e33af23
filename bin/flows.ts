import { loadEnvironment } from "../config";
import { UsageError } from "../errors";
import { FlowReportFormat, renderFlowReport, reviewFlowFiles } from "../flows";
import { parseCommandArgs, requireOption } from "./args";
import { CliIo } from "./moat";

const HELP = `usage: moat flows FILE... --env E [--format text|markdown|json]

Reviews exported VPC flow logs (the record format moat configures; plain or gzip, as exported from
CloudWatch Logs or copied from S3) against environments/E.yaml's address plan: connections to the
broker by source, and every flow that breaks the segment's promises (not TCP 8883, not device ->
endpoint, an office range, an address outside the VPC).
  --env E               the environment whose address plan judges the records
  --format F            text (default), markdown, json
  --environments-dir D  where environment files are (default environments)
Exit 0: no promise broken; 1: a promise broken, or unreadable input; 2: usage error.
`;

const FORMATS: readonly FlowReportFormat[] = ["text", "markdown", "json"];

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "moat flows",
    argv,
    { env: { type: "string" }, format: { type: "string" }, "environments-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
    true,
  );
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const env = requireOption("moat flows", values, "env");
  const format = (values.format ?? "text") as FlowReportFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--format ${values.format} is not one of ${FORMATS.join(", ")}`);
  if (positionals.length === 0) throw new UsageError("give at least one flow-log FILE; run 'moat flows --help'");
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
