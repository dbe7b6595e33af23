import { arnResource, policyLabel, readIotPolicies } from "../../iot-policies";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { knownText, showText } from "../../segment";

/** IAM-style wildcards in IoT policy actions and resources: `*` any run of characters, `?` any one. */
const WILDCARD = /[*?]/;

/** AUTHZ-1: no IoT policy allows a `*` or `?` action or resource (a `?` matches a character, so it widens a grant too), or an MQTT wildcard (`#`, `+`) in a topic or topic filter. */
export const noWildcardGrants: RuleCheck = (model) => {
  const { policies, violations } = readIotPolicies(model);
  const out: Violation[] = [...violations];
  for (const policy of policies) {
    const { address, allows } = policy;
    const label = policyLabel(policy);
    for (const statement of allows) {
      if (statement.notAction) out.push(fail(address, label + "an Allow statement uses NotAction: it grants every other action"));
      if (statement.notResource) out.push(fail(address, label + "an Allow statement uses NotResource: it grants every other resource"));
      for (const action of statement.actions) {
        if (typeof action !== "string") out.push(unknown(address, label + `action ${String(action)} is known only at apply time`));
        else if (WILDCARD.test(action)) out.push(fail(address, label + `allows action ${action}`));
      }
      for (const resource of statement.resources) {
        const text = knownText(resource);
        if (text === undefined) {
          out.push(unknown(address, label + `resource ${String(resource)} is known only at apply time`));
          continue;
        }
        const part = arnResource(text);
        if (part.includes("\u0000")) out.push(unknown(address, label + `resource ${String(resource)} is known only at apply time`));
        else if (WILDCARD.test(part)) out.push(fail(address, label + `allows resource ${showText(text)}`));
        else if (/^topic(filter)?\//.test(part) && /[#+]/.test(part))
          out.push(fail(address, label + `allows MQTT wildcard in ${showText(text)}`));
      }
    }
  }
  return out;
};
