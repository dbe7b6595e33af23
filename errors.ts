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

/**
 * A construct refused its props (a CIDR that means the whole Internet, a missing reason, a
 * port out of range): the user's stack code is wrong, not moat. Every construct throws this
 * one type, so a stack author can catch it and the CLI reports it as one line, exit 1.
 */
export class ValidationError extends MoatError {
  constructor(message: string) {
    super(message, 1);
    this.name = "ValidationError";
  }
}
