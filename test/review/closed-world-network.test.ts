/**
 * Issue 13, classes 2, 7, 8 and 9: insecure edits of the shipped stacks, each a few lines of
 * Terraform JSON that Terraform would apply, reviewed in process. The variants (variant, rule,
 * resource) are defined in closed-world-variants.ts, where their real plans are reviewed too.
 */
import { describeVariants } from "./clean-stacks";
import { reviewInProcess, shippedStacks } from "./closed-world-support";
import { variantsOf } from "./closed-world-variants";

for (const title of [
  "class 2: resource types no rule knew",
  "class 7: values Terraform converts",
  "class 8: everywhere written another way",
  "class 9: network ACL semantics",
])
  describeVariants(title, variantsOf(title));

describe("the shipped stacks stay clean", () => {
  const stacks = shippedStacks();
  test.each(["dev", "prod"] as const)("%s: no blocking finding, every finding accounted for", (env) => {
    const { findings, blocking } = reviewInProcess(env === "dev" ? stacks.dev() : stacks.prod(), env);
    expect(blocking).toEqual([]);
    expect(findings.map((f) => f.rule)).toEqual(["TLS-3"]);
  });
});
