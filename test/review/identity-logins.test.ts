/** Class 3 of issue 13: logins that do not go through moat's CA, each added to a clean stack. */
import { describeVariants } from "./clean-stacks";
import { variantsOf } from "./closed-world-variants";

// The variants are defined once, in closed-world-variants.ts, where their plans are reviewed too.
describeVariants("logins outside moat's CA (AUTH-3)", variantsOf("logins outside moat's CA (AUTH-3)"));
describeVariants("AWS-generated key pairs (AUTH-1, class 6)", variantsOf("AWS-generated key pairs (AUTH-1, class 6)"));
