import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";

/**
 * The props of every construct are part of the public API: each optional property says what
 * happens when it is left out (`@default`), and each props interface is declared in full, so
 * that its documentation is read where it is declared, not in an internal type it was cut from.
 */

const ROOT = path.join(__dirname, "..", "..");
const FOLDERS = ["constructs", "stacks"];

interface Declared {
  readonly file: string;
  readonly node: ts.InterfaceDeclaration;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

function exportedInterfaces(files: readonly string[]): Map<string, Declared> {
  const found = new Map<string, Declared>();
  for (const file of files) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    for (const statement of source.statements) {
      if (!ts.isInterfaceDeclaration(statement)) continue;
      if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
      found.set(statement.name.text, { file: path.relative(ROOT, file), node: statement });
    }
  }
  return found;
}

/** Names of the type references anywhere under `node`. */
function referencedNames(node: ts.Node): string[] {
  const names: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName)) names.push(n.typeName.text);
    if (ts.isExpressionWithTypeArguments(n) && ts.isIdentifier(n.expression)) names.push(n.expression.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return names;
}

/** The props interfaces and the exported interfaces they use (a props property typed `SubnetSpec`). */
function propsInterfaces(all: Map<string, Declared>): Declared[] {
  const chosen = new Map<string, Declared>();
  const add = (name: string): void => {
    const declared = all.get(name);
    if (!declared || chosen.has(name)) return;
    chosen.set(name, declared);
    for (const used of referencedNames(declared.node)) add(used);
  };
  for (const name of all.keys()) if (name.endsWith("Props")) add(name);
  return [...chosen.values()];
}

/** Optional members without `@default`, inline object types included (`logging?: { level?: ... }`). */
function undocumentedOptionals(members: ts.NodeArray<ts.TypeElement>, prefix: string): string[] {
  const problems: string[] = [];
  for (const member of members) {
    if (!ts.isPropertySignature(member)) continue;
    const name = `${prefix}${member.name.getText()}`;
    if (member.questionToken && !ts.getJSDocTags(member).some((tag) => tag.tagName.text === "default")) problems.push(name);
    const visit = (n: ts.Node): void => {
      if (ts.isTypeLiteralNode(n)) problems.push(...undocumentedOptionals(n.members, `${name}.`));
      else ts.forEachChild(n, visit);
    };
    if (member.type) visit(member.type);
  }
  return problems;
}

/** Every problem of the props interfaces declared in `files`, one line each. */
export function propDocProblems(files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const { file, node } of propsInterfaces(exportedInterfaces(files))) {
    const where = `${file}: ${node.name.text}`;
    for (const name of undocumentedOptionals(node.members, "")) problems.push(`${where}.${name} is optional and has no @default`);
    for (const used of referencedNames(node)) {
      if (used === "Omit" || used === "Pick") problems.push(`${where} is built with ${used}<>; declare its properties explicitly`);
    }
  }
  return problems;
}

test("every optional property of the construct props says its default, and no props interface is cut from another with Omit or Pick", () => {
  const files = FOLDERS.flatMap((folder) => sourceFiles(path.join(ROOT, folder)));
  expect(propDocProblems(files)).toEqual([]);
});

test("the check finds an optional property without @default, one inside an inline type, and an Omit", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moat-prop-docs-"));
  const file = path.join(dir, "probe.ts");
  fs.writeFileSync(
    file,
    [
      "interface Inner { readonly a?: string; readonly b: string }",
      "export interface Used { readonly size?: number }",
      "export interface ProbeProps extends Omit<Inner, 'b'> {",
      "  /** @default 1 */ readonly documented?: number;",
      "  readonly bare?: string;",
      "  /** @default {} */ readonly nested?: { readonly deep?: boolean };",
      "  readonly used: Used;",
      "}",
    ].join("\n"),
  );
  try {
    const problems = propDocProblems([file]).map((line) => line.replace(/^.*?: /, ""));
    expect(problems.sort()).toEqual(
      [
        "ProbeProps.bare is optional and has no @default",
        "ProbeProps.nested.deep is optional and has no @default",
        "ProbeProps is built with Omit<>; declare its properties explicitly",
        "Used.size is optional and has no @default",
      ].sort(),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
