import { parseArgs } from "node:util";
import { UsageError } from "../errors";

/**
 * The command-line tables: each command declares its options and arguments once, and both the
 * parser and the --help text are made from that declaration, so they cannot drift apart.
 */

/** `--name VALUE`. Its value is a string, or what `parse` makes of it. */
export interface StringOption<T = unknown> {
  readonly type: "string";
  /** The value's placeholder in help: `FILE` for `--csr FILE`. */
  readonly value: string;
  /** One line: what the option is for. */
  readonly description: string;
  readonly short?: string;
  /** Absent (or empty) -> "--name is required; run '<command> --help'", exit 2. */
  readonly required?: boolean;
  /** May be given more than once; the value is the list of them. */
  readonly multiple?: boolean;
  /** Used when the option is absent, parsed like a given value, and shown in help. */
  readonly default?: string;
  /** Help only: what happens when the option is absent, where that is not one fixed value. */
  readonly defaultNote?: string;
  /** The text to the value, or a UsageError naming the flag (given as `--name`). */
  readonly parse?: (text: string, flag: string) => T;
}

/** `--name`: true when given. */
export interface BooleanOption {
  readonly type: "boolean";
  readonly description: string;
  readonly short?: string;
}

export type OptionSpec = StringOption | BooleanOption;
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The arguments after the options (lab send's MESSAGE, review's PATHs). */
export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  /** Any number of them (`PATH...`); otherwise at most one. */
  readonly many?: boolean;
  /** When set, at least one is required and this is the refusal (exit 2) when none is given. */
  readonly missing?: string;
}

/** One command (or subcommand): what its help says and what its parser accepts. */
export interface CommandSpec<T extends OptionTable = OptionTable> {
  /** One line: the first line of its help and its line in the parent's list. */
  readonly summary: string;
  /** More of its help, after the summary. */
  readonly description?: string;
  /** Replaces the generated synopsis after the command name, where options are alternatives (synth's --env | --all). */
  readonly synopsis?: string;
  readonly options: T;
  readonly positional?: PositionalSpec;
  /** The end of its help: exit codes, what it needs installed. */
  readonly notes?: string;
}

/** A command made of subcommands that share some options (`moat pki`, `moat lab`). */
export interface GroupSpec {
  readonly summary: string;
  readonly description?: string;
  readonly notes?: string;
  /** Options every subcommand takes. */
  readonly common: OptionTable;
  readonly commands: Readonly<Record<string, CommandSpec>>;
}

export type CliSpec = CommandSpec | GroupSpec;

export function isGroup(spec: CliSpec): spec is GroupSpec {
  return "commands" in spec;
}

type Parsed<O> = O extends { readonly parse: (text: string, flag: string) => infer T } ? T : string;

/** The type of one option's value: boolean; a list; required or defaulted -> always there; else possibly undefined. */
export type OptionValue<O> = O extends BooleanOption
  ? boolean
  : O extends { readonly multiple: true }
    ? Parsed<O>[]
    : O extends { readonly required: true } | { readonly default: string }
      ? Parsed<O>
      : Parsed<O> | undefined;

export type OptionValues<T extends OptionTable> = { readonly [K in keyof T]: OptionValue<T[K]> };

/** Declares an option table, keeping its literal shape (`required: true`, a default) for the value types. */
export function options<const T extends OptionTable>(table: T): T {
  return table;
}

/** Declares one option shared by several tables, keeping its literal shape. */
export function option<const O extends OptionSpec>(spec: O): O {
  return spec;
}

/** Declares a command, keeping its table's literal shape for the value types. */
export function command<const T extends OptionTable>(spec: CommandSpec<T>): CommandSpec<T> {
  return spec;
}

/**
 * A string option whose value is one of `choices`: the placeholder lists them and anything else
 * is refused as "--flag X is not one of a, b" (after `prefix`, before `hint`).
 */
export function choice<const V extends string, const S extends ChoiceOption<V>>(
  choices: readonly V[],
  spec: S,
): S & { readonly type: "string"; readonly value: string; readonly parse: (text: string, flag: string) => V } {
  return {
    ...spec,
    type: "string",
    value: choices.join("|"),
    parse: (text, flag) => {
      const found = choices.find((c) => c === text);
      if (found === undefined)
        throw new UsageError(`${spec.prefix ?? ""}${flag} ${text} is not one of ${choices.join(", ")}${spec.hint ?? ""}`);
      return found;
    },
  };
}

export interface ChoiceOption<V extends string> {
  readonly description: string;
  readonly default?: V;
  readonly defaultNote?: string;
  readonly required?: boolean;
  /** Before the refusal, e.g. `init: `. */
  readonly prefix?: string;
  /** After the refusal, e.g. `; use --graph json or --graph dot`. */
  readonly hint?: string;
}

/** The raw result of reading an argument list against one or more tables; see {@link optionValues}. */
export interface ParsedArgs {
  readonly help: boolean;
  readonly raw: Readonly<Record<string, unknown>>;
  readonly positionals: readonly string[];
}

