import { flowLogs } from "../flow-logs";
import { Resource } from "../model";
import { MQTT_TLS_PORT } from "../ports";
import { brokerTypesPresent } from "../segment";
import { fail, RuleCheck, STACK, Violation } from "../rule";
import { blocks, isRecord, Ref } from "../value";

/**
 * AWS IoT Core metrics (namespace AWS/IoT) counting refused requests: each concern needs an
 * alarm on one of its metrics.
 */
const AUTH_FAILURE_CONCERNS: readonly { readonly concern: string; readonly metrics: readonly string[] }[] = [
  { concern: "connect authentication failures", metrics: ["Connect.AuthNError", "Connection.AuthNError"] },
  { concern: "connect authorization failures", metrics: ["Connect.AuthZError"] },
  { concern: "publish authorization failures", metrics: ["PublishIn.AuthZError"] },
  { concern: "subscribe authorization failures", metrics: ["Subscribe.AuthZError"] },
];

/** MON-1: alarms on broker auth failures (connect, publish, subscribe) and on rejected 8883 flows. */
export const authFailureAlarms: RuleCheck = (model) => {
  if (!brokerTypesPresent(model)) return [];
  const violations: Violation[] = [];
  const alarmed = model.ofType("aws_cloudwatch_metric_alarm").flatMap(alarmMetrics);
  for (const { concern, metrics } of AUTH_FAILURE_CONCERNS) {
    if (!alarmed.some((a) => a.namespace === "AWS/IoT" && metrics.includes(String(a.name)))) {
      violations.push(fail(STACK, `no alarm on ${concern} (AWS/IoT ${metrics.join(" or ")})`));
    }
  }
  const flowGroups = new Set(flowLogs(model).flatMap((f) => (f.target ? [f.target.address] : [])));
  const rejectFilters = model.ofType("aws_cloudwatch_log_metric_filter").filter((f) => {
    const group = f.attributes.log_group_name;
    const pattern = String(f.attributes.pattern ?? "");
    return group instanceof Ref && flowGroups.has(group.address) && pattern.includes(String(MQTT_TLS_PORT)) && pattern.includes("REJECT");
  });
  const rejectAlarmed = rejectFilters.some((f) =>
    blocks(f.attributes.metric_transformation).some((t) => isRecord(t) && alarmed.some((a) => a.name === t.name && a.namespace === t.namespace)),
  );
  if (!rejectAlarmed) violations.push(fail(STACK, `no alarm on rejected ${MQTT_TLS_PORT} flows (a metric filter on the flow-log group matching REJECT and ${MQTT_TLS_PORT}, with an alarm on its metric)`));
  return violations;
};

function alarmMetrics(alarm: Resource): { namespace: unknown; name: unknown }[] {
  const direct = { namespace: alarm.attributes.namespace, name: alarm.attributes.metric_name };
  const queried = blocks(alarm.attributes.metric_query).flatMap((q) =>
    isRecord(q) ? blocks(q.metric).map((m) => (isRecord(m) ? { namespace: m.namespace, name: m.metric_name } : { namespace: undefined, name: undefined })) : [],
  );
  return [direct, ...queried];
}
