import {
  compileIotPolicies,
  compileMosquittoAcl,
  parseTopicModel,
  THING_PLACEHOLDER,
  TopicAction,
  TopicModel,
  TOPIC_ACTIONS,
  topicArn,
} from "../../authz";
import { loadEnvironment } from "../../config";
import { aclAllows } from "./mosquitto-acl-evaluator";
import { iotAllows } from "./iot-policy-evaluator";
import { fixtureModel, TARGET } from "./fixture-model";

const ACL_ACCESS: Record<TopicAction, "read" | "write"> = { publish: "write", subscribe: "read", receive: "read" };
const IOT_ACTION: Record<TopicAction, [string, "topic" | "topicfilter"]> = {
  publish: ["iot:Publish", "topic"],
  subscribe: ["iot:Subscribe", "topicfilter"],
  receive: ["iot:Receive", "topic"],
};

/**
 * Enumerates every (device, topic, action) over the union of all classes' topics, each written
 * out for the device itself and for another device, and checks three verdicts agree: what the
 * model says, what the compiled IoT policies allow, what the compiled Mosquitto ACL allows.
 */
function enumerate(model: TopicModel) {
  const devices = model.classes.map((c, i) => ({ thing: `${c.name}-dev-${i}`, deviceClass: c.name }));
  const acl = compileMosquittoAcl(model, { devices });
  const policies = compileIotPolicies(model, TARGET);
  const templates = [...new Set(model.classes.flatMap((c) => TOPIC_ACTIONS.flatMap((a) => c[a])))];
  const results: Array<{ thing: string; topic: string; action: TopicAction; model: boolean; iot: boolean; acl: boolean }> = [];
  for (const device of devices) {
    const deviceClass = model.classes.find((c) => c.name === device.deviceClass);
    if (!deviceClass) throw new Error("fixture device without class");
    const documents = [policies.connect, ...(policies.classes.find((c) => c.className === device.deviceClass)?.documents ?? [])];
    for (const owner of [device.thing, "someone-else"]) {
      for (const template of templates) {
        const topic = template.split(THING_PLACEHOLDER).join(owner);
        for (const action of TOPIC_ACTIONS) {
          const inModel = deviceClass[action].some((t) => t.split(THING_PLACEHOLDER).join(device.thing) === topic);
          const [iotAction, resourceType] = IOT_ACTION[action];
          const iot = iotAllows(documents, {
            action: iotAction,
            resource: topicArn(TARGET, resourceType, topic),
            thingName: device.thing,
            sourceVpce: TARGET.sourceVpceId,
            isAttached: true,
          });
          const viaAcl = aclAllows(acl, device.thing, device.thing, ACL_ACCESS[action], topic);
          results.push({ thing: device.thing, topic, action, model: inModel, iot, acl: viaAcl });
        }
      }
    }
  }
  return { results, documents: policies };
}

describe("the IoT policies and the Mosquitto ACL grant the same rights", () => {
  const models: Array<[string, () => TopicModel]> = [
    ["the authz fixture", fixtureModel],
    [
      "environments/dev.yaml",
      () => {
        const env = loadEnvironment("dev");
        return parseTopicModel(env.topics, env.file);
      },
    ],
  ];
  test.each(models)("for %s, model, IoT policy and ACL agree on every (device, topic, action)", (_name, load) => {
    const { results } = enumerate(load());
    const disagreements = results.filter((r) => r.iot !== r.model || r.acl !== r.model);
    expect(disagreements).toEqual([]);
    // The enumeration must exercise both verdicts, or it proves nothing.
    expect(results.filter((r) => r.model).length).toBeGreaterThan(5);
    expect(results.filter((r) => !r.model).length).toBeGreaterThan(5);
  });

  test("in the fixture, another device's own topics are denied by both", () => {
    const { results } = enumerate(fixtureModel());
    const foreign = results.filter((r) => r.topic.includes("someone-else"));
    expect(foreign.length).toBeGreaterThan(0);
    expect(foreign.every((r) => !r.iot && !r.acl)).toBe(true);
  });

  test("the IoT policy refuses Connect to a connection not through the VPC endpoint or with an unattached certificate", () => {
    const { connect } = compileIotPolicies(fixtureModel(), TARGET);
    const request = {
      action: "iot:Connect",
      resource: `arn:aws:iot:eu-west-1:123456789012:client/dev-1`,
      thingName: "dev-1",
      sourceVpce: TARGET.sourceVpceId,
      isAttached: true,
    };
    expect(iotAllows([connect], request)).toBe(true);
    expect(iotAllows([connect], { ...request, sourceVpce: "" })).toBe(false);
    expect(iotAllows([connect], { ...request, isAttached: false })).toBe(false);
    expect(iotAllows([connect], { ...request, resource: "arn:aws:iot:eu-west-1:123456789012:client/other" })).toBe(false);
  });

  test("the evaluators can say yes to a broad grant, so agreement above is not vacuous", () => {
    const broad = [{ Statement: [{ Effect: "Allow", Action: "iot:*", Resource: "arn:aws:iot:eu-west-1:123456789012:topic/*" }] }];
    expect(
      iotAllows(broad, {
        action: "iot:Publish",
        resource: "arn:aws:iot:eu-west-1:123456789012:topic/a/b",
        thingName: "x",
        sourceVpce: "",
        isAttached: false,
      }),
    ).toBe(true);
    expect(aclAllows("pattern readwrite devices/%u/#\n", "d1", "d1", "write", "devices/d1/a/b")).toBe(true);
    expect(aclAllows("user d2\ntopic read a/+\n", "d1", "d1", "read", "a/b")).toBe(false);
  });
});
