import { flowLogs } from "../../flow-logs";
import { Resource } from "../../model";
import { MQTT_TLS_PORT } from "../../ports";
import { brokerTypesPresent } from "../../segment";
import { fail, RuleCheck, STACK, unknown, Violation } from "../../rule";
import { blocks, isRecord, Ref, Value } from "../../value";
import { IOT_AUTH_FAILURE_CONCERNS, IOT_NAMESPACE } from "../../../core/iot-metrics";

interface AlarmedMetric {
  readonly alarm: Resource;
  readonly namespace: Value | undefined;
  readonly name: Value | undefined;
}

/** MON-1: alarms that notify someone on broker auth failures (connect, publish, subscribe) and on rejected 8883 flows. */
export const authFailureAlarms: RuleCheck = (model) => {
  if (!brokerTypesPresent(model)) return [];
  const violations: Violation[] = [];
  const alarmed = model.ofType("aws_cloudwatch_metric_alarm").flatMap(alarmMetrics);
  // Alarms by metric, once: a stack repeating the segment has as many filters as alarms.
  const byMetric = new Map<string, AlarmedMetric[]>();
  for (const a of alarmed) {
    if (typeof a.namespace !== "string" || typeof a.name !== "string") continue;
    const key = metricKey(a.namespace, a.name);
    const list = byMetric.get(key);
    if (list) list.push(a);
    else byMetric.set(key, [a]);
  }
  // Only the names AWS documents count: CloudWatch accepts any name, and a misspelt one never fires.
  for (const { concern, documented } of IOT_AUTH_FAILURE_CONCERNS) {
    const on = documented.flatMap((metric) => byMetric.get(metricKey(IOT_NAMESPACE, metric)) ?? []);
    if (on.length === 0) violations.push(fail(STACK, `no alarm on ${concern} (${IOT_NAMESPACE} ${documented.join(" or ")})`));
    else violations.push(...silentAlarms(on, concern));
  }
  const flowGroups = new Set(flowLogs(model).flatMap((f) => (f.target ? [f.target.address] : [])));
  const rejectFilters = model.ofType("aws_cloudwatch_log_metric_filter").filter((f) => {
    const group = f.attributes.log_group_name;
    const pattern = String(f.attributes.pattern ?? "");
    return group instanceof Ref && flowGroups.has(group.address) && pattern.includes(String(MQTT_TLS_PORT)) && pattern.includes("REJECT");
  });
  // Metrics first, then their alarms: filters repeated across segments share one metric.
  const rejectMetrics = new Set(
    rejectFilters.flatMap((f) =>
      blocks(f.attributes.metric_transformation).flatMap((t) =>
        isRecord(t) && typeof t.namespace === "string" && typeof t.name === "string" ? [metricKey(t.namespace, t.name)] : [],
      ),
    ),
  );
  const rejectAlarms = [...rejectMetrics].flatMap((key) => byMetric.get(key) ?? []);
  if (rejectAlarms.length === 0)
    violations.push(
      fail(
        STACK,
        `no alarm on rejected ${MQTT_TLS_PORT} flows (a metric filter on the flow-log group matching REJECT and ${MQTT_TLS_PORT}, with an alarm on its metric)`,
      ),
    );
  else violations.push(...silentAlarms(rejectAlarms, `rejected ${MQTT_TLS_PORT} flows`));
  return violations;
};

/**
 * Why none of the alarms on a concern reaches anyone: an alarm with actions disabled or no
 * `alarm_actions` changes state in the console and nobody hears of the attack. Empty when one notifies.
 */
function silentAlarms(on: readonly AlarmedMetric[], concern: string): Violation[] {
  const verdicts = on.map((a) => ({ alarm: a.alarm.address, why: silence(a.alarm) }));
  if (verdicts.some((v) => v.why === undefined)) return [];
  return verdicts.map(({ alarm, why }) =>
    why === "unknown"
      ? unknown(alarm, `the alarm on ${concern}: whether it notifies anyone is known only at apply time`)
      : fail(alarm, `the alarm on ${concern} notifies no one: ${why}`),
  );
}

/** Why an alarm notifies no one, "unknown" when the file cannot tell, undefined when it notifies. */
function silence(alarm: Resource): string | "unknown" | undefined {
  const { actions_enabled: enabled, alarm_actions: actions } = alarm.attributes;
  if (enabled === false) return "actions_enabled is false; remove it or set it true";
  const list = Array.isArray(actions) ? actions : undefined;
  if (actions !== undefined && actions !== null && list === undefined) return "unknown";
  if (!list || list.length === 0) return "it has no alarm_actions; add the on-call SNS topic";
  if (enabled !== undefined && enabled !== true) return "unknown";
  return undefined;
}

function metricKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/**
 * The metrics an alarm evaluates: its own metric, or in a metric-math alarm the metrics the
 * returned query is or names (a metric fetched but left out of the expression alarms on nothing).
 */
function alarmMetrics(alarm: Resource): AlarmedMetric[] {
  const direct = { alarm, namespace: alarm.attributes.namespace, name: alarm.attributes.metric_name };
  const queries = blocks(alarm.attributes.metric_query).filter(isRecord);
  if (queries.length === 0) return [direct];
  const returned = queries.filter((q) => q.return_data === true || q.return_data === "true");
  const expressions = returned.map((q) => q.expression).filter((e): e is string => typeof e === "string");
  const used = (id: unknown) =>
    returned.some((q) => q.id === id && (q.expression === undefined || q.expression === null)) ||
    (typeof id === "string" && expressions.some((e) => new RegExp(`\\b${escapeRegExp(id)}\\b`).test(e)));
  return queries
    .filter((q) => used(q.id))
    .flatMap((q) =>
      blocks(q.metric).map((m) =>
        isRecord(m) ? { alarm, namespace: m.namespace, name: m.metric_name } : { alarm, namespace: undefined, name: undefined },
      ),
    );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
