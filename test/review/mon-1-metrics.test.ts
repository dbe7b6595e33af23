import { Testing } from "cdktf";
import { loadEnvironment } from "../../config";
import { IotEnvironmentStack } from "../../stacks/environment-stack";
import { findingsOf, Json, moatStack } from "./fixture-stack";

/** MON-1 accepts the metric names AWS documents, in plain or metric-math alarms, and nothing else. */
const alarms = (s: Json) => s.resource.aws_cloudwatch_metric_alarm;
const query = (id: string, metric: string) => ({
  id,
  return_data: false,
  metric: { namespace: "AWS/IoT", metric_name: metric, dimensions: { Protocol: "MQTT" }, period: 300, stat: "Sum" },
});
const mathAlarm = (name: string, queries: object[], expression: string) => ({
  alarm_name: name,
  metric_query: [...queries, { id: "total", expression, return_data: true }],
  comparison_operator: "GreaterThanThreshold",
  evaluation_periods: 1,
  threshold: 0,
  alarm_actions: ["${aws_sns_topic.alarms.arn}"],
});
const mon1 = (s: Json) => findingsOf(s, "MON-1").map((f) => f.message);

test("MON-1 finds nothing in the compliant fixture", () => {
  expect(mon1(moatStack())).toEqual([]);
});

test.each([
  ["Connect.AuthZError", "connect_authz", /no alarm on connect authorization failures \(AWS\/IoT Connect\.AuthError\)/],
  ["Connect.AuthNError", "connect_authn", /no alarm on connect authentication failures .*Connection\.AuthNError/],
  ["PublishIn.AuthZError", "publish_authz", /no alarm on publish authorization failures/],
  ["Subscribe.AuthZError", "subscribe_authz", /no alarm on subscribe authorization failures/],
  ["PublishOut.AuthZError", "receive_authz", /no alarm on delivery \(receive\) authorization failures/],
])("MON-1 fails an alarm on the undocumented name %s alone", (metric, alarm, message) => {
  const s = moatStack();
  alarms(s)[alarm].metric_name = metric;
  expect(mon1(s)).toEqual([expect.stringMatching(message)]);
});

test("MON-1 accepts a metric-math sum of the documented and the older name", () => {
  const s = moatStack();
  alarms(s).connect_authz = mathAlarm(
    "connect_authz",
    [query("m0", "Connect.AuthError"), query("m1", "Connect.AuthZError")],
    "SUM([m0, m1])",
  );
  expect(mon1(s)).toEqual([]);
});

test("MON-1 fails a metric-math alarm whose returned expression leaves the documented metric out", () => {
  const s = moatStack();
  alarms(s).connect_authz = mathAlarm("connect_authz", [query("m0", "Connect.AuthError"), query("m1", "Connect.AuthZError")], "SUM([m1])");
  expect(mon1(s)).toEqual([expect.stringMatching(/no alarm on connect authorization failures/)]);
});

test("MON-1 accepts a metric-math alarm that returns the documented metric itself", () => {
  const s = moatStack();
  alarms(s).connect_authz = {
    ...mathAlarm("connect_authz", [], "unused"),
    metric_query: [{ ...query("m0", "Connect.AuthError"), return_data: true }],
  };
  expect(mon1(s)).toEqual([]);
});

test("in a metric-math alarm, a metric whose id is only a prefix of one in the expression is not counted", () => {
  const s = moatStack();
  alarms(s).connect_authz = mathAlarm(
    "connect_authz",
    [query("m1", "Connect.AuthError"), query("m10", "Connect.AuthZError")],
    "SUM([m10])",
  );
  expect(mon1(s)).toEqual([expect.stringMatching(/no alarm on connect authorization failures/)]);
});

test.each(["dev", "prod"])("MON-1 finds nothing in the shipped %s environment stack (the broker's own alarms)", (name) => {
  const stack = new IotEnvironmentStack(Testing.app(), `iot-${name}`, { environment: loadEnvironment(name) });
  expect(mon1(JSON.parse(Testing.synth(stack, true)))).toEqual([]);
});
