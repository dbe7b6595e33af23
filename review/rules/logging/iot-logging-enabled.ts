import { brokerTypesPresent } from "../../segment";
import { fail, RuleCheck, STACK, unknown, Violation } from "../../rule";

/** LOG-4: AWS IoT logging is on: not DISABLED, not disable_all_logs. */
export const iotLoggingEnabled: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const options = model.ofType("aws_iot_logging_options");
  for (const o of options) {
    const { default_log_level: level, disable_all_logs: disabled } = o.attributes;
    if (level === "DISABLED")
      violations.push(fail(o.address, "default_log_level is DISABLED: no record of connects, auth failures or publishes"));
    else if (typeof level !== "string")
      violations.push(unknown(o.address, `default_log_level ${String(level)} is known only at apply time`));
    if (disabled === true) violations.push(fail(o.address, "disable_all_logs is true"));
  }
  if (options.length === 0 && brokerTypesPresent(model))
    violations.push(fail(STACK, "the stack runs an IoT broker but does not enable AWS IoT logging (aws_iot_logging_options)"));
  return violations;
};
