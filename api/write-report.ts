import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { apiReport, REPORT_FILE } from "./surface";

// `npm run api`: rewrites the API report after a deliberate change of the public surface.
const root = path.join(__dirname, "..");
writeFileSync(path.join(root, REPORT_FILE), apiReport(root));
process.stdout.write(`wrote ${REPORT_FILE}\n`);
