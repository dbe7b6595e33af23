import { arnResource, policyLabel, readIotPolicies } from "../../iot-policies";
import { grants } from "../../policy-document";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { knownText, showText } from "../../segment";

/** The only client id a device may connect with: the name of the thing its certificate is attached to. */
const CLIENT_RESOURCE = "client/${iot:Connection.Thing.ThingName}";
const IS_ATTACHED = "iot:connection.thing.isattached";

/** AUTHZ-2: iot:Connect is granted only for client id = thing name, and only while the certificate is attached to that thing. */
export const thingScopedConnect: RuleCheck = (model) => {
  const { policies, violations } = readIotPolicies(model);
  // An unreadable policy is reported by each rule that cannot check it, never passed.
  const out: Violation[] = violations.filter((v) => v.unknown);
  for (const policy of policies) {
    const { address, allows } = policy;
    const label = policyLabel(policy);
    for (const statement of allows.filter((s) => grants(s, "iot:Connect"))) {
      for (const resource of statement.resources) {
        const text = knownText(resource);
        if (text === undefined || arnResource(text).includes("\u0000"))
          out.push(unknown(address, label + `iot:Connect resource ${String(resource)} is known only at apply time`));
        else if (arnResource(text) !== CLIENT_RESOURCE)
          out.push(fail(address, label + `iot:Connect is allowed on ${showText(text)}, not only on ${CLIENT_RESOURCE}`));
      }
      const attached = statement.conditions.find((c) => c.test === "Bool" && c.variable.toLowerCase() === IS_ATTACHED);
      if (!attached || !attached.values.every((v) => v === true || v === "true")) {
        out.push(fail(address, label + 'iot:Connect does not require "Bool": {"iot:Connection.Thing.IsAttached": "true"}'));
      }
    }
  }
  return out;
};
