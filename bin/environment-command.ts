import { DEFAULT_ENVIRONMENTS_DIR, EnvironmentConfig, loadEnvironment } from "../config";
import { MoatError, UsageError } from "../errors";
import {
  checkPositionals,
  CommandSpec,
  commandHelp,
  GroupSpec,
  groupHelp,
  OptionTable,
  OptionValues,
  optionValues,
  options,
  parseArgv,
} from "./args";
import { CliIo } from "./moat";
import { readPassphrase } from "./passphrase";
import { defaultPkiDir } from "../pki/paths";

/** Options every `moat pki` / `moat lab` subcommand takes. */
export const ENVIRONMENT_OPTIONS = options({
  env: { type: "string", value: "E", required: true, description: "environment (environments/E.yaml)" },
  "pki-dir": { type: "string", value: "DIR", description: "PKI store", defaultNote: "$MOAT_PKI_DIR, else .pki" },
  "passphrase-file": { type: "string", value: "FILE", description: "CA key passphrase", defaultNote: "MOAT_CA_PASSPHRASE" },
  "environments-dir": { type: "string", value: "DIR", description: "where environment files are", default: DEFAULT_ENVIRONMENTS_DIR },
});

/** What a `moat pki` / `moat lab` subcommand works with. */
export interface EnvironmentContext<T extends OptionTable> {
  readonly io: CliIo;
  /** The environment name given with --env. */
  readonly env: string;
  /** --pki-dir, else $MOAT_PKI_DIR, else `.pki`. */
  readonly pkiDir: string;
  /** The subcommand's own options, typed from its table. */
  readonly values: OptionValues<T>;
  /** Arguments after the options, for a command that declares {@link CommandSpec.positional}. */
  readonly positionals: readonly string[];
  /** environments/<env>.yaml, loaded on first use (usage errors come before file errors). */
  readonly config: () => EnvironmentConfig;
  /** The CA key passphrase: --passphrase-file, else MOAT_CA_PASSPHRASE, else none. */
  readonly passphrase: () => string | undefined;
}

/** One subcommand: its table, and how it runs on an argument list (its value types stay inside). */
export interface EnvironmentCommand {
  readonly spec: CommandSpec;
  readonly run: (usage: string, argv: readonly string[], io: CliIo) => Promise<number>;
}

/** A subcommand from its table and what it does with the values the table types. */
export function environmentCommand<const T extends OptionTable>(
  definition: CommandSpec<T> & { readonly run: (ctx: EnvironmentContext<T>) => number | Promise<number> },
): EnvironmentCommand {
  const { run, ...spec } = definition;
  return {
    spec,
    run: async (usage, argv, io) => {
      const parsed = parseArgv(usage, argv, [ENVIRONMENT_OPTIONS, spec.options], spec.positional);
      if (parsed.help) {
        io.stdout(commandHelp(usage, spec, ENVIRONMENT_OPTIONS));
        return 0;
      }
      const common = optionValues(usage, ENVIRONMENT_OPTIONS, parsed.raw);
      const values = optionValues(usage, spec.options, parsed.raw);
      const positionals = checkPositionals(usage, spec.positional, parsed.positionals);
      let config: EnvironmentConfig | undefined;
      try {
        return await run({
          io,
          env: common.env,
          pkiDir: common["pki-dir"] ?? defaultPkiDir(),
          values,
          positionals,
          config: () => (config ??= loadEnvironment(common.env, { dir: common["environments-dir"] })),
          passphrase: () => readPassphrase(common["passphrase-file"]),
        });
      } catch (err) {
        throw filesystemRefusal(err);
      }
    },
  };
}

/** A group of environment subcommands: the group's help and table, and the commands that run. */
export interface EnvironmentGroup {
  readonly summary: string;
  readonly description?: string;
  readonly notes?: string;
  readonly commands: Readonly<Record<string, EnvironmentCommand>>;
}

/** The group's table, for its help and `moat --help`. */
export function environmentGroupSpec(group: EnvironmentGroup): GroupSpec {
  return {
    summary: group.summary,
    description: group.description,
    notes: group.notes,
    common: ENVIRONMENT_OPTIONS,
    commands: Object.fromEntries(Object.entries(group.commands).map(([name, c]) => [name, c.spec])),
  };
}

/**
 * `moat <group> <command> --env E ...`: picks the subcommand, parses its options strictly,
 * requires --env and runs it; filesystem errors on paths the user chose become one-line refusals.
 */
export async function runEnvironmentCommand(group: string, argv: readonly string[], io: CliIo, spec: EnvironmentGroup): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    (name === undefined ? io.stderr : io.stdout)(groupHelp(`moat ${group}`, environmentGroupSpec(spec)));
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(spec.commands, name) ? spec.commands[name] : undefined;
  if (!command) throw new UsageError(`unknown command '${name}'; expected one of ${Object.keys(spec.commands).join(", ")}`);
  return command.run(`moat ${group} ${name}`, rest, io);
}

const FILESYSTEM_CODES: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a path component is not a directory",
  EEXIST: "already exists and is not a directory",
  EROFS: "read-only filesystem",
  ENOSPC: "no space left on the device",
};

/** A filesystem error on a path the user chose is theirs to fix, not a bug: one line, exit 1. */
function filesystemRefusal(err: unknown): unknown {
  // A cast, as a catch gives unknown: only fields that may be absent are read, and each is checked.
  const e = err as NodeJS.ErrnoException;
  if (e?.code === undefined || !(e.code in FILESYSTEM_CODES) || e.path === undefined) return err;
  return new MoatError(`${e.path}: ${FILESYSTEM_CODES[e.code]} (${e.code}); check --pki-dir, --out-dir and their permissions`);
}
