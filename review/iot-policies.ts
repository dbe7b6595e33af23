import { derived, ReviewModel } from "./model";
import { PolicyReading, readPolicy, Statement } from "./policy-document";
import { provisioningTemplates } from "./provisioning-templates";
import { fail, unknown, Violation } from "./rule";
import { Encoded, isRecord, Unknown, Value } from "./value";

/** A policy document devices may be granted, with where it is written. */
export interface IotPolicyDocument {
  /** The resource that writes it: an `aws_iot_policy`, or the CA / provisioning template holding an inline policy. */
  readonly address: string;
  /** For an inline template policy, its logical id (`template policy <id>`); undefined for an aws_iot_policy. */
  readonly templatePolicy?: string;
  readonly allows: Statement[];
}

/**
 * Every IoT policy document of the stack with its Allow statements: each `aws_iot_policy`, and each
 * policy written inline (`PolicyDocument`) in a JITP or fleet provisioning template, which IoT Core
 * attaches to every certificate it provisions. Documents the file does not let the review read
 * become violations (unknown, or failed when the document itself is broken).
 */
export const readIotPolicies = derived(
  (model: ReviewModel): { readonly policies: readonly IotPolicyDocument[]; readonly violations: readonly Violation[] } => {
    const policies: IotPolicyDocument[] = [];
    const violations: Violation[] = [];
    const add = (address: string, source: Value | undefined, templatePolicy?: string) => {
      const where = templatePolicy ? `template policy ${templatePolicy}: ` : "";
      const reading: PolicyReading = readPolicy(model, isRecord(source) ? new Encoded(source) : source);
      if ("problem" in reading) {
        const unescaped = hasUnescapedPolicyVariable(source) ? UNESCAPED : "";
        violations.push(
          reading.unknown && !unescaped ? unknown(address, where + reading.problem) : fail(address, where + reading.problem + unescaped),
        );
        return;
      }
      if (hasUnescapedPolicyVariable(source)) {
        violations.push(fail(address, `${where}the policy${UNESCAPED}`));
        return;
      }
      const allows: Statement[] = [];
      for (const statement of reading.statements) {
        if (statement.effect === "Allow") allows.push(statement);
        else if (statement.effect !== "Deny")
          violations.push(unknown(address, `${where}statement Effect ${String(statement.effect)} is neither Allow nor Deny`));
      }
      policies.push({ address, templatePolicy, allows });
    };
    for (const policy of model.ofType("aws_iot_policy")) add(policy.address, policy.attributes.policy);
    for (const template of provisioningTemplates(model)) {
      if (template.problem) {
        violations.push(
          template.problem.unknown
            ? unknown(template.resource.address, template.problem.message)
            : fail(template.resource.address, template.problem.message),
        );
        continue;
      }
      for (const policy of template.policies)
        if (policy.document !== undefined && policy.document !== null) add(template.resource.address, policy.document, policy.logicalId);
    }
    return { policies, violations };
  },
);

/** How a finding names the document when it is not the resource itself: `template policy <id>: `. */
export function policyLabel(policy: IotPolicyDocument): string {
  return policy.templatePolicy !== undefined ? `template policy ${policy.templatePolicy}: ` : "";
}

/** The resource part of an ARN (`topic/devices/x` of `arn:aws:iot:eu-west-1:123:topic/devices/x`), `\u0000` marking unknown text. */
export function arnResource(arn: string): string {
  let at = -1;
  for (let colons = 0; colons < 5; colons++) {
    at = arn.indexOf(":", at + 1);
    if (at === -1) return arn;
  }
  return arn.slice(at + 1);
}

const UNESCAPED =
  " holds an unescaped ${iot:...} policy variable, which Terraform reads as an interpolation: build it with Fn.jsonencode or write $${iot:...}";

/** `${iot:Connection.Thing.ThingName}` written without the `$$` escape (JSON.stringify in cdktf) is an invalid interpolation, not a policy variable. */
function hasUnescapedPolicyVariable(value: Value | undefined): boolean {
  if (value instanceof Unknown) return /^iot:/.test(value.expression) || (value.parts ?? []).some(hasUnescapedPolicyVariable);
  return false;
}
