/** Class 10 of issue 13: weakenings of the log store and its alarms, each an edit of a clean stack. */
import { describeVariants } from "./clean-stacks";
import { variantsOf } from "./closed-world-variants";

// The variants are defined once, in closed-world-variants.ts, where their plans are reviewed too.
describeVariants("flow log records and destinations (LOG-1)", variantsOf("flow log records and destinations (LOG-1)"));
describeVariants("the S3 log store (LOG-3)", variantsOf("the S3 log store (LOG-3)"));
describeVariants("the log store's keys (LOG-2, LOG-3)", variantsOf("the log store's keys (LOG-2, LOG-3)"));
describeVariants("alarms that can never fire (LOG-5)", variantsOf("alarms that can never fire (LOG-5)"));
