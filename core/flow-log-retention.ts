/** Where flow-log records are delivered. */
export type FlowLogStore = "cloudwatch" | "s3" | "both";

/** The minimum retention for connection records: a year, as CloudWatch.16 and most audit regimes ask. */
export const MIN_FLOW_LOG_RETENTION_DAYS = 365;

/** Retention values CloudWatch Logs accepts (the API refuses any other). */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * What is wrong with a retention setting, naming the setting and the fix, or undefined.
 * Plain (no cdktf) so the config loader reports the same rule the construct enforces.
 */
export function flowLogRetentionProblem(
  store: FlowLogStore,
  retentionDays: number,
  archiveAfterDays: number,
): { setting: "retentionDays" | "archiveAfterDays"; message: string } | undefined {
  if (retentionDays < MIN_FLOW_LOG_RETENTION_DAYS) {
    return {
      setting: "retentionDays",
      message: `flow log retention ${retentionDays} days is below the ${MIN_FLOW_LOG_RETENTION_DAYS}-day minimum; set retentionDays >= ${MIN_FLOW_LOG_RETENTION_DAYS}`,
    };
  }
  if (store !== "s3" && !CLOUDWATCH_RETENTION_DAYS.includes(retentionDays)) {
    const allowed = CLOUDWATCH_RETENTION_DAYS.filter((d) => d >= MIN_FLOW_LOG_RETENTION_DAYS).join(", ");
    return {
      setting: "retentionDays",
      message: `flow log retention ${retentionDays} days is not a CloudWatch Logs retention value; use one of ${allowed}`,
    };
  }
  if (store !== "cloudwatch" && archiveAfterDays >= retentionDays) {
    return {
      setting: "archiveAfterDays",
      message: `flow log archiveAfterDays ${archiveAfterDays} is not below retentionDays ${retentionDays}; objects would expire before they are archived`,
    };
  }
  return undefined;
}
