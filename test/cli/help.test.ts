// One table per command: the parser, the value types and every --help come from it.
import { readFileSync } from "node:fs";
import { command, commandHelp, flagText, groupHelp, isGroup, OptionTable, parseCommand } from "../../bin/args";
import { CLI_DOC, cliReference } from "../../bin/cli-doc";
import { COMMANDS, main } from "../../bin/moat";
import { UsageError } from "../../errors";
import { runMoat } from "../support/run-moat";

/** A command or subcommand as the registry declares it: how to call it, and every option its help must list. */
interface Entry {
  readonly argv: readonly string[];
  readonly tables: readonly OptionTable[];
  readonly positional?: string;
  /** A group (`moat pki`): its first argument is a subcommand, not an option. */
  readonly group?: boolean;
}

/** Every registered command and subcommand, read from the tables themselves. */
async function registry(): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { spec } = await load();
    if (!isGroup(spec)) {
      entries.push({ argv: [name], tables: [spec.options], positional: spec.positional?.name });
      continue;
    }
    // The group's help lists every subcommand with all its options, and the common ones.
    entries.push({ argv: [name], tables: [spec.common, ...Object.values(spec.commands).map((c) => c.options)], group: true });
    for (const [sub, c] of Object.entries(spec.commands)) {
      entries.push({ argv: [name, sub], tables: [spec.common, c.options], positional: c.positional?.name });
    }
  }
  return entries;
}

