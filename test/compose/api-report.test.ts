import { readFileSync } from "node:fs";
import * as path from "node:path";
import { apiReport, ENTRY_POINTS, REPORT_FILE } from "../../api/surface";
import { ROOT } from "../support/run-moat";

describe("the public API", () => {
  test("the code's surface is exactly the committed api/moat.api.md (after a deliberate change: npm run api)", () => {
    const committed = readFileSync(path.join(ROOT, REPORT_FILE), "utf8");
    const current = apiReport(ROOT);
    if (current !== committed) {
      throw new Error(
        `the public API differs from ${REPORT_FILE}; if the change is deliberate, run 'npm run api' and commit the report so the change is reviewed`,
      );
    }
    expect(current).toBe(committed);
  });

  test("package.json exports every entry point of the report, and nothing else but package.json", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { exports: Record<string, unknown> };
    const exported = Object.keys(pkg.exports)
      .filter((key) => key !== "./package.json")
      .map((key) => (key === "." ? "moat" : `moat/${key.slice(2)}`));
    expect(exported.sort()).toEqual(Object.keys(ENTRY_POINTS).sort());
  });

  test("the main entry has named exports only: no export * that would publish internals", () => {
    const index = readFileSync(path.join(ROOT, "index.ts"), "utf8");
    expect(index).not.toMatch(/export \*/);
    const report = readFileSync(path.join(ROOT, REPORT_FILE), "utf8");
    const main = report.slice(report.indexOf("## moat\n"), report.indexOf("## moat/pki"));
    for (const internal of ["addressPlanIssues", "worstCaseTopic", "jitpTemplateBody", "iotPolicyExpression"])
      expect(main).not.toContain(internal);
    for (const api of ["class IsolatedIotNetwork", "class IotCoreBroker", "class ValidationError", "class Peer", "class Port"])
      expect(main).toContain(api);
  });
});
