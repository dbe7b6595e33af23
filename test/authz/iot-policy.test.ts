import * as fs from "node:fs";
import * as path from "node:path";
import {
  compileIotPolicies,
  MAX_POLICY_CHARACTERS,
  parseTopicModel,
  policyCharacters,
  THING_NAME_VARIABLE,
  TopicModelError,
} from "../../authz";
import { fixtureModel, TARGET } from "./fixture-model";

const GOLDEN_DIR = path.join(__dirname, "golden");

describe("compileIotPolicies", () => {
  const compiled = compileIotPolicies(fixtureModel(), TARGET);

  // Golden documents: a reviewer reads these files to see exactly what a class may do.
  // Regenerate on purpose with UPDATE_GOLDEN=1 and review the diff.
  test.each(["connect", "gateway", "plant", "sensor", "shadowed"])("class %s compiles to its golden policy documents", (name) => {
    const documents = name === "connect" ? [compiled.connect] : compiled.classes.find((c) => c.className === name)?.documents;
    const text = JSON.stringify(documents, null, 2) + "\n";
    const file = path.join(GOLDEN_DIR, `${name}.json`);
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, text);
    expect(text).toBe(fs.readFileSync(file, "utf8"));
  });

  test("a class over the size limit is split into documents that each fit, keeping every grant", () => {
    const plant = compiled.classes.find((c) => c.className === "plant");
    expect(plant?.documents.length).toBeGreaterThan(1);
    for (const doc of plant?.documents ?? []) expect(policyCharacters(doc)).toBeLessThanOrEqual(MAX_POLICY_CHARACTERS);
    const resources = (plant?.documents ?? []).flatMap((d) => d.Statement.flatMap((s) => s.Resource));
    expect(resources).toHaveLength(30);
    expect(new Set(resources).size).toBe(30);
  });

  test("deploy-time tokens for account and endpoint split the documents as real ids do", () => {
    const tokens = { ...TARGET, accountId: "${TfToken[TOKEN.123]}", sourceVpceId: "${TfToken[TOKEN.456]}" };
    const withTokens = compileIotPolicies(fixtureModel(), tokens);
    expect(withTokens.classes.map((c) => c.documents.length)).toEqual(compiled.classes.map((c) => c.documents.length));
  });

  test("no action or resource holds *, #, + or ?, and ${ appears only as the thing-name variable", () => {
    const all = [compiled.connect, ...compiled.classes.flatMap((c) => c.documents)];
    for (const statement of all.flatMap((d) => d.Statement)) {
      for (const value of [statement.Action, ...([] as string[]).concat(statement.Resource)]) {
        expect(value).not.toMatch(/[*#+?]/);
        expect(value.split(THING_NAME_VARIABLE).join("")).not.toContain("${");
      }
    }
  });

  test("the Connect statement is scoped to the thing name, attached certificates and the VPC endpoint", () => {
    expect(compiled.connect.Statement).toEqual([
      {
        Effect: "Allow",
        Action: "iot:Connect",
        Resource: `arn:aws:iot:eu-west-1:123456789012:client/${THING_NAME_VARIABLE}`,
        Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" }, StringEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } },
      },
    ]);
    // Topic policies never grant Connect: a class policy alone cannot open a session.
    for (const c of compiled.classes) for (const d of c.documents) expect(d.Statement.map((s) => s.Action)).not.toContain("iot:Connect");
  });

  test("a class that would need more than the 2 policies a thing group holds is refused, naming the class", () => {
    const publish = Array.from({ length: 160 }, (_, i) => `plant/{thing}/line-${i}/a-rather-long-channel-name-${i}/measurement-values`);
    const model = parseTopicModel({ classes: { huge: { publish } } }, "environments/big.yaml");
    expect(() => compileIotPolicies(model, TARGET)).toThrow(TopicModelError);
    expect(() => compileIotPolicies(model, TARGET)).toThrow(/^environments\/big\.yaml: topics\.classes\.huge: needs \d+ IoT policies/);
  });
});
