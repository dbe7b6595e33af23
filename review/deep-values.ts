import { MoatError } from "../errors";

/** The message of the error JavaScript throws when recursion runs out of stack. */
const STACK_EXHAUSTED = "Maximum call stack size exceeded";

/**
 * Runs `work` over the values of `what` (a file, or the comparison with a base); when a value
 * nests deeper than recursion can follow, refuses the input with one line (exit 2) instead of
 * crashing. JSON.parse accepts such nesting, Terraform never writes it; checking it up front
 * would cost every review a walk of the whole tree.
 */
export function refusingDeepValues<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (!isStackExhausted(err)) throw err;
    throw deepValueRefusal(what);
  }
}

/** The refusal (exit 2) of input whose values nest too deeply to evaluate. */
export function deepValueRefusal(what: string): MoatError {
  return new MoatError(
    `${what}: a value nests too deeply to review (thousands of levels); Terraform JSON as cdktf synth or terraform show writes it never does: check how the file was made`,
    2,
  );
}

export function isStackExhausted(err: unknown): boolean {
  return err instanceof RangeError && err.message.includes(STACK_EXHAUSTED);
}
