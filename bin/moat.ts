#!/usr/bin/env node
import { MoatError } from "../errors";
import { CliSpec, isGroup, wrap } from "./args";
import { moatVersion } from "./version";

/** Output streams, injectable so tests can run the CLI in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** One `moat <group>` command: returns the exit code. */
export type CommandGroup = (argv: string[], io: CliIo) => Promise<number>;

/** A `moat <command>` module: its table (for help) and how it runs. */
export interface CommandModule {
  readonly spec: CliSpec;
  readonly run: CommandGroup;
}

/**
 * Every command, loaded on demand: `moat pki` should not pay for loading the others (synth's
 * cdktf loads only when it runs). `moat --help` loads the tables of them all.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  synth: () => import("./synth"),
  pki: () => import("./pki"),
  review: () => import("./review"),
  lab: () => import("./lab"),
  flows: () => import("./flows"),
};

/** `moat --help`: each command's summary from its table, with its subcommands where it has them. */
export async function usage(): Promise<string> {
  const entries: [string, string][] = [];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { spec } = await load();
    const subcommands = isGroup(spec) ? ` (${Object.keys(spec.commands).join(", ")})` : "";
    entries.push([name, `${spec.summary}${subcommands}`]);
  }
  entries.push(["--version", "print moat's version"]);
  const width = Math.max(...entries.map(([name]) => name.length)) + 2;
  const lines = entries.map(([name, text]) => `  ${name.padEnd(width)}${wrap(text, 108 - width, 2 + width).trimStart()}\n`).join("");
  return `usage: moat <command> [options]\n\ncommands:\n${lines}\nRun 'moat <command> --help' for its options, 'moat <command> <subcommand> --help' for one subcommand's.\n`;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [group, ...rest] = argv;
  if (group === undefined || group === "--help" || group === "-h" || group === "help") {
    (group === undefined ? io.stderr : io.stdout)(await usage());
    return group === undefined ? 2 : 0;
  }
  if (group === "--version" || group === "-V" || group === "version") {
    io.stdout(`moat ${moatVersion()}\n`);
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, group) ? COMMANDS[group] : undefined;
  if (!load) {
    io.stderr(`moat: unknown command '${group}'; expected one of ${Object.keys(COMMANDS).join(", ")}\n`);
    return 2;
  }
  try {
    return await (await load()).run(rest, io);
  } catch (err) {
    if (err instanceof MoatError) {
      // Multi-problem errors (a config file with several mistakes) keep one line per problem.
      io.stderr(
        err.message
          .split("\n")
          .map((line) => `moat ${group}: ${line}\n`)
          .join(""),
      );
      return err.exitCode;
    }
    throw err;
  }
}

/**
 * The process around `main`: real streams, the exit code, and the two ways a run can end early.
 * A closed pipe (`moat pki list | head`) ends the run quietly; anything else not a MoatError is
 * a bug in moat and says so (exit 70).
 */
export function runCli(argv: string[] = process.argv.slice(2)): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      // The reader has gone: nothing more can be shown, and that is not a failure of ours.
      process.exit(process.exitCode ?? 0);
    });
  }
  const io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  main(argv, io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`moat: internal error (a bug in moat, please report it): ${err.stack ?? err.message}\n`);
      process.exitCode = 70;
    },
  );
}

if (require.main === module) runCli();
