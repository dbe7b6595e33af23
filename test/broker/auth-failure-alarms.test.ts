import { AUTH_FAILURE_METRICS } from "../../constructs/broker";
import { brokerStack, resourcesOf, synthJson } from "./broker-fixture";

/** Item 1 and 7 of issue 18: alarms on the names AWS documents, that enrollment does not trip. */
describe("the broker's synthesized auth-failure alarms", () => {
  const json = synthJson(brokerStack().stack);
  const alarms = resourcesOf(json, "aws_cloudwatch_metric_alarm") as Array<Record<string, any>>;
  const byName = (suffix: string) => {
    const alarm = alarms.find((a) => String(a.alarm_name).endsWith(suffix));
    if (!alarm) throw new Error(`no alarm named *${suffix}; got ${alarms.map((a) => a.alarm_name).join(", ")}`);
    return alarm;
  };
  const metricsOf = (alarm: Record<string, any>) =>
    (alarm.metric_query as Array<Record<string, any>>).filter((q) => q.metric).map((q) => q.metric.metric_name);
  const returned = (alarm: Record<string, any>) => (alarm.metric_query as Array<Record<string, any>>).filter((q) => q.return_data === true);

  test("each concern sums the documented names and the older alternates in one returned expression", () => {
    expect(metricsOf(byName("-iot-connect-authz"))).toEqual(["Connect.AuthError", "Connect.AuthZError"]);
    expect(metricsOf(byName("-iot-publish-authz"))).toEqual(["PublishIn.AuthError", "PublishRetained.AuthError", "PublishIn.AuthZError"]);
    expect(metricsOf(byName("-iot-subscribe-authz"))).toEqual(["Subscribe.AuthError", "Subscribe.AuthZError"]);
    expect(metricsOf(byName("-iot-receive-authz"))).toEqual(["PublishOut.AuthError"]);
    for (const id of ["connect-authz", "publish-authz", "subscribe-authz", "receive-authz"]) {
      const alarm = byName(`-iot-${id}`);
      const ids = (alarm.metric_query as Array<Record<string, any>>).filter((q) => q.metric).map((q) => q.id);
      expect(returned(alarm)).toEqual([expect.objectContaining({ id: "total", expression: `SUM([${ids.join(", ")}])` })]);
      expect(alarm).toMatchObject({ threshold: 0, evaluation_periods: 1, datapoints_to_alarm: 1, treat_missing_data: "notBreaching" });
      expect(alarm).not.toHaveProperty("metric_name");
    }
  });

  test("every broker metric is read per 5 minutes as a Sum on Protocol MQTT in AWS/IoT", () => {
    for (const id of ["authentication", "connect-authz", "publish-authz", "subscribe-authz", "receive-authz"]) {
      for (const query of (byName(`-iot-${id}`).metric_query as Array<Record<string, any>>).filter(
        (q) => q.metric && q.id !== "provisioned",
      )) {
        expect(query.metric).toEqual({
          namespace: "AWS/IoT",
          metric_name: query.metric.metric_name,
          dimensions: { Protocol: "MQTT" },
          period: 300,
          stat: "Sum",
        });
        expect(query.return_data).toBe(false);
      }
    }
  });

  test("authentication failures net of JITP's refused first connections alarm on one period, as a burst of forged logins must", () => {
    const alarm = byName("-iot-authentication");
    expect(metricsOf(alarm)).toEqual(["Connection.AuthNError", "Connect.AuthNError", "ProvisionThing.Success"]);
    expect(returned(alarm)).toEqual([expect.objectContaining({ expression: "SUM([m0, m1]) - FILL(provisioned, 0)" })]);
    const provisioned = (alarm.metric_query as Array<Record<string, any>>).find((q) => q.id === "provisioned");
    expect(provisioned?.metric).toEqual({ namespace: "AWS/IoT", metric_name: "ProvisionThing.Success", period: 300, stat: "Sum" });
    expect(alarm).toMatchObject({ threshold: 0, evaluation_periods: 1, datapoints_to_alarm: 1 });
  });

  test("a failed just-in-time provisioning alarms at once, whatever the configured threshold", () => {
    const json5 = synthJson(brokerStack({ authFailureThreshold: 5 }).stack);
    const alarm = (resourcesOf(json5, "aws_cloudwatch_metric_alarm") as Array<Record<string, any>>).find((a) =>
      String(a.alarm_name).endsWith("-iot-provisioning-failures"),
    );
    expect(metricsOf(alarm!)).toEqual(["ProvisionThing.ClientError", "ProvisionThing.ServerError"]);
    expect(alarm).toMatchObject({ threshold: 0, evaluation_periods: 1 });
    expect(alarm?.alarm_actions).toEqual([expect.stringMatching(/aws_sns_topic\./)]);
  });

  test("no alarm watches only a name AWS does not document", () => {
    const documented = new Set(
      AUTH_FAILURE_METRICS.flatMap((c) => c.documented).concat(["ProvisionThing.ClientError", "ProvisionThing.ServerError"]),
    );
    for (const alarm of alarms) expect(metricsOf(alarm).some((m) => documented.has(m))).toBe(true);
  });

  test("the topic key lets CloudWatch use it exactly as AWS documents, with no condition", () => {
    const key = (resourcesOf(json, "aws_kms_key") as Array<Record<string, any>>).find((k) => String(k.description).includes("alarm topic"));
    const statement = JSON.parse(key?.policy).Statement.find((s: { Sid: string }) => s.Sid === "CloudWatchAlarmsEncryptToTopic");
    expect(statement).toEqual({
      Sid: "CloudWatchAlarmsEncryptToTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
    });
    const topicPolicy = JSON.parse((resourcesOf(json, "aws_sns_topic_policy")[0] as { policy: string }).policy);
    expect(topicPolicy.Statement[0].Condition).toEqual({
      StringEquals: { "aws:SourceAccount": expect.stringMatching(/data\.aws_caller_identity/) },
    });
  });
});
