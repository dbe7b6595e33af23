import { policyLabel, readIotPolicies } from "../../iot-policies";
import { grants } from "../../policy-document";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { brokerEndpoints } from "../../segment";
import { Ref } from "../../value";

const SOURCE_VPCE = "aws:sourcevpce";

/** AUTHZ-3: iot:Connect requires `aws:SourceVpce` = the segment's iot.data endpoint, so the public endpoint refuses the fleet. */
export const endpointOnlyConnect: RuleCheck = (model) => {
  const { policies, violations } = readIotPolicies(model);
  const endpoints = brokerEndpoints(model);
  // An unreadable policy is reported by each rule that cannot check it, never passed.
  const out: Violation[] = violations.filter((v) => v.unknown);
  for (const policy of policies) {
    const { address, allows } = policy;
    const label = policyLabel(policy);
    for (const statement of allows.filter((s) => grants(s, "iot:Connect"))) {
      const condition = statement.conditions.find((c) => c.variable.toLowerCase() === SOURCE_VPCE && c.test === "StringEquals");
      if (!condition || condition.values.length === 0) {
        out.push(
          fail(
            address,
            label +
              'iot:Connect has no "StringEquals": {"aws:SourceVpce": <the iot.data endpoint>}: devices could connect through the public endpoint',
          ),
        );
        continue;
      }
      for (const value of condition.values) {
        if (value instanceof Ref) {
          if (!(value.attribute === "id" && endpoints.some((e) => e.address === value.address)))
            out.push(fail(address, label + `aws:SourceVpce is ${value.toString()}, not the id of the stack's iot.data endpoint`));
        } else if (typeof value === "string") {
          const known = endpoints.find((e) => e.attributes.id === value);
          if (!known) out.push(unknown(address, label + `aws:SourceVpce ${value} cannot be matched to the stack's iot.data endpoint`));
        } else out.push(unknown(address, label + `aws:SourceVpce ${String(value)} is known only at apply time`));
      }
    }
  }
  return out;
};
