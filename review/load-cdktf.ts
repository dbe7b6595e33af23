import { noteUnevaluated, Unevaluated, unevaluatedMeta } from "./closed-world";
import { evaluateString } from "./expression";
import { LineIndex } from "./line-index";
import { LooseValue, PEM_MARKER, Resource, ReviewModel, SourceLocation } from "./model";
import { StackDirectory } from "./stack-directory";
import { applyOverride, isPlainObject, mergeInto, readDocument, shapeError, TerraformDocument } from "./terraform-json";
import { isRecord, isLiteral, ownEntry, referencesIn, Ref, setEntry, Unknown, Value } from "./value";

const SECTIONS = [
  ["managed", "resource"],
  ["data", "data"],
] as const;

/** Traversal roots that name no resource: their values are unknown until plan or apply (`var` and `local` are resolved when the files say). */
const NON_RESOURCE_ROOTS = new Set(["each", "count", "path", "terraform", "self", "module"]);

/** True when a parsed JSON document looks like Terraform JSON as cdktf writes it. */
export function isCdktfJson(json: unknown): boolean {
  return isRecord(json) && ["resource", "data", "terraform", "provider"].some((key) => key in json);
}

/**
 * The review model of a cdk.tf.json (`json` already parsed; `text` for line numbers), with the
 * other files Terraform reads from the stack directory (`directory`) merged in as Terraform merges
 * them. Throws a MoatError (exit 2) naming the file when a block has the wrong shape.
 *
 * Resources are indexed, not evaluated: a resource's Terraform strings are evaluated the first
 * time a rule reads its attributes, so a rule pack that reads a few types of a large stack does
 * not pay for the rest, and the parsed tree is not copied into a second one up front.
 */
export function loadCdktfJson(json: unknown, file: string, stack: string, text = "", directory?: StackDirectory): ReviewModel {
  if (!isPlainObject(json)) throw shapeError(file, "the top level is not an object");
  const doc = readDocument(json, file);
  const unevaluated: Unevaluated[] = [];
  for (const extra of directory?.extras ?? []) mergeInto(doc, extra.json, extra.file);
  for (const override of directory?.overrides ?? []) {
    for (const key of applyOverride(doc, override.json, override.file))
      unevaluated.push({ address: `file ${override.file}`, why: `overrides the stack's "${key}" block, which the review does not merge` });
  }
  for (const u of directory?.unreadable ?? []) unevaluated.push({ address: `file ${u.file}`, why: u.why });
  const evaluator = new StackEvaluator(doc, directory?.variableFiles ?? []);
  // for-in, not Object.entries: a 10,000-resource stack should not be copied to be walked.
  const resources: CdktfResource[] = [];
  for (const [mode, key] of SECTIONS) {
    const section = doc[key];
    for (const type in section) {
      const byName = section[type];
      const named = new Map<string, CdktfResource>();
      evaluator.index[mode].set(type, named);
      for (const name in byName) {
        // Only a stack of several files records where a block came from.
        const source = doc.sources.size === 0 ? file : (doc.sources.get(`${key} ${type} ${name}`) ?? file);
        const resource = new CdktfResource(type, mode, name, byName[name], evaluator, source);
        resources.push(resource);
        named.set(name, resource);
      }
    }
  }
  const present = resources.filter((r) => {
    const instances = evaluator.instances(r);
    if (instances === 0) {
      evaluator.index[r.mode].get(r.type)?.delete(r.name);
      return false;
    }
    if (instances === "unknown")
      unevaluated.push({
        address: r.address,
        why: "its count or for_each is known only at apply time: it may exist any number of times, or not at all",
      });
    const meta = unevaluatedMeta(r.body);
    if (meta) unevaluated.push({ address: r.address, why: meta });
    return true;
  });
  // Filled once the model exists: loose values may refer to its resources.
  const loose: LooseValue[] = [];
  const model = new ReviewModel(stack, file, "cdktf", present, loose, cdktfLines(text, present), (address) => evaluator.find(address));
  const sections: [string, Record<string, unknown>][] = [
    ["output", doc.output],
    ["locals", doc.locals],
    ["variable", doc.variable],
    ["provider", doc.provider],
    ["module", doc.module],
    ...Object.entries(doc.others).map(([key, value]): [string, Record<string, unknown>] => [key, { "": value }]),
  ];
  for (const [section, block] of sections) {
    for (const [name, raw] of Object.entries(block)) {
      const address = name === "" ? section : `${section}.${name}`;
      const pass: Pass = { evaluateText: evaluator.evaluateText, holdsPem: false };
      loose.push({ address, value: evaluate(raw, pass), location: { file }, holdsPem: pass.holdsPem });
    }
  }
  for (const name in doc.module)
    unevaluated.push({
      address: `module.${name}`,
      why: "a module block: Terraform applies the module's resources, which are not in this file",
    });
  for (const key in doc.others)
    unevaluated.push({
      address: key,
      why: `a top-level "${key}" block: Terraform acts on it (imports, moves, removals, checks) and the review does not evaluate it`,
    });
  for (const entry of providerProblems(doc)) unevaluated.push(entry);
  noteUnevaluated(model, unevaluated);
  return model;
}

