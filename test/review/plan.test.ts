/**
 * The review of real plans: `terraform show -json` of moat's stacks and of the review fixture's
 * insecure variants, made with the real AWS provider by `npm run plans` (test/terraform) and
 * committed under test/fixtures/plans, so these tests run where Terraform is absent.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sharedSynthDir } from "../support/built-package";
import { runRules } from "../../review/engine";
import { Finding } from "../../review/finding";
import { loadPlanJson } from "../../review/load-plan";
import { loadStackFile } from "../../review/load";
import { renderReport, REPORT_FORMATS } from "../../review/report";
import { reviewSession } from "../../review/review-session";
import { Ref, Unknown, Value } from "../../review/value";
import { fixtureStack, PLAN_CASES } from "../terraform/plan-cases";
import { moat, tempFile, writeOut } from "./cli-support";
import { FIXTURE_CONTEXT, findingsOf, Json, moatStack } from "./fixture-stack";

const PLANS = join(__dirname, "..", "fixtures", "plans");
const planFile = (name: string) => join(PLANS, `${name}.json`);
const planJson = (name: string): Json => JSON.parse(readFileSync(planFile(name), "utf8"));
const fixtureFindings = (name: string, rule?: string): Finding[] =>
  runRules(loadPlanJson(planJson(name), planFile(name), "iot-test", readFileSync(planFile(name), "utf8")), FIXTURE_CONTEXT).filter(
    (f) => rule === undefined || f.rule === rule,
  );
/** The one resource of a type in a model whose address starts with `prefix`. */
const first = (name: string, type: string) => {
  const model = loadStackFile(planFile(name));
  const found = model.resources.find((r) => r.type === type);
  if (!found) throw new Error(`${name} has no ${type}`);
  return { model, resource: found };
};

// The synthesized stacks the environment plans were made from, for --synth.
// The shipped stacks, synthesized once for every suite that reads them (read only).
let outdir: string;
beforeAll(() => (outdir = sharedSynthDir()));

const ENVIRONMENT_PLANS: [string, string][] = [
  ["iot-dev.first", "dev"],
  ["iot-prod.first", "prod"],
  ["iot-dev.update", "dev"],
];

describe("moat's own plans review clean", () => {
  describe.each(ENVIRONMENT_PLANS)("%s", (name, env) => {
    test.each([false, true])(
      "passes in every format (paired with its synthesized stack: %s), suppressions from its environment file",
      (paired) => {
        const { result } = reviewSession({
          paths: [planFile(name)],
          env,
          synth: paired ? join(outdir, "stacks", `iot-${env}`) : undefined,
        });
        expect(result.blocking).toEqual([]);
        expect(result.stacks[0].model.stack).toBe(`iot-${env}`);
        // The one finding of the environment (the TLS-3 warning on iot:Data-ATS), as on its cdk.tf.json; nothing suppressed.
        expect(result.stacks[0].findings.map((f) => [f.rule, f.status, f.suppression?.source])).toEqual([["TLS-3", "fail", undefined]]);
        for (const format of REPORT_FORMATS) expect(renderReport(format, { result }).length).toBeGreaterThan(0);
        const location = result.stacks[0].findings[0].location;
        if (paired)
          expect(location).toMatchObject({
            file: join(outdir, "stacks", `iot-${env}`, "cdk.tf.json"),
            constructPath: `iot-${env}/broker/endpoint/endpoint`,
          });
        else expect(location).toMatchObject({ file: planFile(name) });
        expect(location.line).toBeGreaterThan(1);
      },
    );
  });

  test.each(["text", "markdown", "json", "sarif"])("exits 0 from the command line in %s, with and without --synth", async (format) => {
    const plain = await moat("review", planFile("iot-prod.first"), "--env", "prod", "--format", format);
    const paired = await moat(
      "review",
      planFile("iot-dev.update"),
      "--env",
      "dev",
      "--synth",
      join(outdir, "stacks", "iot-dev"),
      "--format",
      format,
    );
    expect([plain.code, plain.stderr, paired.code, paired.stderr]).toEqual([0, "", 0, ""]);
  });

  test("exits 0 on the plan as Terraform writes it (one line)", async () => {
    const run = await moat("review", tempFile("plan.json", JSON.stringify(planJson("iot-dev.first"))), "--env", "dev");
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(run.stdout).toMatch(/^PASS\. 1 stack, 1 finding \(0 blocking, 0 suppressed\)/m);
  });

  test("refuses --synth with more than one PATH (usage, exit 2)", async () => {
    const run = await moat("review", planFile("iot-dev.first"), planFile("iot-prod.first"), "--synth", join(outdir, "stacks", "iot-dev"));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--synth pairs one plan with its synthesized stack; pass exactly one plan PATH/);
  });

  test("names the stack from the plan's configuration, not the file name", () => {
    expect(loadStackFile(planFile("iot-prod.first")).stack).toBe("iot-prod");
  });

  test("refuses --synth with a stack the plan was not made from, and with a plan", () => {
    const other = join(writeOut({ "iot-test": moatStack() }), "stacks", "iot-test");
    expect(() => loadStackFile(planFile("iot-dev.first"), { synth: other })).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: expect.stringMatching(
          /no resource of this plan is in .*iot-test\/cdk\.tf\.json; pass with --synth the synthesized stack the plan was made from/,
        ),
      }),
    );
    expect(() => loadStackFile(planFile("iot-dev.first"), { synth: planFile("fixture.clean") })).toThrow(/not a synthesized stack/);
  });
});