async function inProcess(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main([...argv], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

/** The flags and argument an entry's help must show that it does not. */
function unlisted(entry: Entry, help: string): string[] {
  const flags = entry.tables.flatMap((table) => Object.entries(table).map(([name, o]) => flagText(name, o)));
  const missing = flags.filter((flag) => !help.includes(flag));
  if (entry.positional !== undefined && !help.includes(entry.positional)) missing.push(entry.positional);
  return missing;
}

test("every registered command: the real CLI's --help exits 0 and lists every option of its table (a group's: of all its subcommands)", async () => {
  const entries = (await registry()).filter((e) => e.argv.length === 1);
  expect(entries.map((e) => e.argv[0])).toEqual(Object.keys(COMMANDS));
  for (const entry of entries) {
    const run = runMoat([...entry.argv, "--help"]);
    const command = entry.argv.join(" ");
    expect({ command, code: run.code, stderr: run.stderr, missing: unlisted(entry, run.stdout) }).toEqual({
      command,
      code: 0,
      stderr: "",
      missing: [],
    });
    expect(run.stdout).toMatch(new RegExp(`^usage: moat ${command} `));
  }
});

// Below the process boundary, so twenty subcommands cost no twenty processes: the same main() the process runs.
test("every registered subcommand: --help exits 0 and lists every option of its table and the group's common ones", async () => {
  const entries = (await registry()).filter((e) => e.argv.length > 1);
  expect(entries.map((e) => e.argv.join(" "))).toEqual(expect.arrayContaining(["pki bulk", "pki revoke", "lab send", "lab watch"]));
  for (const entry of entries) {
    const run = await inProcess([...entry.argv, "--help"]);
    const command = entry.argv.join(" ");
    expect({ command, code: run.code, err: run.err, missing: unlisted(entry, run.out) }).toEqual({
      command,
      code: 0,
      err: "",
      missing: [],
    });
    expect(run.out).toMatch(new RegExp(`^usage: moat ${command} `));
  }
});

test("moat --help lists every registered command with the summary from its table, and every subcommand", async () => {
  const run = runMoat(["--help"]);
  expect(run.code).toBe(0);
  const text = run.stdout.replace(/\s+/g, " ");
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { spec } = await load();
    expect(run.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    expect(text).toContain(spec.summary);
    if (isGroup(spec)) expect(text).toContain(Object.keys(spec.commands).join(", "));
  }
});

test("an unknown option exits 2 and names the option, for every command and subcommand", async () => {
  for (const entry of (await registry()).filter((e) => !e.group)) {
    const result = await inProcess([...entry.argv, "--no-such-option"]);
    expect({ command: entry.argv.join(" "), code: result.code, out: result.out }).toEqual({
      command: entry.argv.join(" "),
      code: 2,
      out: "",
    });
    expect(result.err).toMatch(
      new RegExp(`^moat ${entry.argv[0]}: Unknown option '--no-such-option'.*; run 'moat ${entry.argv.join(" ")} --help'\n$`),
    );
  }
  // And as a real process: exit status 2, one line.
  const run = runMoat(["lab", "watch", "--env", "dev", "--colour"]);
  expect(run).toMatchObject({ code: 2, stdout: "" });
  expect(run.stderr).toMatch(/^moat lab: Unknown option '--colour'.*\n$/);
});

/** A small table, as a command declares one. */
const demo = command({
  summary: "A demonstration command.",
  options: {
    name: { type: "string", value: "NAME", required: true, description: "who to greet" },
    count: {
      type: "string",
      value: "N",
      default: "2",
      description: "how many times",
      parse: (text, flag) => {
        if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`${flag} '${text}' is not a positive whole number`);
        return Number(text);
      },
    },
    label: { type: "string", value: "TEXT", description: "a label" },
    tag: { type: "string", value: "T", multiple: true, description: "a tag" },
    loud: { type: "boolean", description: "shout" },
  },
  positional: { name: "WORD", many: true, description: "words to add" },
});

test("the parser and the help come from the same table: an option added to it is both listed and accepted", () => {
  const help = commandHelp("demo", demo);
  expect(help).toMatch(/^usage: demo --name NAME \[options\] \[WORD\.\.\.\]\n/);
  expect(help).toMatch(/\n {2}--name NAME +who to greet \(required\)\n/);
  expect(help).toMatch(/\n {2}--count N +how many times \(default 2\)\n/);
  expect(help).toMatch(/\n {2}--tag T +a tag \(repeatable\)\n/);
  expect(help).toMatch(/\n {2}--loud +shout\n/);
  expect(() => parseCommand("demo", demo, ["--name", "x", "--extra", "1"])).toThrow(/Unknown option '--extra'.*; run 'demo --help'/);

  const wider = command({ ...demo, options: { ...demo.options, extra: { type: "string", value: "X", description: "one more" } } });
  expect(commandHelp("demo", wider)).toMatch(/\n {2}--extra X +one more\n/);
  expect(parseCommand("demo", wider, ["--name", "x", "--extra", "1"])?.values.extra).toBe("1");
});

test("parsed values are typed from the table: required, defaulted, parsed, optional, repeatable and boolean", () => {
  const parsed = parseCommand("demo", demo, ["--name", "ada", "--tag", "a", "--tag", "b", "w1", "w2"]);
  if (parsed === undefined) throw new Error("--help was not asked for");
  // The assignments are the test as much as the values: tsc refuses them if the types drift.
  const name: string = parsed.values.name;
  const count: number = parsed.values.count;
  const label: string | undefined = parsed.values.label;
  const tags: string[] = parsed.values.tag;
  const loud: boolean = parsed.values.loud;
  // @ts-expect-error an optional option may be undefined
  const notAlways: string = parsed.values.label;
  expect({ name, count, label, tags, loud, notAlways, positionals: parsed.positionals }).toEqual({
    name: "ada",
    count: 2,
    label: undefined,
    tags: ["a", "b"],
    loud: false,
    notAlways: undefined,
    positionals: ["w1", "w2"],
  });
  expect(parseCommand("demo", demo, ["--help"])).toBeUndefined();
});

test.each([
  [["--count", "2"], "--name is required; run 'demo --help'"],
  [["--name", ""], "--name is required; run 'demo --help'"],
  [["--name", "x", "--count", "x"], "--count 'x' is not a positive whole number"],
])("a usage mistake in %j is a usage error (exit 2) naming the flag", (argv, message) => {
  let error: unknown;
  try {
    parseCommand("demo", demo, argv);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UsageError);
  expect(error).toMatchObject({ message, exitCode: 2 });
});

test("a group's help lists each subcommand with every option, required ones bare and optional ones in brackets", () => {
  const help = groupHelp("moat demo", {
    summary: "A demonstration group.",
    common: { env: { type: "string", value: "E", required: true, description: "environment" } },
    commands: { greet: demo },
  });
  expect(help).toMatch(/^usage: moat demo <command> --env E \[options\]\n/);
  expect(help).toContain(
    "\n  greet --name NAME [--count N] [--label TEXT] [--tag T]... [--loud] [WORD...]\n      A demonstration command.\n",
  );
  expect(help).toMatch(/\ncommon options:\n {2}--env E +environment \(required\)\n {2}-h, --help +this help\n$/);
});

test("docs/cli.md lists every command's options as the help shows them (npx tsx bin/cli-doc.ts rewrites it)", async () => {
  expect(readFileSync(CLI_DOC, "utf8")).toContain(await cliReference());
});