/** Provider settings that send the stack to another provider or endpoint than AWS's own. */
function providerProblems(doc: TerraformDocument): Unevaluated[] {
  const problems: Unevaluated[] = [];
  for (const block of doc.terraform) {
    const required = (block as { required_providers?: unknown }).required_providers;
    for (const providers of Array.isArray(required) ? required : [required]) {
      if (!isPlainObject(providers)) continue;
      for (const [name, spec] of Object.entries(providers)) {
        const source = isPlainObject(spec) ? spec.source : spec;
        const official =
          name === "aws" && (source === "aws" || source === "hashicorp/aws" || source === "registry.terraform.io/hashicorp/aws");
        if (!official)
          problems.push({
            address: `terraform.required_providers.${name}`,
            why: `provider ${name} from ${String(source)}: only hashicorp/aws is understood`,
          });
      }
    }
  }
  for (const [name, configs] of Object.entries(doc.provider)) {
    if (name !== "aws") continue;
    for (const config of configs) {
      if (!isPlainObject(config)) continue;
      const redirect = ["endpoints", "http_proxy", "https_proxy", "insecure", "custom_ca_bundle"].filter(
        (k) => config[k] !== undefined && config[k] !== false,
      );
      if (redirect.length > 0)
        problems.push({
          address: `provider.${name}`,
          why: `sets ${redirect.join(", ")}: the provider's calls may not reach AWS as the review assumes`,
        });
    }
  }
  return problems;
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
  /** Variable values: a variable file's, else the default; absent when neither is set (unknown until apply). */
  private readonly variables = new Map<string, unknown>();
  /** Locals evaluated so far; `undefined` while one is being evaluated, so a cycle is unknown, not endless. */
  private readonly locals = new Map<string, Value | undefined>();

  constructor(
    private readonly doc: TerraformDocument,
    variableFiles: readonly { readonly json: Record<string, unknown> }[],
  ) {
    for (const name in doc.variable) {
      if (Object.prototype.hasOwnProperty.call(doc.variable[name], "default"))
        this.variables.set(name, typed(doc.variable[name].default, doc.variable[name].type));
    }
    // Later files win, as in Terraform; a value for an undeclared variable is ignored there too.
    for (const { json } of variableFiles) {
      for (const name in json)
        if (this.doc.variable[name] !== undefined) this.variables.set(name, typed(json[name], this.doc.variable[name].type));
    }
  }

  /**
   * How many instances `count` or `for_each` make: 0 removes the resource (Terraform creates
   * none), "unknown" when the file does not say, 1 for "one or more".
   */
  instances(resource: CdktfResource): 0 | 1 | "unknown" {
    for (const key of ["count", "for_each"]) {
      const raw = ownEntry(resource.body, key);
      if (raw === undefined) continue;
      const value = evaluate(raw, { evaluateText: this.evaluateText, holdsPem: false });
      if (!isLiteral(value)) return "unknown";
      if (key === "count") {
        const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
        if (Number.isNaN(n)) return "unknown";
        if (n === 0) return 0;
      } else if ((Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0)) return 0;
    }
    return 1;
  }

  private variable(traversal: readonly string[], text: string): Value {
    const name = traversal[1];
    if (name === undefined || !this.variables.has(name)) return new Unknown(text);
    const value = evaluate(this.variables.get(name), { evaluateText: () => new Unknown(text), holdsPem: false });
    return within(value, traversal.slice(2), text);
  }

  private local(traversal: readonly string[], text: string): Value {
    const name = traversal[1];
    if (name === undefined || !Object.prototype.hasOwnProperty.call(this.doc.locals, name)) return new Unknown(text);
    if (!this.locals.has(name)) {
      this.locals.set(name, undefined);
      this.locals.set(name, evaluate(this.doc.locals[name], { evaluateText: this.evaluateText, holdsPem: false }));
    }
    const value = this.locals.get(name);
    return value === undefined ? new Unknown(text) : within(value, traversal.slice(2), text);
  }

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
    if (root === "var") return this.variable(traversal, text);
    if (root === "local") return this.local(traversal, text);
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
    readonly body: Record<string, unknown>,
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
    if (this.referenced === undefined) this.evaluate();
    return this.referenced as ReadonlySet<string>;
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
    // References are gathered on the same pass: the graph and the closed world ask every resource for them.
    const pass: Pass = { evaluateText: this.evaluator.evaluateText, holdsPem: false, references: new Set() };
    this.evaluated = this.evaluator.attributes(this.body, pass);
    this.pem = pass.holdsPem;
    this.referenced = pass.references;
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
function cdktfLines(
  text: string,
  declared: readonly { mode: "managed" | "data"; type: string; name: string }[],
): (address: string) => number | undefined {
  let lines: LineIndex | undefined;
  /** Offsets of each type's names, found in one forward scan per type. */
  const byType = new Map<string, Map<string, number>>();
  /** Lines counted so far, by type and name: a resource with several findings is counted once. */
  const lineOfName = new Map<string, Map<string, number>>();
  // Names of each type in file order, grouped on the first lookup: a type's scan then reads only its own names.
  let namesOf: Map<string, string[]> | undefined;
  return (wanted) => {
    lines ??= new LineIndex(text);
    if (namesOf === undefined) {
      namesOf = new Map();
      // Loaders list a type's resources together: its list is looked up once per run.
      let names: string[] | undefined;
      let last: { mode: string; type: string } | undefined;
      for (const d of declared) {
        if (last === undefined || d.mode !== last.mode || d.type !== last.type) {
          const key = `${d.mode} ${d.type}`;
          names = namesOf.get(key);
          if (!names) namesOf.set(key, (names = []));
          last = d;
        }
        names?.push(d.name);
      }
    }
    const index = lines;
    const [head, ...rest] = wanted.split(".");
    if (["output", "locals", "variable", "provider"].includes(head)) return index.find([`"${head}": {`, `"${head}":{`])?.line;
    const mode = head === "data" ? "data" : "managed";
    const type = mode === "data" ? rest[0] : head;
    const key = `${mode} ${type}`;
    if (!byType.has(key)) {
      const found = new Map<string, number>();
      const section = index.offsetOf(mode === "data" ? ['"data": {', '"data":{'] : ['"resource": {', '"resource":{']);
      let cursor = index.offsetOf([`"${type}": {`, `"${type}":{`], section ?? 0) ?? 0;
      for (const name of namesOf.get(key) ?? []) {
        const at = index.offsetOf([`"${name}": {`, `"${name}":{`], cursor);
        if (at === undefined) continue;
        found.set(name, at);
        cursor = at + 1;
      }
      byType.set(key, found);
    }
    const name = mode === "data" ? rest[1] : rest[0];
    let line = lineOfName.get(key)?.get(name);
    if (line === undefined) {
      const offset = byType.get(key)?.get(name);
      if (offset === undefined) return undefined;
      line = index.lineOf(offset);
      const known = lineOfName.get(key);
      if (known) known.set(name, line);
      else lineOfName.set(key, new Map([[name, line]]));
    }
    return line;
  };
}

/** One evaluation pass over a value: how to evaluate a template, and what was noticed on the way. */
interface Pass {
  readonly evaluateText: (text: string) => Value;
  holdsPem: boolean;
  /** When set, the addresses the evaluated strings refer to, in the order {@link referencesIn} finds them. */
  readonly references?: Set<string>;
}

/**
 * A JSON value with its Terraform strings evaluated. Copy-on-write: a value without any
 * `${`/`%{` is returned as parsed, so a large stack is not copied to be read.
 */
function evaluate(raw: unknown, pass: Pass): Value {
  if (typeof raw === "string") {
    if (holdsPemText(raw)) pass.holdsPem = true;
    if (raw.indexOf("${") === -1 && raw.indexOf("%{") === -1) return raw;
    const value = pass.evaluateText(raw);
    if (pass.references !== undefined && typeof value !== "string") referencesIn(value, pass.references);
    return value;
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

/** A traversal's steps into a known value (`var.x.a`, `local.m["k"]`, `var.l[0]`); unknown past what the file says. */
function within(value: Value, steps: readonly string[], text: string): Value {
  let current: Value = value;
  for (const step of steps) {
    const index = /^\[(\d+)\]$/.exec(step);
    const key = index ? undefined : (/^\["(.*)"\]$/.exec(step)?.[1] ?? step);
    if (index && Array.isArray(current)) current = (current as Value[])[Number(index[1])];
    else if (key !== undefined && isRecord(current)) current = ownEntry(current, key) as Value;
    else return new Unknown(text);
    if (current === undefined) return new Unknown(text);
  }
  return current;
}

/**
 * A variable value converted as Terraform converts it to the declared primitive type
 * (`"true"` for a bool, `"443"` for a number); other values as written.
 */
function typed(value: unknown, type: unknown): unknown {
  const declared = typeof type === "string" ? type.replace(/^\$\{(.*)\}$/, "$1") : undefined;
  if (declared === "bool" && typeof value === "string" && (value === "true" || value === "false")) return value === "true";
  if (declared === "number" && typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return value;
}
