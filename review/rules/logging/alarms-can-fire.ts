import { Resource } from "../../model";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { brokerTypesPresent } from "../../segment";
import { blocks, isRecord, Value } from "../../value";

/** Operators under which a count of failures or rejected flows raises the alarm as it grows. */
const RISING = ["GreaterThanThreshold", "GreaterThanOrEqualToThreshold"];

/**
 * Every alarm of the stack can fire and tells someone. moat's alarms all count attacks
 * (auth failures, rejected 8883 flows); one that watches for the count to fall, waits for more
 * datapoints than it evaluates, filters on a unit its metric never has, or has no action, stays
 * silent while MON-1 sees an alarm on its metric and passes.
 */
export const alarmsCanFire: RuleCheck = (model, context) => {
  // Like MON-1, who is told is judged where the stack runs the broker: a network-only stack's
  // alarms are wired to a topic by whoever adds the broker.
  const notifies = brokerTypesPresent(model);
  return model.ofType("aws_cloudwatch_metric_alarm").flatMap((alarm) => silentAlarm(alarm, notifies, context.authFailureThreshold));
};

function silentAlarm(alarm: Resource, notifies: boolean, bound: number | undefined): Violation[] {
  const out: Violation[] = [];
  const a = alarm.attributes;
  const known = (value: unknown, name: string): boolean => {
    if (
      value === undefined ||
      value === null ||
      typeof value === "string" ||
      typeof value === "number" ||
      typeof value === "boolean" ||
      Array.isArray(value)
    )
      return true;
    out.push(unknown(alarm.address, `${name} ${String(value)} is known only at apply time, so whether the alarm can fire cannot be told`));
    return false;
  };
  if (a.threshold_metric_id !== undefined && a.threshold_metric_id !== null) {
    out.push(unknown(alarm.address, "an alarm on an anomaly band: whether it can fire on a rising count cannot be told from the file"));
  } else if (blocks(a.metric_query).length > 0 && !risingSum(blocks(a.metric_query))) {
    out.push(
      unknown(
        alarm.address,
        "an alarm on a metric math expression other than a sum of counts (less what explains them): whether it can fire on a rising count cannot be told from the file",
      ),
    );
  }
  if (
    known(a.comparison_operator, "comparison_operator") &&
    typeof a.comparison_operator === "string" &&
    !RISING.includes(a.comparison_operator)
  ) {
    out.push(
      fail(
        alarm.address,
        `comparison_operator ${a.comparison_operator} fires when the count falls: an alarm on failures or rejected flows must use GreaterThanThreshold or GreaterThanOrEqualToThreshold`,
      ),
    );
  }
  const { evaluation_periods: periods, datapoints_to_alarm: datapoints } = a;
  if (
    known(periods, "evaluation_periods") &&
    known(datapoints, "datapoints_to_alarm") &&
    typeof datapoints === "number" &&
    typeof periods === "number" &&
    datapoints > periods
  ) {
    out.push(
      fail(
        alarm.address,
        `datapoints_to_alarm ${datapoints} exceeds evaluation_periods ${periods}: the alarm can never collect enough breaching datapoints`,
      ),
    );
  }
  if (typeof a.threshold === "number" && !Number.isFinite(a.threshold))
    out.push(fail(alarm.address, `threshold ${a.threshold} can never be crossed`));
  else if (known(a.threshold, "threshold") && typeof a.threshold === "number" && bound !== undefined) {
    // GreaterThanOrEqualTo n fires where GreaterThan n-1 does: both compared as "more than".
    const above = a.comparison_operator === "GreaterThanOrEqualToThreshold" ? a.threshold - 1 : a.threshold;
    if (above > Math.max(bound, 0))
      out.push(
        fail(
          alarm.address,
          `threshold ${a.threshold} lets more failures or rejected flows pass unreported than the environment's authFailureThreshold ${bound}`,
        ),
      );
  }
  const needed = typeof datapoints === "number" ? datapoints : periods;
  if (
    typeof needed === "number" &&
    needed > 1 &&
    !(typeof datapoints === "number" && typeof periods === "number" && datapoints > periods)
  ) {
    out.push(
      fail(
        alarm.address,
        `needs ${needed} breaching periods before it fires: a burst of failures inside one period never raises it; set datapoints_to_alarm (or evaluation_periods) to 1`,
      ),
    );
  }
  if (a.unit !== undefined && a.unit !== null && known(a.unit, "unit")) {
    out.push(
      fail(
        alarm.address,
        `unit ${String(a.unit)} filters the metric's datapoints by unit: any unit but the one published matches nothing and the alarm never leaves INSUFFICIENT_DATA; remove unit`,
      ),
    );
  }
  if (a.actions_enabled === false) out.push(fail(alarm.address, "actions_enabled is false: the alarm changes state and tells no one"));
  else known(a.actions_enabled, "actions_enabled");
  if (notifies && known(a.alarm_actions, "alarm_actions") && (!Array.isArray(a.alarm_actions) || a.alarm_actions.length === 0))
    out.push(fail(alarm.address, "no alarm_actions: the alarm tells no one"));
  return out;
}

/** `SUM([m0, m1])` or `SUM([m0, m1]) - FILL(x, 0)`: the form moat's alarms return. */
const SUM_OF_COUNTS =
  /^SUM\(\[\s*([A-Za-z][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z][A-Za-z0-9_]*)*)\s*\]\)(?:\s*-\s*FILL\(\s*([A-Za-z][A-Za-z0-9_]*)\s*,\s*0\s*\))?$/;

/**
 * A metric-math alarm whose one returned expression adds up fetched Sum metrics (and may take
 * away one other fetched Sum metric, the failures that explain themselves): it rises with every
 * failure it adds, so the plain-alarm checks above apply to it. Anything else stays unknown.
 */
function risingSum(queries: readonly Value[]): boolean {
  const records = queries.filter(isRecord);
  const returned = records.filter((q) => q.return_data === true);
  if (returned.length !== 1 || typeof returned[0].expression !== "string") return false;
  const match = SUM_OF_COUNTS.exec(returned[0].expression.trim());
  if (!match) return false;
  const ids = [...match[1].split(",").map((id) => id.trim()), ...(match[2] ? [match[2]] : [])];
  const counted = (id: string) =>
    records.some(
      (q) =>
        q.id === id &&
        q.return_data !== true &&
        blocks(q.metric).some((m) => isRecord(m) && m.stat === "Sum" && typeof m.metric_name === "string"),
    );
  return ids.every(counted);
}
