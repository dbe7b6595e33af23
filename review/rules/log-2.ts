import { flowLogs } from "../flow-logs";
import { fail, RuleCheck, unknown, Violation } from "../rule";
import { Ref } from "../value";

const DEFAULT_MIN_RETENTION = 365;

/** LOG-2: a flow log's CloudWatch log group is encrypted with a customer-managed KMS key and kept at least 365 days. */
export const encryptedRetainedLogGroup: RuleCheck = (model, context) => {
  const minimum = context.minRetentionDays ?? DEFAULT_MIN_RETENTION;
  const violations: Violation[] = [];
  for (const { log, store, target } of flowLogs(model)) {
    if (store === "unknown") violations.push(unknown(log.address, `log_destination_type ${String(log.attributes.log_destination_type)} is known only at apply time`));
    if (store !== "cloudwatch") continue;
    if (!target || target.type !== "aws_cloudwatch_log_group") {
      violations.push(unknown(log.address, `log destination ${String(log.attributes.log_destination ?? log.attributes.log_group_name)} is not a log group of this stack`));
      continue;
    }
    const { kms_key_id: key, retention_in_days: retention } = target.attributes;
    if (key === undefined || key === null) violations.push(fail(target.address, "the flow-log group has no kms_key_id: it is encrypted only with the service key"));
    else if (key instanceof Ref ? model.get(key.address)?.type !== "aws_kms_key" : typeof key === "string" && /alias\/aws\//.test(key)) {
      violations.push(fail(target.address, `kms_key_id ${String(key)} is not a customer-managed key`));
    } else if (!(key instanceof Ref) && typeof key !== "string") violations.push(unknown(target.address, `kms_key_id ${String(key)} is known only at apply time`));
    // Retention 0 (or none) means the group never expires, which keeps logs longer than any minimum.
    if (typeof retention === "number") {
      if (retention !== 0 && retention < minimum) violations.push(fail(target.address, `retention_in_days ${retention} is below the ${minimum}-day minimum`));
    } else if (retention !== undefined && retention !== null) violations.push(unknown(target.address, `retention_in_days ${String(retention)} is known only at apply time`));
  }
  return violations;
};
