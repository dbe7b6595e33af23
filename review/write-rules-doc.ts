import * as fs from "node:fs";
import * as path from "node:path";
import { RULES_DOC_PATH, rulesDocText } from "./rules-doc";

// `npm run rules-doc`: regenerates the rules reference from the pack; a test fails when it is stale.
const target = path.join(__dirname, "..", RULES_DOC_PATH);
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, rulesDocText());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
