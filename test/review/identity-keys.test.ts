/** Class 6 of issue 13: private keys reaching config or state by means no PEM marker shows. */
import { describeVariants } from "./clean-stacks";
import { variantsOf } from "./closed-world-variants";

// The variants are defined once, in closed-world-variants.ts, where their plans are reviewed too.
describeVariants("keys in the configuration (AUTH-2)", variantsOf("keys in the configuration (AUTH-2)"));
