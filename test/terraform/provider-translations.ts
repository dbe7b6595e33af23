/**
 * moat pins the AWS provider 6.25 (through @cdktf/provider-aws 21.22.1); the machines that run
 * Terraform offline carry a mirror of hashicorp/aws 5.100.0 only. To check moat's stacks against
 * a real provider anyway, what 6.x renamed is written back the 5.x way: ONE table, one reason
 * per entry. An untranslated difference makes `terraform validate` fail; its message names this
 * file (see {@link untranslatedHint}).
 */
export interface ProviderTranslation {
  /** Text of the synthesized stack (a reference inside a Terraform string) in its 6.x form. */
  readonly pattern: RegExp;
  /** Its 5.x form (`$1` refers to the pattern's first group). */
  readonly replacement: string;
  /** Why the two versions differ, from the provider's upgrade guide. */
  readonly reason: string;
}

export const PROVIDER_5X_TRANSLATIONS: readonly ProviderTranslation[] = [
  {
    pattern: /\b(data\.aws_region\.[A-Za-z0-9_-]+)\.region\b/g,
    replacement: "$1.name",
    reason:
      "provider 6.0 added `region` to the aws_region data source and deprecated `name`; 5.x has only `name` (Terraform AWS Provider Version 6 Upgrade Guide, data-source/aws_region)",
  },
];

/** The mirror's provider version; the stacks' `required_providers.aws.version` is relaxed to it. */
export const MIRROR_PROVIDER_VERSION = "5.100.0";

/** A synthesized stack's text with every 6.x -> 5.x translation applied. */
export function translateTo5x(text: string): string {
  return PROVIDER_5X_TRANSLATIONS.reduce((out, t) => out.replace(t.pattern, t.replacement), text);
}

/** Diagnostics a provider difference causes; anything else is a plain error in the stack. */
const SCHEMA_MISMATCH =
  /Unsupported (argument|attribute|block type)|Extraneous JSON object property|Invalid (value|function argument)|Missing required argument/;

/** What to add when validation fails on something that may be a 6.x-only attribute. */
export function untranslatedHint(summary: string): string {
  return SCHEMA_MISMATCH.test(summary)
    ? " If provider 6.x has this and 5.x does not, add an entry with its reason to PROVIDER_5X_TRANSLATIONS in test/terraform/provider-translations.ts."
    : "";
}
