/**
 * An error the user can act on: bad input, a refused operation, a usage mistake.
 *
 * The CLI prints its message as one line and exits with `exitCode`, never a stack trace.
 * The message names the input, what is wrong with it and how to fix it.
 * Any other error is a bug in moat and is reported as such.
 */
export class MoatError extends Error {
  /** 1: refused input or findings; 2: the command line itself is wrong. */
  public readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = "MoatError";
    this.exitCode = exitCode;
  }
}

/** A command-line usage mistake: exit code 2. */
export class UsageError extends MoatError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}
