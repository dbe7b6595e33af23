/**
 * Classes 4 and 5 of issue 13: device rights from every source Terraform gives, and per-device
 * scoping for every action, each as an edit of a clean synthesized stack that AUTHZ-4 must block.
 */
import { describeVariants } from "./clean-stacks";
import { variantsOf } from "./closed-world-variants";

// The variants are defined once, in closed-world-variants.ts, where their plans are reviewed too.
describeVariants(
  "device permissions from every source (class 4, AUTHZ-4)",
  variantsOf("device permissions from every source (class 4, AUTHZ-4)"),
);
describeVariants(
  "where devices land: the class they get (class 4, AUTHZ-4)",
  variantsOf("where devices land: the class they get (class 4, AUTHZ-4)"),
);
describeVariants(
  "template policies under the document rules (AUTHZ-1, AUTHZ-2)",
  variantsOf("template policies under the document rules (AUTHZ-1, AUTHZ-2)"),
);
describeVariants(
  "per-device scoping for every action (class 5, AUTHZ-4)",
  variantsOf("per-device scoping for every action (class 5, AUTHZ-4)"),
);
