import { parseArgs, ParseArgsConfig } from "node:util";
import { UsageError } from "../errors";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * `util.parseArgs` in strict mode, with its TypeErrors turned into usage errors (exit 2)
 * that name the command, so a typo never surfaces as a stack trace.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: boolean }>> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; run '${command} --help'`);
  }
}

/** The value of a required string option, or a usage error naming it. */
export function requireOption(command: string, values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`--${name} is required; run '${command} --help'`);
  }
  return value;
}
