import { ReviewModel } from "../../model";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { groupRules } from "../../segment";
import { blocks, Ref } from "../../value";

/** NET-4: each VPC's default security group is managed by the stack and has no ingress and no egress rule. */
export const lockedDefaultGroup: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const defaults = model.ofType("aws_default_security_group");
  const managed = new Set(defaults.flatMap((g) => (g.attributes.vpc_id instanceof Ref ? [g.attributes.vpc_id.address] : [])));
  for (const vpc of model.ofType("aws_vpc")) {
    if (!managed.has(vpc.address)) {
      violations.push(
        fail(
          vpc.address,
          "the VPC's default security group is not managed (aws_default_security_group), so it keeps AWS's allow-all rules",
        ),
      );
    }
  }
  for (const group of defaults) {
    if (!model.target(group.attributes.vpc_id))
      violations.push(unknown(group.address, `vpc_id ${String(group.attributes.vpc_id)} is not a VPC of this stack`));
    for (const direction of ["ingress", "egress"]) {
      if (blocks(group.attributes[direction]).length > 0)
        violations.push(fail(group.address, `the default security group has ${direction} rules`));
    }
  }
  for (const rule of groupRules(model)) {
    if (rule.resource !== rule.group && isDefaultGroup(model, rule.group)) {
      violations.push(fail(rule.resource, `adds a ${rule.direction} rule to the default security group ${rule.group}`));
    }
  }
  return violations;
};

function isDefaultGroup(model: ReviewModel, address: string | undefined): boolean {
  return (
    address !== undefined && (address.endsWith(".default_security_group_id") || model.get(address)?.type === "aws_default_security_group")
  );
}
