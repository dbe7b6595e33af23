import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/**
 * The layering of eslint.config.mjs, checked from both sides: eslint refuses an import that points
 * up the layers (so the rule can fail), and the folders of the shipped code form no cycle.
 */

const ROOT = join(__dirname, "..", "..");
const PROBE = `__layer_probe_${process.pid}`;

interface Probe {
  readonly folder: string;
  readonly source: string;
  readonly allowed: boolean;
}

const PROBES: readonly Probe[] = [
  { folder: "core", source: 'import { loadEnvironment } from "../config";\nexport const x = loadEnvironment;\n', allowed: false },
  { folder: "core", source: 'import { App } from "cdktf";\nexport const x = App;\n', allowed: false },
  { folder: "core", source: 'import { MoatError } from "../errors";\nexport const x = MoatError;\n', allowed: true },
  {
    folder: "config",
    source: 'import { IsolatedIotNetwork } from "../constructs/network";\nexport const x = IsolatedIotNetwork;\n',
    allowed: false,
  },
  { folder: "config", source: 'import { Construct } from "constructs";\nexport const x = Construct;\n', allowed: false },
  { folder: "config", source: 'import { parseCidr } from "../core/cidr";\nexport const x = parseCidr;\n', allowed: true },
  {
    folder: "review/rules",
    source: 'import { IotEnvironmentStack } from "../../stacks/environment-stack";\nexport const x = IotEnvironmentStack;\n',
    allowed: false,
  },
  { folder: "pki", source: 'import { TerraformStack } from "cdktf";\nexport const x = TerraformStack;\n', allowed: false },
  { folder: "authz", source: 'export * from "../lab";\n', allowed: false },
  { folder: "constructs/network", source: 'import { review } from "../../review/engine";\nexport const x = review;\n', allowed: false },
  {
    folder: "constructs/network",
    source: 'import type { Suppression } from "../../review/suppressions";\nexport type X = Suppression;\n',
    allowed: true,
  },
  {
    folder: "constructs/broker",
    source: 'import { IotEnvironmentStack } from "../../stacks/environment-stack";\nexport const x = IotEnvironmentStack;\n',
    allowed: false,
  },
  { folder: "lab", source: 'import { IotCoreBroker } from "../constructs/broker";\nexport const x = IotCoreBroker;\n', allowed: false },
];

/**
 * Lints every probe as if it were a file in its folder, in one eslint process, through eslint's
 * `lintText` with a file path: nothing is written into the source tree, where a concurrent `tsc`
 * (the type-check stage, the package build) would pick the probe up by its include pattern.
 */
function lintProbes(): Map<Probe, string[]> {
  const files = PROBES.map((probe, index) => ({ filePath: join(ROOT, probe.folder, `${PROBE}_${index}.ts`), source: probe.source }));
  const script = `
    const { ESLint } = require("eslint");
    const probes = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const rules = [];
      for (const { filePath, source } of probes) {
        const [result] = await eslint.lintText(source, { filePath });
        rules.push(result ? result.messages.map((m) => m.ruleId ?? "parse error") : ["not linted"]);
      }
      process.stdout.write(JSON.stringify(rules));
    })();`;
  const output = execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", input: JSON.stringify(files) });
  const rules = JSON.parse(output) as string[][];
  return new Map(PROBES.map((probe, index) => [probe, rules[index]]));
}

describe("layer rules in eslint", () => {
  let rules: Map<Probe, string[]>;
  beforeAll(() => {
    rules = lintProbes();
  }, 120_000);

  test.each(PROBES.map((probe) => [probe.folder, probe.source.split("\n")[0], probe] as const))("%s: %s", (_folder, _line, probe) => {
    const found = rules.get(probe);
    if (probe.allowed) expect(found).toEqual([]);
    else expect(found).toEqual(["@typescript-eslint/no-restricted-imports"]);
  });
});

/** The shipped code's folders; errors.ts imports nothing and counts as core. */
const FOLDERS = ["core", "config", "authz", "pki", "review", "flows", "constructs", "lab", "stacks", "bin"];

function typescriptFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return typescriptFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

function folderOf(path: string): string | undefined {
  const first = relative(ROOT, path).split(sep)[0];
  if (first === "errors.ts" || first === "errors") return "core";
  return FOLDERS.includes(first) ? first : undefined;
}

const IMPORT = /(?:\bfrom|\bimport|\brequire\(|\bimport\()\s*["'](\.{1,2}\/[^"']*)["']/g;

/** Folder-to-folder edges from every relative import (type-only imports included). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map(FOLDERS.map((folder) => [folder, new Set<string>()]));
  const files = [join(ROOT, "errors.ts"), ...FOLDERS.flatMap((folder) => typescriptFiles(join(ROOT, folder)))];
  for (const file of files) {
    const from = folderOf(file)!;
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const to = folderOf(join(dirname(file), match[1]));
      if (to !== undefined && to !== from) graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** A cycle as a list of folders (first = last), or undefined. Depth-first search with colours. */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.get(node) === undefined) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
  }
  return undefined;
}

describe("import graph between folders", () => {
  test("the cycle finder finds a cycle when there is one", () => {
    const graph = new Map([
      ["a", new Set(["b"])],
      ["b", new Set(["c"])],
      ["c", new Set(["a"])],
    ]);
    expect(findCycle(graph)).toEqual(["a", "b", "c", "a"]);
    expect(
      findCycle(
        new Map([
          ["a", new Set(["b"])],
          ["b", new Set<string>()],
        ]),
      ),
    ).toBeUndefined();
  });

  test("the scan sees the real imports", () => {
    const graph = folderGraph();
    expect([...graph.get("config")!]).toContain("core");
    expect([...graph.get("stacks")!]).toEqual(expect.arrayContaining(["constructs", "config"]));
  });

  test("no cycle between folders, and core/ imports no other folder", () => {
    const graph = folderGraph();
    expect(findCycle(graph)).toBeUndefined();
    expect([...graph.get("core")!]).toEqual([]);
  });
});
