import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { isOpen } from "../../segment";
import { asBool } from "../../terraform-types";
import { blocks, isRecord } from "../../value";

/** MQ-1: an Amazon MQ broker keeps audit and general logs, takes minor upgrades and encrypts with a customer-managed KMS key. */
export const hardenedMqBroker: RuleCheck = (model) => {
  const violations: Violation[] = [];
  for (const broker of model.ofType("aws_mq_broker")) {
    const a = broker.attributes;
    const logs = blocks(a.logs)[0];
    const kinds = a.engine_type === "RabbitMQ" ? ["general"] : ["audit", "general"];
    for (const kind of kinds) {
      const value = isRecord(logs) ? logs[kind] : undefined;
      if (isOpen(value)) violations.push(unknown(broker.address, `logs.${kind} is known only at apply time`));
      else if (asBool(value) !== true) violations.push(fail(broker.address, `logs.${kind} is not enabled`));
    }
    if (isOpen(a.auto_minor_version_upgrade))
      violations.push(unknown(broker.address, "auto_minor_version_upgrade is known only at apply time"));
    else if (asBool(a.auto_minor_version_upgrade) !== true)
      violations.push(fail(broker.address, "auto_minor_version_upgrade is not true: security fixes wait for a manual upgrade"));
    const encryption = blocks(a.encryption_options)[0];
    const ownKey =
      isRecord(encryption) &&
      asBool(encryption.use_aws_owned_key) === false &&
      encryption.kms_key_id !== undefined &&
      encryption.kms_key_id !== null;
    if (!ownKey)
      violations.push(
        fail(broker.address, "not encrypted with a customer-managed KMS key (encryption_options.use_aws_owned_key = false, kms_key_id)"),
      );
  }
  return violations;
};
