import { derived, ReviewModel } from "./model";
import { PolicyReading, readPolicy, Statement } from "./policy-document";
import { fail, unknown, Violation } from "./rule";
import { Unknown, Value } from "./value";

/**
 * Each `aws_iot_policy` with its Allow statements; policies the file does not let the review
 * read become violations (unknown, or failed when the document itself is broken).
 */
export const readIotPolicies = derived((model: ReviewModel): { readonly policies: readonly { address: string; allows: Statement[] }[]; readonly violations: readonly Violation[] } => {
  const policies: { address: string; allows: Statement[] }[] = [];
  const violations: Violation[] = [];
  for (const policy of model.ofType("aws_iot_policy")) {
    const reading: PolicyReading = readPolicy(model, policy.attributes.policy);
    if ("problem" in reading) {
      const unescaped = hasUnescapedPolicyVariable(policy.attributes.policy) ? UNESCAPED : "";
      violations.push(reading.unknown && !unescaped ? unknown(policy.address, reading.problem) : fail(policy.address, reading.problem + unescaped));
      continue;
    }
    if (hasUnescapedPolicyVariable(policy.attributes.policy)) {
      violations.push(fail(policy.address, `the policy${UNESCAPED}`));
      continue;
    }
    const allows: Statement[] = [];
    for (const statement of reading.statements) {
      if (statement.effect === "Allow") allows.push(statement);
      else if (statement.effect !== "Deny") violations.push(unknown(policy.address, `statement Effect ${String(statement.effect)} is neither Allow nor Deny`));
    }
    policies.push({ address: policy.address, allows });
  }
  return { policies, violations };
});

/** The resource part of an ARN (`topic/devices/x` of `arn:aws:iot:eu-west-1:123:topic/devices/x`), `\u0000` marking unknown text. */
export function arnResource(arn: string): string {
  let at = -1;
  for (let colons = 0; colons < 5; colons++) {
    at = arn.indexOf(":", at + 1);
    if (at === -1) return arn;
  }
  return arn.slice(at + 1);
}


const UNESCAPED = " holds an unescaped ${iot:...} policy variable, which Terraform reads as an interpolation: build it with Fn.jsonencode or write $${iot:...}";

/** `${iot:Connection.Thing.ThingName}` written without the `$$` escape (JSON.stringify in cdktf) is an invalid interpolation, not a policy variable. */
function hasUnescapedPolicyVariable(value: Value | undefined): boolean {
  if (value instanceof Unknown) return /^iot:/.test(value.expression) || (value.parts ?? []).some(hasUnescapedPolicyVariable);
  return false;
}
