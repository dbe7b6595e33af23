import { generateKeyPairSync } from "node:crypto";
import { loadPlanJson } from "../../review/load-plan";
import { runRules } from "../../review/engine";
import { Ref, Unknown } from "../../review/value";
import { brokerPlan } from "./plan-fixture";
import { Json } from "./fixture-stack";

const load = (plan: Json) => loadPlanJson(plan, "plan.json", "plan", JSON.stringify(plan, null, 2));

describe("plan JSON (terraform show -json)", () => {
  it("models the state after apply, without deleted resources, with module addresses", () => {
    const model = load(brokerPlan());
    expect(model.format).toBe("plan");
    expect(model.get("aws_internet_gateway.gone")).toBeUndefined();
    expect(model.get("module.edge.aws_subnet.extra[0]")?.type).toBe("aws_subnet");
    expect(model.locate("aws_vpc.vpc").line).toBeGreaterThan(1);
  });

  it("turns after_unknown values into references where the configuration names one resource", () => {
    const model = load(brokerPlan());
    expect(model.get("aws_vpc_security_group_ingress_rule.broker_mqtt")!.attributes.security_group_id).toEqual(new Ref("aws_security_group.broker", "id"));
    expect(model.get("aws_vpc_endpoint.endpoint")!.attributes.security_group_ids).toEqual([new Ref("aws_security_group.broker", "id")]);
    expect(model.get("aws_vpc.vpc")!.attributes.id).toBeInstanceOf(Unknown);
  });

  it("takes plan strings literally: ${iot:...} in a planned policy is not an interpolation", () => {
    const model = load(brokerPlan());
    expect(runRules(model, { officeCidrs: [] }).filter((f) => f.rule.startsWith("AUTHZ"))).toEqual([]);
  });

  it("finds 0.0.0.0/0 on 8883 in a plan, naming the rule resource", () => {
    const plan = brokerPlan();
    plan.resource_changes.find((c: Json) => c.address === "aws_vpc_security_group_ingress_rule.broker_mqtt").change.after.cidr_ipv4 = "0.0.0.0/0";
    const findings = runRules(load(plan), { officeCidrs: [] }).filter((f) => f.rule === "FW-2");
    expect(findings).toEqual([expect.objectContaining({ resource: "aws_vpc_security_group_ingress_rule.broker_mqtt", status: "fail", message: expect.stringContaining("whole Internet") })]);
  });

  it("reports a value unknown at plan time with no configuration reference as unknown, not a pass", () => {
    const plan = brokerPlan();
    const policy = plan.resource_changes.find((c: Json) => c.address === "aws_iot_policy.connect").change;
    delete policy.after.policy;
    policy.after_unknown.policy = true;
    const findings = runRules(load(plan), {}).filter((f) => f.rule === "AUTHZ-1");
    expect(findings).toEqual([expect.objectContaining({ resource: "aws_iot_policy.connect", status: "unknown" })]);
  });

  it("finds a PEM private key in a planned value and in a planned output", () => {
    const plan = brokerPlan();
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ type: "sec1", format: "pem" }) as string;
    plan.resource_changes.push({ address: "aws_ssm_parameter.key", mode: "managed", type: "aws_ssm_parameter", name: "key", change: { actions: ["create"], before: null, after: { name: "k", value: pem }, after_unknown: {} } });
    plan.planned_values.outputs = { device_key: { sensitive: true, value: pem } };
    const findings = runRules(load(plan), {}).filter((f) => f.rule === "AUTH-2");
    expect(findings.map((f) => `${f.resource}: ${f.message}`)).toEqual(["aws_ssm_parameter.key: value holds a PEM private key", "output.device_key: value holds a PEM private key"]);
  });

  it.each([
    ["a major version it does not know", { format_version: "2.0", resource_changes: [] }, /format_version "2\.0" is not supported/],
    ["resource_changes that is not a list", { format_version: "1.2", resource_changes: {} }, /"resource_changes" is not a list/],
    ["a change without address", { format_version: "1.2", resource_changes: [{ type: "aws_vpc", change: {} }] }, /has no address, type or change/],
    ["planned_values that is a list", { format_version: "1.2", planned_values: [] }, /"planned_values" is not an object/],
  ])("refuses %s with exit code 2", (_what, plan, message) => {
    expect(() => load(plan)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(message) }));
  });
});
