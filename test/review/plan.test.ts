import { generateKeyPairSync } from "node:crypto";
import { loadPlanJson } from "../../review/load-plan";
import { runRules } from "../../review/engine";
import { Ref, Unknown } from "../../review/value";
import { brokerPlan, deployedPlan, refs } from "./plan-fixture";
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

describe("plan JSON of an applied stack (no-op plan: every id a literal)", () => {
  const NETWORK_RULES = ["NET-1", "NET-2", "NET-3", "NET-4", "FW-1", "FW-2", "FW-3", "FW-4", "LOG-1", "LOG-2"];
  const review = (plan: Json) => runRules(load(plan), { officeCidrs: [] }).filter((f) => NETWORK_RULES.includes(f.rule));
  const openIngress = (expressions?: Json) => ({
    address: "aws_vpc_security_group_ingress_rule.open",
    values: { security_group_id: "sg-0ep", ip_protocol: "tcp", from_port: 8883, to_port: 8883, cidr_ipv4: "0.0.0.0/0", description: "planted" },
    expressions,
  });

  it("resolves literal ids to the resources they name", () => {
    const model = load(deployedPlan());
    expect(model.get("aws_default_security_group.default")!.attributes.vpc_id).toEqual(new Ref("aws_vpc.vpc", "id"));
    expect(model.get("aws_vpc_endpoint.endpoint")!.attributes.security_group_ids).toEqual([new Ref("aws_security_group.broker", "id")]);
    expect(model.get("aws_vpc_security_group_ingress_rule.broker_mqtt")!.attributes.cidr_ipv4).toEqual(new Ref("aws_subnet.device", "cidr_block"));
  });

  it("keeps a literal the configuration gives as a constant, and one no resource has", () => {
    const model = load(deployedPlan());
    expect(model.get("aws_subnet.device")!.attributes.cidr_block).toBe("10.42.0.0/20");
    expect(model.get("aws_vpc_endpoint.endpoint")!.attributes.network_interface_ids).toEqual(["eni-0ep"]);
    expect(model.get("aws_vpc_endpoint.endpoint")!.attributes.service_name).toBe("com.amazonaws.eu-west-1.iot.data");
  });

  it("passes the clean segment: no network, firewall or flow-log finding", () => {
    expect(review(deployedPlan())).toEqual([]);
  });

  it("names a planted 0.0.0.0/0 ingress on the endpoint group (FW-2 error)", () => {
    const findings = review(deployedPlan(openIngress({ security_group_id: refs("aws_security_group.broker.id", "aws_security_group.broker") })));
    expect(findings).toEqual([expect.objectContaining({ rule: "FW-2", resource: "aws_vpc_security_group_ingress_rule.open", status: "fail", message: expect.stringContaining("whole Internet can reach the broker") })]);
  });

  it("names it too when the configuration writes the group id as a literal (an id of the stack's own group)", () => {
    const findings = review(deployedPlan(openIngress()));
    expect(findings).toEqual([expect.objectContaining({ rule: "FW-2", resource: "aws_vpc_security_group_ingress_rule.open", status: "fail", message: expect.stringContaining("whole Internet can reach the broker") })]);
  });
});
