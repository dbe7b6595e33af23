import * as fs from "node:fs";
import * as path from "node:path";
import { environmentJsonSchemaText } from "./json-schema";

// `npm run schema`: regenerates the editor schema; a test fails when it is stale.
const target = path.join(__dirname, "..", "environments", "environment.schema.json");
fs.writeFileSync(target, environmentJsonSchemaText());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
