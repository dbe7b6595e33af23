import { MoatError } from "../errors";
import { evaluateString } from "./expression";
import { LineIndex } from "./line-index";
import { LooseValue, PEM_MARKER, Resource, ReviewModel, SourceLocation } from "./model";
import { isRecord, referencesIn, Ref, setEntry, Unknown, Value } from "./value";

const SECTIONS = [
  ["managed", "resource"],
  ["data", "data"],
] as const;

/** Traversal roots that name no resource: their values are unknown until plan or apply. */
const NON_RESOURCE_ROOTS = new Set(["var", "local", "each", "count", "path", "terraform", "self", "module"]);

/** True when a parsed JSON document looks like Terraform JSON as cdktf writes it. */
export function isCdktfJson(json: unknown): boolean {
  return isRecord(json) && ["resource", "data", "terraform", "provider"].some((key) => key in json);
}

/**
 * The review model of a cdk.tf.json (`json` already parsed; `text` for line numbers).
 * Throws a MoatError (exit 2) naming the file when a block has the wrong shape.
 *
 * Resources are indexed, not evaluated: a resource's Terraform strings are evaluated the first
 * time a rule reads its attributes, so a rule pack that reads a few types of a large stack does
 * not pay for the rest, and the parsed tree is not copied into a second one up front.
 */
export function loadCdktfJson(json: unknown, file: string, stack: string, text = ""): ReviewModel {
  if (!isRecord(json)) throw shapeError(file, "the top level is not an object");
  const evaluator = new StackEvaluator();
  // for-in, not Object.entries: a 10,000-resource stack should not be copied to be walked.
  const resources: CdktfResource[] = [];
  for (const [mode, key] of SECTIONS) {
    const section = (json as Record<string, unknown>)[key];
    if (section === undefined) continue;
    if (!isPlainObject(section)) throw shapeError(file, `"${key}" is not an object of resource types`);
    for (const type in section) {
      const byName = section[type];
      if (!isPlainObject(byName)) throw shapeError(file, `"${key}.${type}" is not an object of named ${type} blocks`);
      const named = new Map<string, CdktfResource>();
      evaluator.index[mode].set(type, named);
      for (const name in byName) {
        const body = byName[name];
        if (!isPlainObject(body)) throw shapeError(file, `"${key}.${type}.${name}" is not an object of attributes`);
        const resource = new CdktfResource(type, mode, name, body, evaluator, file);
        resources.push(resource);
        named.set(name, resource);
      }
    }
  }
  // Filled once the model exists: loose values may refer to its resources.
  const loose: LooseValue[] = [];
  const model = new ReviewModel(stack, file, "cdktf", resources, loose, cdktfLines(text, resources), (address) => evaluator.find(address));
  for (const section of ["output", "locals", "variable", "provider"]) {
    const block = (json as Record<string, unknown>)[section];
    if (!isPlainObject(block)) continue;
    for (const [name, raw] of Object.entries(block)) {
      const pass: Pass = { evaluateText: evaluator.evaluateText, holdsPem: false };
      loose.push({ address: `${section}.${name}`, value: evaluate(raw, pass), location: { file }, holdsPem: pass.holdsPem });
    }
  }
  return model;
}

/**
 * Evaluates the Terraform strings of one stack. A stack repeats the same strings
 * (`${aws_vpc.main.id}` on every subnet): each is evaluated once. Values are never changed
 * after loading, so sharing them is safe.
 */
class StackEvaluator {
  /**
   * Resources by mode, type and name: JSON keys, which the parser has already hashed, so the
   * index costs no address strings (a resource makes its address when first asked).
   */
  readonly index = { managed: new Map<string, Map<string, CdktfResource>>(), data: new Map<string, Map<string, CdktfResource>>() };
  private readonly evaluated = new Map<string, Value>();

