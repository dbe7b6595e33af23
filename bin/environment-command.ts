import { EnvironmentConfig, loadEnvironment } from "../config";
import { MoatError, UsageError } from "../errors";
import { parseCommandArgs, requireOption } from "./args";
import { CliIo } from "./moat";
import { readPassphrase } from "./passphrase";
import { defaultPkiDir } from "../pki/paths";

/** Parsed option values of one subcommand. */
export type Values = Record<string, string | boolean | undefined>;

/** What a `moat pki` / `moat lab` subcommand works with. */
export interface EnvironmentContext {
  readonly io: CliIo;
  /** The environment name given with --env. */
  readonly env: string;
  /** --pki-dir, else $MOAT_PKI_DIR, else `.pki`. */
  readonly pkiDir: string;
  readonly values: Values;
  /** Arguments after the options, for a command that declares {@link EnvironmentCommand.positional}. */
  readonly positionals: readonly string[];
  /** environments/<env>.yaml, loaded on first use (usage errors come before file errors). */
  readonly config: () => EnvironmentConfig;
  /** The CA key passphrase: --passphrase-file, else MOAT_CA_PASSPHRASE, else none. */
  readonly passphrase: () => string | undefined;
}

/** One option of a subcommand: what the parser needs and what its help says. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** The value's placeholder in help, `FILE` for `--csr FILE`. */
  readonly value?: string;
  readonly description: string;
  readonly short?: string;
}

export interface EnvironmentCommand {
  /** What the subcommand does, first line of its help (more lines may follow). */
  readonly summary: string;
  readonly options: Record<string, OptionSpec>;
  /** The one argument the command takes besides options, e.g. `MESSAGE`; without it any is refused. */
  readonly positional?: { readonly value: string; readonly description: string };
  readonly run: (ctx: EnvironmentContext) => number | Promise<number>;
}

/** Options every environment subcommand takes. */
const ENVIRONMENT_OPTIONS: Record<string, OptionSpec> = {
  env: { type: "string", value: "E", description: "environment (environments/E.yaml)" },
  "pki-dir": { type: "string", value: "DIR", description: "PKI store (default $MOAT_PKI_DIR, else .pki)" },
  "passphrase-file": { type: "string", value: "FILE", description: "CA key passphrase (else MOAT_CA_PASSPHRASE)" },
  "environments-dir": { type: "string", value: "DIR", description: "where environment files are (default environments)" },
  help: { type: "boolean", short: "h", description: "this help" },
};

/** The help of one subcommand, generated from its option definitions so it cannot fall behind them. */
export function commandHelp(group: string, name: string, command: EnvironmentCommand): string {
  const lines = (options: Record<string, OptionSpec>) => {
    const flags = Object.entries(options).map(
      ([key, o]) => [`${o.short ? `-${o.short}, ` : ""}--${key}${o.value ? ` ${o.value}` : ""}`, o.description] as const,
    );
    const width = Math.max(...flags.map(([flag]) => flag.length)) + 2;
    return flags.map(([flag, description]) => `  ${flag.padEnd(width)}${description}\n`).join("");
  };
  const own = Object.keys(command.options).length > 0 ? `\noptions:\n${lines(command.options)}` : "";
  const positional = command.positional ? ` ${command.positional.value}` : "";
  const argument = command.positional ? `\n  ${command.positional.value}  ${command.positional.description}\n` : "";
  return `usage: moat ${group} ${name} --env E [options]${positional}\n\n${command.summary}\n${argument}${own}\ncommon options:\n${lines(ENVIRONMENT_OPTIONS)}`;
}

/** What util.parseArgs takes from an option: its spelling, not its help. */
function parserOptions(options: Record<string, OptionSpec>) {
  return Object.fromEntries(
    Object.entries(options).map(([key, o]) => [key, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
  );
}

/**
 * `moat <group> <command> --env E ...`: picks the subcommand, parses its options strictly,
 * requires --env and runs it; filesystem errors on paths the user chose become one-line refusals.
 */
export async function runEnvironmentCommand(
  group: string,
  argv: string[],
  io: CliIo,
  help: string,
  commands: Record<string, EnvironmentCommand>,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    (name === undefined ? io.stderr : io.stdout)(help);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'; expected one of ${Object.keys(commands).join(", ")}`);
  const usage = `moat ${group} ${name}`;
  const { values, positionals } = parseCommandArgs(
    usage,
    rest,
    parserOptions({ ...ENVIRONMENT_OPTIONS, ...command.options }),
    command.positional !== undefined,
  );
  if (positionals.length > (command.positional ? 1 : 0)) {
    throw new UsageError(
      `${usage} takes ${command.positional ? `one ${command.positional.value}` : "no argument"}, got ${positionals.length} (${JSON.stringify(positionals.join(" ").slice(0, 60))}); quote it, or run '${usage} --help'`,
    );
  }
  if (values.help) {
    io.stdout(commandHelp(group, name, command));
    return 0;
  }
  const v = values as Values;
  const env = requireOption(usage, v, "env");
  let config: EnvironmentConfig | undefined;
  try {
    return await command.run({
      io,
      env,
      pkiDir: (v["pki-dir"] as string | undefined) ?? defaultPkiDir(),
      values: v,
      positionals,
      config: () => (config ??= loadEnvironment(env, { dir: v["environments-dir"] as string | undefined })),
      passphrase: () => readPassphrase(v["passphrase-file"] as string | undefined),
    });
  } catch (err) {
    throw filesystemRefusal(err);
  }
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
  const e = err as NodeJS.ErrnoException;
  if (e?.code === undefined || !(e.code in FILESYSTEM_CODES) || e.path === undefined) return err;
  return new MoatError(`${e.path}: ${FILESYSTEM_CODES[e.code]} (${e.code}); check --pki-dir, --out-dir and their permissions`);
}
