// Child of bench/pki.ts: one bulk run, alone in its process so its peak RSS is its own.
//   tsx bench/pki-scale.ts <pkiDir> <csrDir> <outDir>   prints { seconds, issued, maxRssKb, cpuUs }
import { bulkIssue } from "../pki";

const [pkiDir, csrDir, outDir] = process.argv.slice(2);
const start = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const summary = bulkIssue({ pkiDir, env: "bench", deviceClass: "sensor", csrDir, outDir });
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
if (summary.refused.length > 0) throw new Error(`scale run refused ${JSON.stringify(summary.refused.slice(0, 3))}`);
process.stdout.write(
  JSON.stringify({ seconds, issued: summary.issued, maxRssKb: process.resourceUsage().maxRSS, cpuUs: cpu.user + cpu.system }),
);
