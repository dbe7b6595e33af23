import { MoatError } from "../errors";
import { setEntry } from "./value";

/**
 * Terraform JSON in one canonical shape. The JSON syntax lets every block level be an object or
 * an array of objects (`"resource": [{"aws_vpc": {...}}]`, `"aws_vpc": [{"a": {...}}, {"b": {...}}]`,
 * `"main": [{...}]`), and lets a configuration span several files of a directory, with
 * `*_override.tf.json` files merged in last. Terraform applies all of them, so the review reads
 * all of them: the rules then see one object per block, by labels.
 */

type Raw = Record<string, unknown>;

/** Block types and how many labels each has; the review evaluates these. */
const LABELS = { resource: 2, data: 2, output: 1, variable: 1, module: 1 } as const;
type Labelled = keyof typeof LABELS;

export interface TerraformDocument {
  readonly resource: Record<string, Record<string, Raw>>;
  readonly data: Record<string, Record<string, Raw>>;
  readonly output: Record<string, Raw>;
  readonly variable: Record<string, Raw>;
  readonly module: Record<string, Raw>;
  /** Every `locals` block's entries, by name. */
  readonly locals: Record<string, unknown>;
  /** Provider configurations by local name: each a list (one per alias). */
  readonly provider: Record<string, unknown[]>;
  /** The `terraform` blocks' bodies. */
  readonly terraform: readonly Raw[];
  /** Top-level keys Terraform reads that the review does not evaluate (`import`, `moved`, `check`...), with their content. */
  readonly others: Record<string, unknown>;
  /** The file each resource and data source came from, when it is not the main file ("resource aws_vpc main"). */
  readonly sources: Map<string, string>;
}

export function isPlainObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects of a block level: an object is one, an array of objects is several (JSON syntax). */
function objectsOf(value: unknown, where: string, file: string, what: string): Raw[] {
  if (isPlainObject(value)) return [value];
  if (Array.isArray(value) && value.every(isPlainObject)) return value;
  throw shapeError(file, `"${where}" is not ${what}`);
}

/**
 * Reads one labelled section into `into` (label path -> body); a block defined twice is refused,
 * as Terraform refuses it.
 */
function readLabelled(value: unknown, labels: number, where: string, file: string, into: Raw, what: string): void {
  for (const object of objectsOf(value, where, file, what)) {
    for (const key in object) {
      const path = `${where}.${key}`;
      if (labels === 1) {
        const bodies = objectsOf(object[key], path, file, "an object of attributes");
        if (bodies.length !== 1 || Object.prototype.hasOwnProperty.call(into, key)) throw duplicate(file, path);
        setEntry(into, key, bodies[0]);
      } else {
        if (!Object.prototype.hasOwnProperty.call(into, key)) setEntry(into, key, {});
        readLabelled(object[key], labels - 1, path, file, into[key] as Raw, `an object of named ${key} blocks`);
      }
    }
  }
}

function emptyDocument(): TerraformDocument {
  return {
    resource: {},
    data: {},
    output: {},
    variable: {},
    module: {},
    locals: {},
    provider: {},
    terraform: [],
    others: {},
    sources: new Map(),
  };
}

/** True when a two-label section is already object -> object -> object, so it needs no copy. */
function canonicalTwoLabels(section: unknown): boolean {
  if (!isPlainObject(section)) return false;
  for (const type in section) {
    const byName = section[type];
    if (!isPlainObject(byName)) return false;
    for (const name in byName) if (!isPlainObject(byName[name])) return false;
  }
  return true;
}

/** One file of Terraform JSON in canonical shape; throws a MoatError (exit 2) naming the file on a wrong shape. */
export function readDocument(json: Raw, file: string): TerraformDocument {
  const doc = emptyDocument();
  mergeInto(doc, json, file, true);
  return doc;
}