  /** The resource at a `type.name` or `data.type.name` address, if the file has it. */
  find(address: string): CdktfResource | undefined {
    const data = address.startsWith("data.");
    const start = data ? 5 : 0;
    const dot = address.indexOf(".", start);
    return dot === -1 ? undefined : this.lookup(data ? "data" : "managed", address.slice(start, dot), address.slice(dot + 1));
  }

  private lookup(mode: "managed" | "data", type: string, name: string): CdktfResource | undefined {
    return this.index[mode].get(type)?.get(name);
  }

  private readonly resolve = (traversal: readonly string[], text: string): Value => {
    const root = traversal[0];
    if (NON_RESOURCE_ROOTS.has(root)) return new Unknown(text);
    const isData = root === "data";
    const skip = isData ? 3 : 2;
    const target = isData ? this.lookup("data", traversal[1], traversal[2]) : this.lookup("managed", root, traversal[1]);
    if (target === undefined) return new Unknown(text);
    if (traversal.length === skip + 1) return new Ref(target.address, traversal[skip]);
    return new Ref(target.address, traversal.length <= skip ? "" : traversal.slice(skip).join(".").replace(/\.\[/g, "["));
  };

  readonly evaluateText = (text: string): Value => {
    let value = this.evaluated.get(text);
    if (value === undefined) {
      value = evaluateString(text, this.resolve);
      this.evaluated.set(text, value);
    }
    return value;
  };

  /** A resource body's attributes (every key but `//`, evaluated); `pass` notes PEM text on the way. */
  attributes(body: Record<string, unknown>, pass: Pass): Record<string, Value> {
    const attributes: Record<string, Value> = {};
    for (const key in body) {
      if (key !== "//") setEntry(attributes, key, evaluate(body[key], pass));
    }
    return attributes;
  }
}

/** A resource of a cdk.tf.json: what the file says about it, evaluated when first read. */
class CdktfResource implements Resource {
  private named?: string;
  private evaluated?: Record<string, Value>;
  private pem = false;
  private referenced?: ReadonlySet<string>;
  private located?: SourceLocation;

  constructor(
    readonly type: string,
    readonly mode: "managed" | "data",
    /** The block's name in the file, for line lookups. */
    readonly name: string,
    private readonly body: Record<string, unknown>,
    private readonly evaluator: StackEvaluator,
    private readonly file: string,
  ) {}

  get address(): string {
    return (this.named ??= this.mode === "data" ? `data.${this.type}.${this.name}` : `${this.type}.${this.name}`);
  }

  get attributes(): Record<string, Value> {
    return this.evaluated ?? this.evaluate();
  }

  get references(): ReadonlySet<string> {
    return (this.referenced ??= referencesIn(this.attributes));
  }

  /**
   * Noticed on the pass that evaluates the attributes, or, for a resource no rule has read,
   * by scanning the file's own strings: evaluation never makes PEM text out of other text, and
   * a resource that only this question touches is not evaluated for it.
   */
  get holdsPem(): boolean {
    return this.evaluated === undefined ? (this.pem ||= rawHoldsPem(this.body)) : this.pem;
  }

  private evaluate(): Record<string, Value> {
    const pass: Pass = { evaluateText: this.evaluator.evaluateText, holdsPem: false };
    this.evaluated = this.evaluator.attributes(this.body, pass);
    this.pem = pass.holdsPem;
    return this.evaluated;
  }

