#!/usr/bin/env node
import { MoatError } from "../errors";
import { moatVersion } from "./version";

/** Output streams, injectable so tests can run the CLI in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** One `moat <group>` command: returns the exit code. */
export type CommandGroup = (argv: string[], io: CliIo) => Promise<number>;

// Each group is loaded on demand: `moat pki` should not pay for loading cdktf.
const GROUPS: Record<string, () => Promise<CommandGroup>> = {
  synth: async () => (await import("./synth")).run,
  pki: async () => (await import("./pki")).run,
  review: async () => (await import("./review")).run,
  lab: async () => (await import("./lab")).run,
  flows: async () => (await import("./flows")).run,
};

const USAGE = `usage: moat <command> [options]

commands:
  synth   --env E | --all                   synthesize environment stacks to cdktf.out and review them
  pki     init|issue|bulk|revoke|crl|list|verification-cert|publish
                                            the environment's private CA
  review  [PATH...]                         check synthesized stacks against the security rules
  lab     up|down|status|reload|device|watch|send
                                            a local Mosquitto broker rendered from an environment
  flows   FILE... --env E                   review exported VPC flow logs against the address plan

  --version                                 print moat's version
Run 'moat <command> --help' for its options, 'moat <command> <subcommand> --help' for one subcommand's.`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [group, ...rest] = argv;
  if (group === undefined || group === "--help" || group === "-h" || group === "help") {
    (group === undefined ? io.stderr : io.stdout)(USAGE + "\n");
    return group === undefined ? 2 : 0;
  }
  if (group === "--version" || group === "-V" || group === "version") {
    io.stdout(`moat ${moatVersion()}\n`);
    return 0;
  }
  const load = GROUPS[group];
  if (!load) {
    io.stderr(`moat: unknown command '${group}'; expected one of ${Object.keys(GROUPS).join(", ")}\n`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest, io);
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