/** Adds a primary file's blocks to `doc`; a block defined in two files is refused, as Terraform refuses it. */
export function mergeInto(doc: TerraformDocument, json: Raw, file: string, main = false): void {
  for (const key in json) {
    const value = json[key];
    if (key in LABELS) {
      const section = doc[key as Labelled] as Raw;
      const labels = LABELS[key as Labelled];
      // The common case, one cdktf file: its sections are used as parsed, not copied.
      // setEntry, not Object.assign: a "__proto__" type would otherwise become the section's prototype.
      if (main && labels === 2 && canonicalTwoLabels(value)) for (const type in value as Raw) setEntry(section, type, (value as Raw)[type]);
      else
        readLabelled(value, labels, key, file, section, labels === 2 ? "an object of resource types" : `an object of named ${key} blocks`);
      if (!main && labels === 2) noteSources(doc, key, value, file);
    } else if (key === "locals") {
      for (const object of objectsOf(value, key, file, "an object of local values")) {
        for (const name in object) {
          if (Object.prototype.hasOwnProperty.call(doc.locals, name)) throw duplicate(file, `locals.${name}`);
          setEntry(doc.locals, name, object[name]);
        }
      }
    } else if (key === "provider") {
      for (const object of objectsOf(value, key, file, "an object of provider configurations")) {
        for (const name in object) {
          const list = doc.provider[name] ?? [];
          list.push(...(Array.isArray(object[name]) ? (object[name] as unknown[]) : [object[name]]));
          setEntry(doc.provider, name, list);
        }
      }
    } else if (key === "terraform") {
      (doc.terraform as Raw[]).push(...objectsOf(value, key, file, "an object"));
    } else if (key !== "//") {
      setEntry(doc.others, key, value);
    }
  }
}

function noteSources(doc: TerraformDocument, key: string, value: unknown, file: string): void {
  const single: Raw = {};
  readLabelled(value, 2, key, file, single, "an object of resource types");
  for (const type in single) for (const name in single[type] as Raw) doc.sources.set(`${key} ${type} ${name}`, file);
}

/**
 * Applies an override file the way Terraform does: each argument or nested block type the
 * override sets replaces the base's; a block with no base is refused (Terraform refuses it too).
 * Returns the parts the review cannot merge (provider and terraform overrides, other keys).
 */
export function applyOverride(doc: TerraformDocument, json: Raw, file: string): string[] {
  const unmerged: string[] = [];
  const override = readDocument(json, file);
  for (const key of ["resource", "data"] as const) {
    for (const type in override[key]) {
      for (const name in override[key][type]) {
        const base = doc[key][type]?.[name];
        if (base === undefined)
          throw new MoatError(
            `${file}: overrides ${key}.${type}.${name}, which no other file of the stack defines; Terraform refuses such an override, remove it`,
            2,
          );
        setEntry(doc[key][type], name, shallowMerge(base, override[key][type][name]));
        doc.sources.set(`${key} ${type} ${name}`, file);
      }
    }
  }
  for (const key of ["output", "variable", "module"] as const) {
    for (const name in override[key]) {
      const base = doc[key][name];
      if (base === undefined)
        throw new MoatError(
          `${file}: overrides ${key}.${name}, which no other file of the stack defines; Terraform refuses such an override, remove it`,
          2,
        );
      setEntry(doc[key], name, shallowMerge(base, override[key][name]));
    }
  }
  for (const name in override.locals) setEntry(doc.locals, name, override.locals[name]);
  if (Object.keys(override.provider).length > 0) unmerged.push("provider");
  if (override.terraform.length > 0) unmerged.push("terraform");
  unmerged.push(...Object.keys(override.others));
  return unmerged;
}

function shallowMerge(base: Raw, override: Raw): Raw {
  const out: Raw = {};
  for (const key in base) setEntry(out, key, base[key]);
  for (const key in override) setEntry(out, key, override[key]);
  return out;
}

function duplicate(file: string, path: string): MoatError {
  return new MoatError(`${file}: ${path} is defined twice; Terraform refuses a duplicate block, remove one`, 2);
}

export function shapeError(file: string, problem: string): MoatError {
  return new MoatError(`${file}: ${problem}; expected Terraform JSON as cdktf synth writes it (cdktf.out/stacks/<stack>/cdk.tf.json)`, 2);
}
