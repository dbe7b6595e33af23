/**
 * The one rule for every "reason" moat asks for (a weakened setting, a suppression, a shared
 * topic, a root key left in the store): one line, at least 4 words and 20 characters. Shorter
 * text ("n/a", "ok for now") explains nothing to the next reader, and a reason is shown and
 * stored as a single line (reports, tags, the `.reason` file).
 */
export const MIN_REASON_WORDS = 4;
export const MIN_REASON_CHARS = 20;

/** The rule in words, for descriptions and fixes. */
export const REASON_RULE = `one line of at least ${MIN_REASON_WORDS} words and ${MIN_REASON_CHARS} characters`;

/**
 * What is wrong with `text` as a reason, as a phrase that follows the input's name
 * (`is missing; give ...`), or undefined when it is a reason. Leading and trailing blanks do not count.
 */
export function reasonProblem(text: string | undefined): string | undefined {
  const trimmed = (text ?? "").trim();
  const fix = `give ${REASON_RULE} that says why`;
  if (trimmed === "") return `is missing; ${fix}`;
  if (/[\r\n]/.test(trimmed)) return `spans several lines; ${fix}`;
  const words = trimmed.split(/\s+/).length;
  if (words < MIN_REASON_WORDS || trimmed.length < MIN_REASON_CHARS)
    return `is under a sentence (${words} word${words === 1 ? "" : "s"}, ${trimmed.length} characters); ${fix}`;
  return undefined;
}
