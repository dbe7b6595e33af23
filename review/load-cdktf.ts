import { MoatError } from "../errors";
import { evaluateString } from "./expression";
import { LineIndex } from "./line-index";
import { LooseValue, Resource, ReviewModel } from "./model";
import { isRecord, referencesIn, Ref, Unknown, Value } from "./value";

/** Traversal roots that name no resource: their values are unknown until plan or apply. */
const NON_RESOURCE_ROOTS = new Set(["var", "local", "each", "count", "path", "terraform", "self", "module"]);

/** True when a parsed JSON document looks like Terraform JSON as cdktf writes it. */
export function isCdktfJson(json: unknown): boolean {
  return isRecord(json) && ["resource", "data", "terraform", "provider"].some((key) => key in json);
}

/**
 * The review model of a cdk.tf.json (`json` already parsed; `text` for line numbers).
 * Throws a MoatError (exit 2) naming the file when a block has the wrong shape.
 */
export function loadCdktfJson(json: unknown, file: string, stack: string, text = ""): ReviewModel {
  if (!isRecord(json)) throw shapeError(file, "the top level is not an object");
  const lines = new LineIndex(text);
  const declared: { mode: "managed" | "data"; type: string; name: string; body: Record<string, unknown> }[] = [];
  for (const [mode, key] of [
    ["managed", "resource"],
    ["data", "data"],
  ] as const) {
    const section = (json as Record<string, unknown>)[key];
    if (section === undefined) continue;
    if (!isPlainObject(section)) throw shapeError(file, `"${key}" is not an object of resource types`);
    for (const [type, byName] of Object.entries(section)) {
      if (!isPlainObject(byName)) throw shapeError(file, `"${key}.${type}" is not an object of named ${type} blocks`);
      for (const [name, body] of Object.entries(byName)) {
        if (!isPlainObject(body)) throw shapeError(file, `"${key}.${type}.${name}" is not an object of attributes`);
        declared.push({ mode, type, name, body });
      }
    }
  }
  const addresses = new Set(declared.map((d) => address(d.mode, d.type, d.name)));
  const resolve = (traversal: readonly string[], text: string): Value => {
    const [root, ...rest] = traversal;
    if (NON_RESOURCE_ROOTS.has(root)) return new Unknown(text);
    const isData = root === "data";
    const [type, name, ...attribute] = isData ? rest : traversal;
    const target = address(isData ? "data" : "managed", type, name ?? "");
    return addresses.has(target) ? new Ref(target, attribute.join(".").replace(/\.\[/g, "[")) : new Unknown(text);
  };

  // Declarations come in file order, so each type's search resumes where its last name was found.
  const cursors = new Map<string, number>();
  const resources = declared.map(({ mode, type, name, body }): Resource => {
    const attributes: Record<string, Value> = {};
    for (const [key, raw] of Object.entries(body)) {
      if (key !== "//") attributes[key] = evaluate(raw, resolve);
    }
    const cursorKey = `${mode} ${type}`;
    if (!cursors.has(cursorKey)) {
      const section = lines.find(mode === "data" ? ['"data": {', '"data":{'] : ['"resource": {', '"resource":{']);
      cursors.set(cursorKey, lines.find([`"${type}": {`, `"${type}":{`], section?.offset ?? 0)?.offset ?? 0);
    }
    const at = lines.find([`"${name}": {`, `"${name}":{`], cursors.get(cursorKey));
    if (at) cursors.set(cursorKey, at.offset + 1);
    const metadata = (body["//"] as { metadata?: { path?: unknown } } | undefined)?.metadata;
    return {
      type,
      mode,
      address: address(mode, type, name),
      attributes,
      references: referencesIn(attributes),
      location: { file, line: at?.line, constructPath: typeof metadata?.path === "string" ? metadata.path : undefined },
    };
  });

  const loose: LooseValue[] = [];
  for (const section of ["output", "locals", "variable", "provider"]) {
    const block = (json as Record<string, unknown>)[section];
    if (!isPlainObject(block)) continue;
    for (const [name, raw] of Object.entries(block)) {
      const at = lines.find([`"${section}": {`, `"${section}":{`]);
      loose.push({ address: `${section}.${name}`, value: evaluate(raw, resolve), location: { file, line: at?.line } });
    }
  }
  return new ReviewModel(stack, file, "cdktf", resources, loose);
}

function address(mode: "managed" | "data", type: string, name: string): string {
  return mode === "data" ? `data.${type}.${name}` : `${type}.${name}`;
}

function evaluate(raw: unknown, resolve: Parameters<typeof evaluateString>[1]): Value {
  if (typeof raw === "string") return evaluateString(raw, resolve);
  if (Array.isArray(raw)) return raw.map((item) => evaluate(item, resolve));
  if (isPlainObject(raw)) {
    const out: Record<string, Value> = {};
    for (const [key, value] of Object.entries(raw)) if (key !== "//") out[key] = evaluate(value, resolve);
    return out;
  }
  return raw as Value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shapeError(file: string, problem: string): MoatError {
  return new MoatError(`${file}: ${problem}; expected Terraform JSON as cdktf synth writes it (cdktf.out/stacks/<stack>/cdk.tf.json)`, 2);
}