  get location(): SourceLocation {
    if (!this.located) {
      const metadata = (this.body["//"] as { metadata?: { path?: unknown } } | undefined)?.metadata;
      this.located = { file: this.file, constructPath: typeof metadata?.path === "string" ? metadata.path : undefined };
    }
    return this.located;
  }
}

/**
 * Line lookup for a cdk.tf.json: a type's names are located in one forward scan the first time
 * any of them is asked for (names come in file order), loose values by their section key.
 */
function cdktfLines(text: string, declared: readonly { mode: "managed" | "data"; type: string; name: string }[]): (address: string) => number | undefined {
  let lines: LineIndex | undefined;
  const byType = new Map<string, Map<string, number>>();
  return (wanted) => {
    lines ??= new LineIndex(text);
    const index = lines;
    const [head, ...rest] = wanted.split(".");
    if (["output", "locals", "variable", "provider"].includes(head)) return index.find([`"${head}": {`, `"${head}":{`])?.line;
    const mode = head === "data" ? "data" : "managed";
    const type = mode === "data" ? rest[0] : head;
    const key = `${mode} ${type}`;
    if (!byType.has(key)) {
      const found = new Map<string, number>();
      const section = index.find(mode === "data" ? ['"data": {', '"data":{'] : ['"resource": {', '"resource":{']);
      let cursor = index.find([`"${type}": {`, `"${type}":{`], section?.offset ?? 0)?.offset ?? 0;
      for (const d of declared) {
        if (d.mode !== mode || d.type !== type) continue;
        const at = index.find([`"${d.name}": {`, `"${d.name}":{`], cursor);
        if (!at) continue;
        found.set(d.name, at.line);
        cursor = at.offset + 1;
      }
      byType.set(key, found);
    }
    return byType.get(key)?.get(mode === "data" ? rest[1] : rest[0]);
  };
}

/** One evaluation pass over a value: how to evaluate a template, and what was noticed on the way. */
interface Pass {
  readonly evaluateText: (text: string) => Value;
  holdsPem: boolean;
}

/**
 * A JSON value with its Terraform strings evaluated. Copy-on-write: a value without any
 * `${`/`%{` is returned as parsed, so a large stack is not copied to be read.
 */
function evaluate(raw: unknown, pass: Pass): Value {
  if (typeof raw === "string") {
    if (holdsPemText(raw)) pass.holdsPem = true;
    return raw.indexOf("${") === -1 && raw.indexOf("%{") === -1 ? raw : pass.evaluateText(raw);
  }
  if (typeof raw !== "object" || raw === null) return raw as Value;
  if (Array.isArray(raw)) {
    let out: Value[] | undefined;
    for (let i = 0; i < raw.length; i++) {
      const value = evaluate(raw[i], pass);
      if (value !== raw[i] && !out) out = raw.slice(0, i);
      if (out) out.push(value);
    }
    return out ?? (raw as Value[]);
  }
  let out: Record<string, Value> | undefined;
  const source = raw as Record<string, unknown>;
  for (const key in source) {
    if (key === "//") {
      out ??= copyBefore(source, key);
      continue;
    }
    const value = evaluate(source[key], pass);
    if (value !== source[key] && !out) out = copyBefore(source, key);
    if (out) setEntry(out, key, value);
  }
  return out ?? (source as Record<string, Value>);
}

/** A string long enough for a PEM block that holds the marker every block starts with. */
function holdsPemText(text: string): boolean {
  return text.length > 40 && text.indexOf(PEM_MARKER) !== -1;
}

/** A string of a parsed JSON value (cdktf's `//` metadata aside) holds PEM text. */
function rawHoldsPem(raw: unknown): boolean {
  if (typeof raw === "string") return holdsPemText(raw);
  if (typeof raw !== "object" || raw === null) return false;
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i++) if (rawHoldsPem(raw[i])) return true;
    return false;
  }
  const source = raw as Record<string, unknown>;
  for (const key in source) if (key !== "//" && rawHoldsPem(source[key])) return true;
  return false;
}

/** The entries of `source` that come before `stop`, as a new object. */
function copyBefore(source: Record<string, unknown>, stop: string): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const key in source) {
    if (key === stop) break;
    if (key !== "//") setEntry(out, key, source[key]);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shapeError(file: string, problem: string): MoatError {
  return new MoatError(`${file}: ${problem}; expected Terraform JSON as cdktf synth writes it (cdktf.out/stacks/<stack>/cdk.tf.json)`, 2);
}
