import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { groupRules } from "../../segment";
import { Value } from "../../value";

/** Terraform's description when none is given: says nothing to a reviewer. */
const PLACEHOLDER = "Managed by Terraform";

/** FW-4: every security group and every rule says what it is for. */
export const describedGroups: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const check = (resource: string, what: string, description: Value | undefined) => {
    if (description === undefined || description === null || description === "" || description === PLACEHOLDER)
      violations.push(fail(resource, `${what} has no description`));
    else if (typeof description !== "string") violations.push(unknown(resource, `${what}'s description is known only at apply time`));
  };
  model.ofType("aws_security_group").forEach((g) => check(g.address, "the security group", g.attributes.description));
  for (const rule of groupRules(model)) {
    if (model.get(rule.resource)?.type === "aws_default_security_group") continue;
    check(
      rule.resource,
      `the ${rule.direction} rule ${String(rule.protocol)} ${String(rule.fromPort)}-${String(rule.toPort)}`,
      rule.description,
    );
  }
  return violations;
};
