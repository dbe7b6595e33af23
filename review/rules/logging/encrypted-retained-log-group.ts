import { flowLogs } from "../../flow-logs";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { keyProblems } from "../../kms-key";
import { Ref } from "../../value";

const DEFAULT_MIN_RETENTION = 365;

/** LOG-2: a flow log's CloudWatch log group is encrypted with a customer-managed KMS key and kept at least 365 days. */
export const encryptedRetainedLogGroup: RuleCheck = (model, context) => {
  const minimum = context.minRetentionDays ?? DEFAULT_MIN_RETENTION;
  const violations: Violation[] = [];
  for (const { log, store, target } of flowLogs(model)) {
    if (store === "unknown")
      violations.push(
        unknown(log.address, `log_destination_type ${String(log.attributes.log_destination_type)} is known only at apply time`),
      );
    if (store !== "cloudwatch") continue;
    if (!target || target.type !== "aws_cloudwatch_log_group") {
      violations.push(
        unknown(
          log.address,
          `log destination ${String(log.attributes.log_destination ?? log.attributes.log_group_name)} is not a log group of this stack`,
        ),
      );
      continue;
    }
    const { kms_key_id: key, retention_in_days: retention, log_group_class: groupClass } = target.attributes;
    if (key === undefined || key === null)
      violations.push(fail(target.address, "the flow-log group has no kms_key_id: it is encrypted only with the service key"));
    else if (typeof key === "string" && /alias\/aws\//.test(key))
      violations.push(fail(target.address, `kms_key_id ${String(key)} is not a customer-managed key`));
    else violations.push(...keyProblems(model, target, key, "the flow-log group's KMS key"));
    if (typeof groupClass === "string" && groupClass !== "STANDARD")
      violations.push(
        fail(
          target.address,
          `log_group_class ${groupClass} is not STANDARD: DELIVERY keeps events one day, INFREQUENT_ACCESS supports only a subset of CloudWatch Logs features, and moat's rejected-8883 metric filter and queries need the full set`,
        ),
      );
    else if (groupClass !== undefined && groupClass !== null && typeof groupClass !== "string")
      violations.push(unknown(target.address, `log_group_class ${String(groupClass)} is known only at apply time`));
    for (const subscription of model.ofType("aws_cloudwatch_log_subscription_filter")) {
      const group = subscription.attributes.log_group_name;
      if (group instanceof Ref ? group.address === target.address : group === target.attributes.name || !(typeof group === "string")) {
        violations.push(
          fail(
            subscription.address,
            `streams the flow-log group to ${String(subscription.attributes.destination_arn)}: a copy of the records outside the log store's key, retention and access`,
          ),
        );
      }
    }
    // Retention 0 (or none) means the group never expires, which keeps logs longer than any minimum.
    if (typeof retention === "number") {
      if (retention !== 0 && retention < minimum)
        violations.push(fail(target.address, `retention_in_days ${retention} is below the ${minimum}-day minimum`));
    } else if (retention !== undefined && retention !== null)
      violations.push(unknown(target.address, `retention_in_days ${String(retention)} is known only at apply time`));
  }
  return violations;
};
