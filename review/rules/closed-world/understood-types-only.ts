import { segmentContact, unevaluatedParts } from "../../closed-world";
import { RuleCheck, unknown, Violation } from "../../rule";

/**
 * The review is a closed world. Every resource that can touch the segment or device identity
 * is of a type some rule understands; every block and file Terraform applies is one the review
 * evaluates. Anything else is unknown, and blocks until suppressed by address or learnt.
 */
export const closedWorld: RuleCheck = (model) => {
  const violations: Violation[] = [];
  for (const part of unevaluatedParts(model)) violations.push(unknown(part.address, part.why));
  for (const resource of model.resources) {
    const contact = segmentContact(model, resource);
    if (contact)
      violations.push(
        unknown(
          resource.address,
          `${resource.type} is not a type the review understands, and it ${contact}: it may open a path or grant a permission no rule checks`,
        ),
      );
  }
  return violations;
};