/**
 * Reads `argv` against the tables with `util.parseArgs` in strict mode (an unknown option or a
 * missing value is a usage error naming the command, never a stack trace). `-h`/`--help` is
 * always accepted; the values are read with {@link optionValues}, table by table.
 */
export function parseArgv(
  command: string,
  argv: readonly string[],
  tables: readonly OptionTable[],
  positional?: PositionalSpec,
): ParsedArgs {
  const parserOptions: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const table of tables) {
    for (const [name, o] of Object.entries(table)) {
      parserOptions[name] = {
        type: o.type,
        ...(o.short ? { short: o.short } : {}),
        ...(o.type === "string" && o.multiple ? { multiple: true } : {}),
      };
    }
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: parserOptions,
      strict: true,
      allowPositionals: positional !== undefined,
    });
    return { help: values.help === true, raw: values, positionals };
  } catch (err) {
    // parseArgs throws TypeErrors with a message; `instanceof Error` is not used, as it fails across realms (jest's vm).
    const message = typeof err === "object" && err !== null && "message" in err ? String(err.message) : String(err);
    throw new UsageError(`${message}; run '${command} --help'`);
  }
}

/** The typed values of one table: required ones checked, defaults applied, texts parsed, in table order. */
export function optionValues<T extends OptionTable>(command: string, table: T, raw: Readonly<Record<string, unknown>>): OptionValues<T> {
  const out: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(table)) {
    const given = raw[name];
    if (o.type === "boolean") {
      out[name] = given === true;
      continue;
    }
    const parse = (text: string) => (o.parse ? o.parse(text, `--${name}`) : text);
    if (o.multiple) {
      const texts = Array.isArray(given) ? given.map(String) : [];
      if (o.required && texts.length === 0) throw requiredError(command, name);
      out[name] = texts.map(parse);
    } else if (typeof given === "string" && !(o.required && given === "")) {
      // Given, even empty: the parser judges it (an empty --topic is refused by name, not ignored).
      out[name] = parse(given);
    } else if (o.required) {
      throw requiredError(command, name);
    } else {
      out[name] = o.default === undefined ? undefined : parse(o.default);
    }
  }
  // The one cast of the parser: the loop above builds each key's value as OptionValue<T[K]>
  // says (boolean, list, parsed or default), which TypeScript cannot follow through Object.entries.
  return out as OptionValues<T>;
}

/** The arguments after the options, checked against the command's declaration. */
export function checkPositionals(command: string, spec: PositionalSpec | undefined, positionals: readonly string[]): readonly string[] {
  if (spec === undefined) return positionals; // parseArgs has refused any already
  if (positionals.length === 0 && spec.missing !== undefined) throw new UsageError(spec.missing);
  if (!spec.many && positionals.length > 1) {
    throw new UsageError(
      `${command} takes one ${spec.name}, got ${positionals.length} (${JSON.stringify(positionals.join(" ").slice(0, 60))}); quote it, or run '${command} --help'`,
    );
  }
  return positionals;
}

/** A command with one table: its values and arguments, or `undefined` when --help was asked for. */
export function parseCommand<T extends OptionTable>(
  command: string,
  spec: CommandSpec<T>,
  argv: readonly string[],
): { readonly values: OptionValues<T>; readonly positionals: readonly string[] } | undefined {
  const parsed = parseArgv(command, argv, [spec.options], spec.positional);
  if (parsed.help) return undefined;
  const values = optionValues(command, spec.options, parsed.raw);
  return { values, positionals: checkPositionals(command, spec.positional, parsed.positionals) };
}

/** The value of an option a command needs in one of its modes (pki issue's --csr with --out), or a usage error naming it. */
export function requireOption(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === "") throw requiredError(command, name);
  return value;
}

function requiredError(command: string, name: string): UsageError {
  return new UsageError(`--${name} is required; run '${command} --help'`);
}

// ---- help, generated from the same tables ----

const WIDTH = 110;

