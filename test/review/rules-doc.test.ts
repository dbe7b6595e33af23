import * as fs from "node:fs";
import * as path from "node:path";
import { MOAT_PACK } from "../../review/pack";
import { RULES_DOC_COMMAND, RULES_DOC_PATH, rulesDocText } from "../../review/rules-doc";

const committedPath = path.join(__dirname, "..", "..", RULES_DOC_PATH);

/** The first line where two texts part, or undefined when they are equal. */
function staleness(committed: string, generated: string): string | undefined {
  if (committed === generated) return undefined;
  const a = committed.split("\n");
  const b = generated.split("\n");
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `${RULES_DOC_PATH} is stale at line ${at + 1} (committed ${JSON.stringify(a[at] ?? "<end>")}, pack says ${JSON.stringify(b[at] ?? "<end>")}); run \`${RULES_DOC_COMMAND}\` and commit it`;
}

describe("the rules reference docs/rules.md", () => {
  test("the committed file is the one generated from review/pack.ts", () => {
    expect(staleness(fs.readFileSync(committedPath, "utf8"), rulesDocText())).toBeUndefined();
  });

  test("a change in the pack makes the committed file stale, and the failure names the command", () => {
    const changed = MOAT_PACK.map((rule) => (rule.id === "FW-1" ? { ...rule, fix: "Allow only TCP 8883, and say why." } : rule));
    const problem = staleness(rulesDocText(), rulesDocText(changed));
    expect(problem).toContain(RULES_DOC_COMMAND);
    expect(problem).toContain("Allow only TCP 8883, and say why.");
  });

  test("every rule has a section with its severity, why, fix and other tools", () => {
    const text = rulesDocText();
    for (const rule of MOAT_PACK) {
      const start = text.indexOf(`\n## ${rule.id}\n`);
      expect(start).toBeGreaterThan(0);
      const body = text.slice(start, text.indexOf("\n## ", start + 1) === -1 ? undefined : text.indexOf("\n## ", start + 1));
      expect(body).toContain(`(${rule.severity})`);
      expect(body).toMatch(/\n- Why: .+\n- Fix: .+\n/);
      expect(body).toMatch(/\n- Other tools: .+/);
      for (const check of rule.matches) expect(body).toContain(`\`${check}\``);
    }
  });

  test("other tools' ids are named by tool, and what a rule assumes is shown only when the pack says it", () => {
    const [rule] = MOAT_PACK;
    const text = rulesDocText([
      { ...rule, matches: ["CKV_AWS_1", "AWS-0001", "EC2.1", "LOGGING_DISABLED_CHECK"], assumes: "The VPC is the segment." },
    ]);
    expect(text).toContain(
      "- Other tools: checkov `CKV_AWS_1`; trivy `AWS-0001`; AWS Security Hub `EC2.1`; AWS IoT Device Defender audit `LOGGING_DISABLED_CHECK`",
    );
    expect(text).toContain("- Assumes, and cannot see: The VPC is the segment.");
    expect(rulesDocText([{ ...rule, matches: [], assumes: undefined }])).not.toContain("Assumes, and cannot see");
  });

  test("markup in rule text renders as written: no emphasis, tags or table cells; code spans untouched", () => {
    const [rule] = MOAT_PACK;
    const text = rulesDocText([{ ...rule, title: "no * or <id> | here, `a*b` stays" }]);
    expect(text).toContain("no \\* or \\<id\\> \\| here, `a*b` stays");
  });
});