describe("what a real plan means", () => {
  test("null is 'not set': a rule with a CIDR has no prefix list or group attribute", () => {
    const { resource } = first("iot-dev.first", "aws_vpc_security_group_ingress_rule");
    expect(Object.keys(resource.attributes)).not.toContain("prefix_list_id");
    expect(Object.keys(resource.attributes)).not.toContain("referenced_security_group_id");
    expect(resource.attributes.cidr_ipv4).toBe("10.42.0.0/20");
  });

  test("an attribute the provider computes is not invented: no inline rules on a group whose rules are separate resources", () => {
    const { resource } = first("iot-dev.first", "aws_security_group");
    expect(planJson("iot-dev.first").resource_changes.find((c: Json) => c.address === resource.address).change.after_unknown.ingress).toBe(
      true,
    );
    expect(resource.attributes.ingress).toBeUndefined();
    expect(resource.attributes.egress).toBeUndefined();
  });

  test("data sources read at plan time (prior_state) are known values", () => {
    const { resource } = first("iot-dev.first", "aws_caller_identity");
    expect(resource.attributes.account_id).toBe("123456789012");
  });

  test("a constant_value template is evaluated: the connect policy keeps its one unknown, the endpoint id, as a reference", () => {
    const { model } = first("iot-dev.first", "aws_iot_policy");
    const connect = model.resources.find((r) => r.type === "aws_iot_policy" && /connect/.test(r.address))!;
    const policy = connect.attributes.policy as Value;
    expect(policy).toBeInstanceOf(Unknown);
    const parts = (policy as Unknown).parts ?? [];
    expect(parts.filter((p) => p instanceof Ref).map(String)).toEqual([expect.stringMatching(/^aws_vpc_endpoint\..*\.id$/)]);
    // The account id comes from the data source Terraform read: a literal, not a hole.
    expect(parts.filter((p) => typeof p === "string").join("")).toContain(
      "arn:aws:iot:eu-west-1:123456789012:client/${iot:Connection.Thing.ThingName}",
    );
  });

  test("a list with one unknown element keeps its elements from the configuration", () => {
    const { resource } = first("iot-dev.first", "aws_network_acl");
    expect(
      planJson("iot-dev.first").resource_changes.find((c: Json) => c.address === resource.address).change.after_unknown.subnet_ids,
    ).toBe(true);
    expect(resource.attributes.subnet_ids).toEqual([expect.any(Ref), expect.any(Ref)]);
    expect((resource.attributes.subnet_ids as Ref[]).map((r) => r.address)).toEqual([
      expect.stringMatching(/^aws_subnet\./),
      expect.stringMatching(/^aws_subnet\./),
    ]);
  });

  test("an update plan of an applied stack: literal ids resolve to the resources they name, the changes are real updates", () => {
    const plan = planJson("iot-dev.update");
    const actions = new Set(plan.resource_changes.map((c: Json) => c.change.actions.join("+")));
    expect([...actions].sort()).toEqual(expect.arrayContaining(["no-op", "update"]));
    const rule = plan.resource_changes.find((c: Json) => c.type === "aws_vpc_security_group_ingress_rule");
    expect(rule.change.after.security_group_id).toMatch(/^sg-[0-9a-f]{17}$/);
    const model = loadStackFile(planFile("iot-dev.update"));
    expect(model.get(rule.address)!.attributes.security_group_id).toEqual(
      new Ref(expect.stringMatching(/^aws_security_group\./) as unknown as string, "id"),
    );
    // The Connect policy is known in full, the endpoint's literal id inside: read back as the template it was planned from.
    const connect = model.resources.find((r) => r.type === "aws_iot_policy" && /connect/.test(r.address))!;
    const planned = plan.resource_changes.find((c: Json) => c.address === connect.address).change.after.policy;
    expect(planned).toMatch(/"aws:SourceVpce":"vpce-[0-9a-f]{17}"/);
    expect(((connect.attributes.policy as Unknown).parts ?? []).filter((p) => p instanceof Ref).map(String)).toEqual([
      expect.stringMatching(/^aws_vpc_endpoint\..*\.id$/),
    ]);
  });

  test("what a plan alone cannot know stays unknown: a policy whose configuration is missing is not a pass", () => {
    const plan = planJson("iot-dev.first");
    plan.configuration.root_module.resources = plan.configuration.root_module.resources.filter((r: Json) => r.type !== "aws_iot_policy");
    const findings = runRules(loadPlanJson(plan, "plan.json", "iot-dev"), {}).filter((f) => f.rule === "AUTHZ-3");
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.status === "unknown")).toBe(true);
  });

  test("no finding on any committed plan says null or undefined, or points at line 1", () => {
    // The closed-world variants' plans (gzipped) have their own test: closed-world-plans.test.ts.
    for (const c of PLAN_CASES.filter((p) => !p.compressed)) {
      const findings = runRules(loadStackFile(planFile(c.name)), FIXTURE_CONTEXT);
      for (const f of findings) {
        expect(`${c.name}: ${f.message}`).not.toMatch(/\bnull\b|\bundefined\b/);
        if (f.resource !== "stack")
          expect({ plan: c.name, resource: f.resource, line: f.location.line }).toEqual({
            plan: c.name,
            resource: f.resource,
            line: expect.any(Number),
          });
        if (f.resource !== "stack") expect(f.location.line).toBeGreaterThan(1);
      }
    }
  });

  test("a plan on one line, as terraform show -json writes it, gives the same findings, each at line 1", () => {
    for (const c of PLAN_CASES.filter((p) => !p.compressed)) {
      const pretty = readFileSync(planFile(c.name), "utf8");
      const oneLine = JSON.stringify(JSON.parse(pretty)) + "\n";
      const review = (text: string) => runRules(loadPlanJson(JSON.parse(text), planFile(c.name), "iot-test", text), FIXTURE_CONTEXT);
      const onPretty = review(pretty);
      const onOneLine = review(oneLine);
      const verdicts = (findings: Finding[]) => findings.map((f) => [f.rule, f.resource, f.status, f.message]);
      expect({ plan: c.name, findings: verdicts(onOneLine) }).toEqual({ plan: c.name, findings: verdicts(onPretty) });
      for (const f of onOneLine) {
        const wanted = onPretty.find((p) => p.rule === f.rule && p.resource === f.resource)?.location.line === undefined ? undefined : 1;
        expect({ plan: c.name, resource: f.resource, line: f.location.line }).toEqual({ plan: c.name, resource: f.resource, line: wanted });
      }
    }
  });
});