/** `--csr FILE`, `-h, --help`. */
export function flagText(name: string, o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? ` ${o.value}` : ""}`;
}

/** The description with what help adds from the table: required, repeatable, default. */
export function optionDescription(o: OptionSpec): string {
  if (o.type === "boolean") return o.description;
  const notes = [
    o.required ? "required" : undefined,
    o.multiple ? "repeatable" : undefined,
    o.default !== undefined ? `default ${o.default}` : o.defaultNote !== undefined ? `default ${o.defaultNote}` : undefined,
  ].filter((n) => n !== undefined);
  return notes.length > 0 ? `${o.description} (${notes.join("; ")})` : o.description;
}

/** The options after a command's name, as its usage line shows them: required ones, then `[options]`, then its arguments. */
export function synopsis(spec: CommandSpec, common: OptionTable = {}): string {
  if (spec.synopsis !== undefined) return spec.synopsis;
  const all = { ...common, ...spec.options };
  const required = Object.entries(all).filter(([, o]) => o.type === "string" && o.required);
  const optional = Object.keys(all).length > required.length;
  return [...required.map(([name, o]) => flagText(name, o)), ...(optional ? ["[options]"] : []), ...positionalText(spec.positional)].join(
    " ",
  );
}

/** Every option after a subcommand's name, each optional one in brackets: its line in the group's help. */
export function fullSynopsis(spec: CommandSpec): string {
  return synopsisUnits(spec).join(" ");
}

const NBSP = "\u00a0";

function synopsisUnits(spec: CommandSpec): string[] {
  const flags = Object.entries(spec.options).map(([name, o]) =>
    o.type === "string" && o.required ? flagText(name, o) : `[${flagText(name, o)}]${o.type === "string" && o.multiple ? "..." : ""}`,
  );
  return [...flags, ...positionalText(spec.positional)];
}

function positionalText(p: PositionalSpec | undefined): string[] {
  if (p === undefined) return [];
  const text = `${p.name}${p.many ? "..." : ""}`;
  return [p.missing !== undefined ? text : `[${text}]`];
}

/** Rows of `flag  description`, aligned, descriptions wrapped under themselves. */
function rows(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(...entries.map(([flag]) => flag.length)) + 2;
  return entries.map(([flag, text]) => `  ${flag.padEnd(width)}${wrap(text, WIDTH - width - 2, 2 + width).trimStart()}\n`).join("");
}

/** A table's options as help shows them: aligned rows of flag and description. */
export function optionList(table: OptionTable): string {
  return Object.keys(table).length > 0 ? rows(optionRows(table, false)) : "";
}

function optionRows(table: OptionTable, help: boolean): [string, string][] {
  const entries: [string, string][] = Object.entries(table).map(([name, o]) => [flagText(name, o), optionDescription(o)]);
  if (help) entries.push(["-h, --help", "this help"]);
  return entries;
}

/** Text wrapped at word boundaries to `width`, every line indented by `indent`; blank lines kept. */
export function wrap(text: string, width: number, indent: number): string {
  const pad = " ".repeat(indent);
  return text
    .split("\n")
    .map((paragraph) => {
      const lines: string[] = [];
      let line = "";
      for (const word of paragraph.split(" ").filter((w) => w !== "")) {
        if (line !== "" && line.length + 1 + word.length > width) {
          lines.push(line);
          line = word;
        } else line = line === "" ? word : `${line} ${word}`;
      }
      lines.push(line);
      return lines.map((l) => (l === "" ? "" : pad + l)).join("\n");
    })
    .join("\n");
}

/** The --help of a command (`moat review`) or of a group's subcommand (`moat pki issue`, with the group's common options). */
export function commandHelp(name: string, spec: CommandSpec, common?: OptionTable): string {
  const own = Object.keys(spec.options).length > 0;
  let text = `usage: ${name} ${synopsis(spec, common)}\n\n${wrap(spec.summary, WIDTH, 0)}\n`;
  if (spec.description) text += `${wrap(spec.description, WIDTH, 0)}\n`;
  if (spec.positional) text += `\narguments:\n${rows([[positionalText(spec.positional)[0], spec.positional.description]])}`;
  if (common === undefined) text += `\noptions:\n${rows(optionRows(spec.options, true))}`;
  else {
    if (own) text += `\noptions:\n${rows(optionRows(spec.options, false))}`;
    text += `\ncommon options:\n${rows(optionRows(common, true))}`;
  }
  if (spec.notes) text += `\n${wrap(spec.notes, WIDTH, 0)}\n`;
  return text;
}

/** The --help of a group (`moat pki`): its subcommands with every option, then the options they share. */
export function groupHelp(name: string, spec: GroupSpec): string {
  const required = Object.entries(spec.common).filter(([, o]) => o.type === "string" && o.required);
  let text = `usage: ${name} <command>${required.map(([n, o]) => ` ${flagText(n, o)}`).join("")} [options]\n\n${wrap(spec.summary, WIDTH, 0)}\n`;
  if (spec.description) text += `${wrap(spec.description, WIDTH, 0)}\n`;
  text += "\ncommands:\n";
  for (const [sub, c] of Object.entries(spec.commands)) {
    // One flag never breaks across lines: its words are joined by no-break spaces until wrapped.
    const units = [sub, ...synopsisUnits(c)].map((u) => u.replaceAll(" ", NBSP)).join(" ");
    text += `  ${wrap(units, WIDTH - 4, 4)
      .trimStart()
      .replaceAll(NBSP, " ")}\n${wrap(c.summary, WIDTH - 6, 6)}\n`;
  }
  if (spec.notes) text += `\n${wrap(spec.notes, WIDTH, 0)}\n`;
  text += `\n'${name} <command> --help' shows one command's options.\n\ncommon options:\n${rows(optionRows(spec.common, true))}`;
  return text;
}
