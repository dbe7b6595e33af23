import { fail, RuleCheck, unknown } from "../../rule";
import { asBool } from "../../terraform-types";

/** TLS-2: no Amazon MQ broker is publicly accessible. */
export const privateMqBroker: RuleCheck = (model) =>
  model.ofType("aws_mq_broker").flatMap((broker) => {
    const value = broker.attributes.publicly_accessible;
    const open = asBool(value);
    if (open === true) return [fail(broker.address, "publicly_accessible is true: the broker has an Internet-facing address")];
    if (open === "unknown") return [unknown(broker.address, `publicly_accessible is ${String(value)}, not known to be false`)];
    return [];
  });