describe("same verdict on a cdk.tf.json and on its real plan", () => {
  const insecure = PLAN_CASES.filter((c) => c.rule !== undefined);

  test("the compliant fixture: the same findings on both", () => {
    const summary = (fs: Finding[]) => fs.map((f) => `${f.rule} ${f.status} ${f.resource}`).sort();
    expect(summary(fixtureFindings("fixture.clean"))).toEqual(
      summary(findingsOf(fixtureStack(PLAN_CASES.find((c) => c.name === "fixture.clean")!))),
    );
  });

  test.each(insecure.map((c) => [c.rule!, c.mirrors!, c] as const))(
    "%s %s: caught by the same rule, on the same resource, on both",
    (rule, _name, c) => {
      const onStack = findingsOf(fixtureStack(c), rule);
      const onPlan = fixtureFindings(c.name, rule);
      const summary = (fs: Finding[]) => fs.map((f) => `${f.status} ${f.resource}`).sort();
      expect(onStack.length).toBeGreaterThan(0);
      expect(summary(onPlan)).toEqual(summary(onStack));
    },
  );

  test("keeps the refusals of malformed plans (exit 2)", () => {
    for (const [plan, message] of [
      [{ format_version: "2.0", resource_changes: [] }, /format_version "2\.0" is not supported/],
      [{ format_version: "1.2", resource_changes: {} }, /"resource_changes" is not a list/],
      [{ format_version: "1.2", resource_changes: [{ type: "aws_vpc", change: {} }] }, /has no address, type or change/],
      [{ format_version: "1.2", planned_values: [] }, /"planned_values" is not an object/],
    ] as const) {
      expect(() => loadPlanJson(plan, "plan.json", "plan")).toThrow(
        expect.objectContaining({ exitCode: 2, message: expect.stringMatching(message) }),
      );
    }
  });
});
