import { MAX_TOPIC_BYTES, parseTopicModel, TopicModelError } from "../../authz";
import { fixtureModel, fixtureTopics } from "./fixture-model";

/** The error thrown for a one-class model whose `action` list is [topic]. */
function errorFor(topic: string, action: "publish" | "subscribe" | "receive" = "publish"): string {
  const lists = { publish: [] as string[], subscribe: [] as string[], receive: [] as string[] };
  lists[action].push(topic);
  if (action !== "publish") lists[action === "subscribe" ? "receive" : "subscribe"].push(topic);
  try {
    parseTopicModel({ classes: { probe: lists } }, "environments/test.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(TopicModelError);
    return (err as Error).message;
  }
  throw new Error(`topic ${JSON.stringify(topic)} was accepted`);
}

describe("parseTopicModel", () => {
  test("the fixture parses with its classes sorted and its lists kept in order", () => {
    const model = fixtureModel();
    expect(model.classes.map((c) => c.name)).toEqual(["gateway", "plant", "sensor", "shadowed"]);
    const sensor = model.classes.find((c) => c.name === "sensor");
    expect(sensor?.publish).toEqual(["devices/{thing}/telemetry", "devices/{thing}/status"]);
    expect(model.classes.find((c) => c.name === "gateway")?.sharedTopics.map((s) => s.topic)).toEqual([
      "fleet/firmware",
      "fleet/gateway-heartbeat",
    ]);
  });

  // Each hostile topic, the reason it is refused.
  const hostile: Array<[string, RegExp]> = [
    ["devices/+/telemetry", /contains '\+' \(an MQTT single-level wildcard\)/],
    ["devices/{thing}/#", /contains '#' \(an MQTT multi-level wildcard\)/],
    ["devices/*", /contains '\*' \(an IoT policy wildcard\)/],
    ["devices/{thing}/te?emetry", /contains '\?' \(an IoT policy single-character wildcard\)/],
    ["devices/${iot:ClientId}/telemetry", /contains '\$' after the start/],
    ["devices/{thing}/${aws:username}", /contains '\$' after the start/],
    ["devices/$${thing}/x", /contains '\$' after the start/],
    ["devices/{thing}/x\ntopic readwrite fleet", /character U\+000A in level "x\\ntopic readwrite fleet"/],
    ["devices/{thing}/a b", /a space in level "a b"/],
    ["devices/%c/telemetry", /'%' in level "%c"/],
    ["devices/%u/telemetry", /'%' in level "%u"/],
    ["devices/{thing}x/telemetry", /level "\{thing\}x": \{thing\} must fill a whole level/],
    ["devices/{Thing}/telemetry", /level "\{Thing\}"/],
    ["devices/{client}/telemetry", /the only placeholder/],
    ['devices/{thing}/x","Resource":"*', /contains '\*'/],
    ['devices/{thing}/x","Resource":"arn', /'"' in level/],
    ["devices/{thing}/back\\slash", /'\\' in level/],
    ["devices/{thing}/caf\u00e9", /character U\+00E9/],
    ["devices/{thing}/zero\u200bwidth", /character U\+200B/],
    ["devices/{thing}/nul\u0000", /character U\+0000/],
    ["$SYS/broker/clients", /starts with '\$' \(a broker-reserved topic\)/],
    ["$aws/events/presence/connected/{thing}", /not on moat's allow-list/],
    ["$aws/rules/ingest/{thing}", /not on moat's allow-list/],
    ["/devices/{thing}", /empty level/],
    ["devices/{thing}/", /empty level/],
    ["devices//{thing}", /empty level/],
    ["", /is empty/],
    ["a/b/c/d/e/f/g/{thing}/i", /has 8 '\/' \(AWS IoT Core allows 7\)/],
    [`devices/{thing}/${"x".repeat(MAX_TOPIC_BYTES - 128 - 8)}`, /bytes with a 128-byte thing name \(AWS IoT Core allows 256\)/],
  ];
  test.each(hostile)("a hostile topic %j is refused, naming the file, the class and the topic", (topic, reason) => {
    const message = errorFor(topic);
    expect(message).toMatch(reason);
    expect(message.startsWith(`environments/test.yaml: topics.classes.probe.publish[0] ${JSON.stringify(topic)}: `)).toBe(true);
    // The message stays one line per problem even when the topic holds a newline.
    expect(message.split("\n")).toHaveLength(1);
  });

  test("a topic just at the byte limit is accepted", () => {
    const topic = `devices/{thing}/${"x".repeat(MAX_TOPIC_BYTES - 128 - 8 - 1)}`;
    expect(() => parseTopicModel({ classes: { probe: { publish: [topic] } } }, "f.yaml")).not.toThrow();
  });

  test("a reserved topic used in the wrong direction is refused", () => {
    expect(errorFor("$aws/things/{thing}/shadow/update", "subscribe")).toMatch(/a device may only publish, not subscribe/);
    expect(errorFor("$aws/things/{thing}/shadow/update/delta", "publish")).toMatch(/may only subscribe\/receive, not publish/);
  });

  test("a topic without {thing} that is not shared is refused with the fix", () => {
    expect(errorFor("fleet/firmware")).toMatch(
      /has no \{thing\} level, so every device of the class could use it; add \{thing\}.* or list it in sharedTopics with a reason/,
    );
  });

  const classProblems: Array<[string, (t: ReturnType<typeof fixtureTopics>) => void, RegExp]> = [
    [
      "subscribe without receive",
      (t) => (t.classes.sensor.receive = []),
      /topics\.classes\.sensor\.subscribe "devices\/\{thing\}\/commands": is not in receive/,
    ],
    [
      "receive without subscribe",
      (t) => (t.classes.sensor.subscribe = []),
      /topics\.classes\.sensor\.receive "devices\/\{thing\}\/commands": is not in subscribe/,
    ],
    [
      "shared topic without a reason",
      (t) => ((t.classes.gateway.sharedTopics as Array<{ reason: string }>)[0].reason = "because"),
      /topics\.classes\.gateway\.sharedTopics\[0\] "fleet\/firmware": reason is under a sentence \(1 word, 7 characters\); give one line of at least 4 words and 20 characters/,
    ],
    [
      "shared topic with {thing}",
      (t) =>
        (t.classes.gateway.sharedTopics as unknown[]).push({
          topic: "devices/{thing}/x",
          reason: "a long enough reason to pass the check",
        }),
      /sharedTopics\[2\] "devices\/\{thing\}\/x": contains \{thing\}, so it is per device/,
    ],
    [
      "unused shared topic",
      (t) =>
        (t.classes.gateway.sharedTopics as unknown[]).push({ topic: "fleet/unused", reason: "a long enough reason to pass the check" }),
      /topics\.classes\.gateway\.sharedTopics "fleet\/unused": is not used/,
    ],
    [
      "shared topic listed twice",
      (t) =>
        (t.classes.gateway.sharedTopics as unknown[]).push({ topic: "fleet/firmware", reason: "a long enough reason to pass the check" }),
      /sharedTopics\[2\] "fleet\/firmware": listed twice/,
    ],
    [
      "malformed shared entry",
      (t) => (t.classes.gateway.sharedTopics as unknown[]).push("fleet/x"),
      /sharedTopics\[2\]: must be \{topic, reason\}/,
    ],
    ["sharedTopics not a list", (t) => (t.classes.gateway.sharedTopics = "fleet/x"), /gateway\.sharedTopics: must be a list/],
    [
      "duplicate topic",
      (t) => (t.classes.sensor.publish as string[]).push("devices/{thing}/status"),
      /sensor\.publish\[2\] "devices\/\{thing\}\/status": listed twice/,
    ],
    ["list of non-strings", (t) => (t.classes.sensor.publish = [1, 2]), /sensor\.publish: must be a list of topic strings/],
    ["bad class name", (t) => (t.classes["Bad Name"] = { publish: [] }), /class name "Bad Name" is not valid/],
    ["class not a mapping", (t) => (t.classes.extra = ["devices/{thing}/x"] as never), /topics\.classes\.extra: must be a mapping/],
  ];
  test.each(classProblems)("a model with a class problem (%s) is refused", (_name, mutate, reason) => {
    const topics = fixtureTopics();
    mutate(topics);
    expect(() => parseTopicModel(topics, "environments/x.yaml")).toThrow(reason);
    expect(() => parseTopicModel(topics, "environments/x.yaml")).toThrow(/^environments\/x\.yaml: /);
  });

  test("a model with several problems has every one reported, one per line", () => {
    const topics = fixtureTopics();
    (topics.classes.sensor.publish as string[]).push("devices/+/x");
    (topics.classes.gateway.publish as string[]).push("fleet/#");
    expect(() => parseTopicModel(topics, "f.yaml")).toThrow(
      /sensor\.publish\[2\][^\n]*\n[^\n]*|gateway\.publish\[2\][^\n]*\nf\.yaml: topics\.classes\.sensor/,
    );
    try {
      parseTopicModel(topics, "f.yaml");
    } catch (err) {
      expect((err as TopicModelError).problems).toHaveLength(2);
    }
  });

  test.each([[undefined], [{}], [{ classes: {} }], [{ classes: [] }], ["topics"]])("a model with no classes (%j) is refused", (input) => {
    expect(() => parseTopicModel(input, "f.yaml")).toThrow("f.yaml: topics.classes must declare at least one device class");
  });
});
