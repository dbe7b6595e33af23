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
  /** environments/<env>.yaml, loaded on first use (usage errors come before file errors). */
  readonly config: () => EnvironmentConfig;
  /** The CA key passphrase: --passphrase-file, else MOAT_CA_PASSPHRASE, else none. */
  readonly passphrase: () => string | undefined;
}

export interface EnvironmentCommand {
  readonly options: Record<string, { type: "string" | "boolean" }>;
  readonly run: (ctx: EnvironmentContext) => number | Promise<number>;
}

/** Options every environment subcommand takes. */
const ENVIRONMENT_OPTIONS = {
  env: { type: "string" },
  "pki-dir": { type: "string" },
  "passphrase-file": { type: "string" },
  "environments-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * `moat <group> <command> --env E ...`: picks the subcommand, parses its options strictly,
 * requires --env and runs it; filesystem errors on paths the user chose become one-line refusals.
 */
export async function runEnvironmentCommand(group: string, argv: string[], io: CliIo, help: string, commands: Record<string, EnvironmentCommand>): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    (name === undefined ? io.stderr : io.stdout)(help);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'; expected one of ${Object.keys(commands).join(", ")}`);
  const usage = `moat ${group} ${name}`;
  const { values } = parseCommandArgs(usage, rest, { ...ENVIRONMENT_OPTIONS, ...command.options });
  if (values.help) {
    io.stdout(help);
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
