import { MoatError } from "../errors";
import { ENVIRONMENT_NAME, environmentStackName } from "../core/names";
import { noteUnevaluated, Unevaluated } from "./closed-world";
import { evaluateString } from "./expression";
import { LineIndex } from "./line-index";
import { LooseValue, PEM_MARKER, Resource, ReviewModel, SourceLocation } from "./model";
import { isRecord, ownEntry, referencesIn, Ref, setEntry, Unknown, Value } from "./value";

/** True when a parsed JSON document looks like `terraform show -json <planfile>`. */
export function isPlanJson(json: unknown): boolean {
  return isRecord(json) && "format_version" in json && ("resource_changes" in json || "planned_values" in json);
}

interface ResourceJson {
  readonly address: string;
  readonly mode?: string;
  readonly type: string;
  readonly values?: unknown;
}

/**
 * The review model of a plan JSON (`terraform show -json`): the state each resource will have
 * after apply, read the way Terraform means it:
 * - `null` is "not set": the attribute is left out, as a cdk.tf.json leaves it out;
 * - a value left to apply time (`after_unknown`) is taken from the resource's `configuration`
 *   expression: a `.tf.json` configuration's `constant_value` is the template itself, evaluated
 *   like a cdk.tf.json string (so a list with one unknown element keeps its other elements);
 *   with only `references`, one resource attribute becomes a {@link Ref}, anything else an
 *   `Unknown`; an attribute the configuration does not set is the provider's to fill (an id, a
 *   security group's `ingress` when rules are separate resources) and is left out;
 * - data sources read at plan time (`prior_state`) are known values.
 * A resource the plan has no configuration for keeps every apply-time value as `Unknown`.
 */
export function loadPlanJson(json: unknown, file: string, stack: string, text = "", paired?: ReviewModel): ReviewModel {
  if (!isRecord(json)) throw shapeError(file, "the top level is not an object");
  const plan = json as Record<string, unknown>;
  const version = plan.format_version;
  if (typeof version !== "string" || !version.startsWith("1.")) {
    throw shapeError(file, `format_version ${JSON.stringify(version)} is not supported (moat reads plan format 1.x)`);
  }
  const expressions = configurationExpressions(plan.configuration);
  const after = new Map<string, { type: string; mode: "managed" | "data"; values: unknown; unknown: unknown }>();
  for (const r of priorDataSources(plan.prior_state)) {
    after.set(r.address, { type: r.type, mode: "data", values: r.values, unknown: undefined });
  }

  for (const r of plannedResources(plan.planned_values, file)) {
    after.set(r.address, { type: r.type, mode: r.mode === "data" ? "data" : "managed", values: r.values, unknown: undefined });
  }
  const changes = plan.resource_changes ?? [];
  if (!Array.isArray(changes)) throw shapeError(file, '"resource_changes" is not a list');
  for (const change of changes) {
    if (!isRecord(change) || typeof change.address !== "string" || typeof change.type !== "string" || !isRecord(change.change)) {
      throw shapeError(file, "a resource_changes entry has no address, type or change");
    }
    const body = change.change as Record<string, unknown>;
    if (body.after === null || body.after === undefined) {
      after.delete(change.address);
      continue;
    }
    after.set(change.address, {
      type: change.type,
      mode: change.mode === "data" ? "data" : "managed",
      values: body.after,
      unknown: body.after_unknown,
    });
  }
  const addresses = new Set(after.keys());
  const planned = new Map<string, Record<string, unknown>>();
  for (const [address, r] of after) planned.set(address, isRecord(r.values) ? (r.values as Record<string, unknown>) : {});
  const variables = isRecord(plan.variables) ? (plan.variables as Record<string, unknown>) : {};
  const shared = { addresses, planned, identities: identities(after), resolve: planResolver(addresses, planned, after, variables) };

  // Resources are indexed here and merged when a rule first reads one: a pack that reads a few types of a large plan does not pay for the rest.
  const locateSource = (configAddress: string): SourceLocation => {
    // Paired with its synthesized stack, a finding points at the source.
    const source = paired?.get(configAddress) ? paired.locate(configAddress) : undefined;
    return source?.line !== undefined ? source : { file };
  };
  const resources: PlanResource[] = [];
  for (const [address, r] of after) {
    // An instance's configuration is its resource's (`aws_x.y[0]` is configured as `aws_x.y`).
    const configAddress = address.charCodeAt(address.length - 1) === 93 /* ] */ ? address.replace(/\[[^\]]*\]$/, "") : address;
    resources.push(
      new PlanResource(
        r.type,
        r.mode,
        address,
        r.values,
        r.unknown,
        expressions.get(configAddress),
        shared,
        expressions.has(configAddress),
        configAddress,
        locateSource,
      ),
    );
  }
  if (paired && !resources.some((r) => r.mode === "managed" && paired.get(r.address.replace(/\[[^\]]*\]$/, "")))) {
    throw new MoatError(
      `${file}: no resource of this plan is in ${paired.file}; pass with --synth the synthesized stack the plan was made from`,
      2,
    );
  }

  const loose: LooseValue[] = [];
  const outputs = (plan.planned_values as { outputs?: unknown } | undefined)?.outputs;
  if (isRecord(outputs)) {
    for (const [name, output] of Object.entries(outputs)) {
      const value = (output as { value?: Value }).value ?? null;
      loose.push({ address: `output.${name}`, value, location: { file }, holdsPem: JSON.stringify(value).includes(PEM_MARKER) });
    }
  }
  let lines: LineIndex | undefined;
  let offsets: Map<string, number> | undefined;
  // A resource's entry in resource_changes (a data source's in prior_state, which follows), where a
  // reader of the plan looks for it; every address is located in one scan the first time one is asked for.
  let oneLine: boolean | undefined;
  const lineOf = (address: string) => {
    // A plan as Terraform writes it is one line: a resource read from it is on line 1, and the text is not scanned.
    oneLine ??= isOneLine(text);
    if (oneLine) return after.has(address) ? 1 : undefined;
    lines ??= new LineIndex(text);
    offsets ??= addressOffsets(text);
    const offset = offsets.get(address);
    return offset === undefined ? undefined : lines.lineOf(offset);
  };
  const model = new ReviewModel(stack, file, "plan", resources, loose, lineOf);
  noteUnevaluated(model, provisioned(plan.configuration));
  return model;
}

/**
 * Resources whose configuration has provisioners, in the root module and in every module call:
 * `terraform show -json` keeps them only in the configuration section (planned values do not
 * show them), and Terraform runs their commands at apply time, which can create anything.
 */
function provisioned(configuration: unknown): Unevaluated[] {
  const out: Unevaluated[] = [];
  const visit = (module: unknown, prefix: string, depth: number): void => {
    // Module calls nest as deep as the configuration; Terraform itself refuses cycles, a crafted plan is cut off.
    if (!isRecord(module) || depth > 64) return;
    const resources = (module as { resources?: unknown }).resources;
    for (const r of Array.isArray(resources) ? resources : []) {
      if (!isRecord(r) || typeof r.address !== "string") continue;
      const provisioners = r.provisioners;
      if (Array.isArray(provisioners) && provisioners.length > 0) {
        const kinds = [...new Set(provisioners.map((p) => (isRecord(p) && typeof p.type === "string" ? p.type : "provisioner")))];
        out.push({
          address: `${prefix}${r.address}`,
          why: `has a provisioner (${kinds.join(", ")}): Terraform runs its command at apply time, which can create anything`,
        });
      }
    }
    const calls = (module as { module_calls?: unknown }).module_calls;
    if (isRecord(calls)) {
      for (const name of Object.keys(calls)) visit(ownEntry(calls[name], "module"), `${prefix}module.${name}.`, depth + 1);
    }
  };
  visit(ownEntry(configuration, "root_module"), "", 0);
  return out;
}

/**
 * The stack a plan is of, from its configuration: moat's provider tags every resource with
 * `MoatEnvironment`, and the environment's stack is `iot-<env>`. Undefined for other plans.
 */
export function planStackName(json: unknown): string | undefined {
  const config = ownEntry(ownEntry(ownEntry(json, "configuration"), "provider_config"), "aws");
  const defaultTags = ownEntry(ownEntry(config, "expressions"), "default_tags");
  const tags = ownEntry(ownEntry(Array.isArray(defaultTags) ? defaultTags[0] : defaultTags, "tags"), "constant_value");
  const env = ownEntry(tags, "MoatEnvironment");
  return typeof env === "string" && ENVIRONMENT_NAME.test(env) ? environmentStackName(env) : undefined;
}

/** A resource of a plan: its planned values merged with its configuration when first read. */
class PlanResource implements Resource {
  private evaluated?: Record<string, Value>;
  private pem = false;
  private scanned?: boolean;
  private referenced?: ReadonlySet<string>;
  private located?: SourceLocation;

  constructor(
    readonly type: string,
    readonly mode: "managed" | "data",
    readonly address: string,
    private readonly values: unknown,
    private readonly unknown: unknown,
    private readonly expression: unknown,
    /** What merging needs of the whole plan, shared by every resource. */
    private readonly shared: Omit<MergeContext, "pass" | "configured">,
    private readonly configured: boolean,
    /** The address of its configuration (an instance's resource). */
    private readonly configAddress: string,
    private readonly locate: (configAddress: string) => SourceLocation,
  ) {}

  get attributes(): Record<string, Value> {
    if (this.evaluated === undefined) {
      const pass = { holdsPem: false };
      const context: MergeContext = { ...this.shared, configured: this.configured, pass };
      const merged = merge(this.values, this.unknown, this.expression, context, undefined);
      this.evaluated = isRecord(merged) ? (merged as Record<string, Value>) : {};
      this.pem = pass.holdsPem;
    }
    return this.evaluated;
  }

  get references(): ReadonlySet<string> {
    return (this.referenced ??= referencesIn(this.attributes));
  }

  /** Noticed while merging, or, for a resource no rule has read, by scanning its planned values and configuration. */
  get holdsPem(): boolean {
    return this.evaluated === undefined ? (this.scanned ??= rawHoldsPem(this.values) || rawHoldsPem(this.expression)) : this.pem;
  }

  get location(): SourceLocation {
    return (this.located ??= this.locate(this.configAddress));
  }
}

/** Some string inside a parsed JSON value holds the PEM marker. */
function rawHoldsPem(raw: unknown): boolean {
  if (typeof raw === "string") return raw.indexOf(PEM_MARKER) !== -1;
  if (typeof raw !== "object" || raw === null) return false;
  if (Array.isArray(raw)) return raw.some(rawHoldsPem);
  for (const key in raw as Record<string, unknown>) if (rawHoldsPem((raw as Record<string, unknown>)[key])) return true;
  return false;
}

function plannedResources(plannedValues: unknown, file: string): ResourceJson[] {
  if (plannedValues === undefined) return [];
  if (!isRecord(plannedValues)) throw shapeError(file, '"planned_values" is not an object');
  const out: ResourceJson[] = [];
  const visit = (module: unknown): void => {
    if (!isRecord(module)) return;
    const resources = (module as { resources?: unknown }).resources;
    if (Array.isArray(resources)) {
      for (const r of resources) {
        if (!isRecord(r) || typeof r.address !== "string" || typeof r.type !== "string")
          throw shapeError(file, "a planned_values resource has no address or type");
        out.push(r as unknown as ResourceJson);
      }
    }
    const children = (module as { child_modules?: unknown }).child_modules;
    if (Array.isArray(children)) children.forEach(visit);
  };
  visit((plannedValues as { root_module?: unknown }).root_module);
  return out;
}

/** Text with no line break but trailing white space. */
function isOneLine(text: string): boolean {
  const newline = text.indexOf("\n");
  return text.length > 0 && (newline === -1 || text.slice(newline).trim() === "");
}

const ADDRESS_KEY = '"address":';

/** White space as a regular expression's `\s` reads it. */
function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** The offset of each address's first `"address"` entry from `resource_changes` on (anywhere, if that section is missing). */
function addressOffsets(text: string): Map<string, number> {
  const offsets = new Map<string, number>();
  const changes = text.indexOf('"resource_changes"');
  // Each `"address":`, optional white space, then a JSON string (`/"address":\s*"((?:[^"\\]|\\.)*)"/g`), found
  // by jumping from key to key: no match object per entry.
  const scan = (from: number, to: number) => {
    for (let at = text.indexOf(ADDRESS_KEY, from); at !== -1 && at < to;) {
      let open = at + ADDRESS_KEY.length;
      while (isSpace(text.charCodeAt(open))) open += 1;
      let close = open;
      if (text.charCodeAt(open) === 34 /* " */) {
        // A quote preceded by an odd run of backslashes is escaped.
        for (;;) {
          close = text.indexOf('"', close + 1);
          if (close === -1) break;
          let slashes = 0;
          while (text.charCodeAt(close - 1 - slashes) === 92 /* \ */) slashes += 1;
          if (slashes % 2 === 0) break;
        }
      }
      if (close <= open) {
        at = text.indexOf(ADDRESS_KEY, at + 1);
        continue;
      }
      const raw = text.slice(open + 1, close);
      const address = raw.indexOf("\\") === -1 ? raw : (JSON.parse(`"${raw}"`) as string);
      if (!offsets.has(address)) offsets.set(address, at);
      at = text.indexOf(ADDRESS_KEY, close + 1);
    }
  };
  scan(Math.max(changes, 0), text.length);
  // Resources only in planned_values (a plan without resource_changes) come before the section.
  if (changes > 0) scan(0, changes);
  return offsets;
}

/** Data sources Terraform read while planning, with their values (`prior_state`). */
function priorDataSources(priorState: unknown): ResourceJson[] {
  const resources = (priorState as { values?: { root_module?: { resources?: unknown } } } | undefined)?.values?.root_module?.resources;
  if (!Array.isArray(resources)) return [];
  return resources.filter(
    (r): r is ResourceJson => isRecord(r) && r.mode === "data" && typeof r.address === "string" && typeof r.type === "string",
  ) as ResourceJson[];
}

/**
 * `configuration.root_module.resources[].expressions`, by resource address. Module calls' resources
 * are left out: their `var.` references name the module's variables, not the plan's, so their
 * apply-time values stay `Unknown`.
 */
function configurationExpressions(configuration: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  const resources = (configuration as { root_module?: { resources?: unknown } } | undefined)?.root_module?.resources;
  if (Array.isArray(resources)) {
    for (const r of resources) {
      if (isRecord(r) && typeof r.address === "string") map.set(r.address, r.expressions);
    }
  }
  return map;
}

/** What merging a resource's planned values needs to know about the whole plan. */
interface MergeContext {
  readonly addresses: ReadonlySet<string>;
  /** Each resource's planned values, to check a literal against the attribute its configuration names. */
  readonly planned: ReadonlyMap<string, Record<string, unknown>>;
  /** Planned `id` and `arn` values, each naming the one resource that has it. */
  readonly identities: ReadonlyMap<string, Ref>;
  /** Resolves a reference in a configuration template. */
  readonly resolve: (traversal: readonly string[], text: string) => Value;
  /** The plan has this resource's configuration, so an attribute without an expression is one the configuration does not set. */
  readonly configured: boolean;
  readonly pass: { holdsPem: boolean };
}

/**
 * Every planned `id` and `arn` with the resource it belongs to. A value two resources share
 * names neither (an association's id may repeat its group's), so it stays a literal.
 */
function identities(after: ReadonlyMap<string, { values: unknown }>): Map<string, Ref> {
  const found = new Map<string, Ref | null>();
  for (const [address, r] of after) {
    if (!isRecord(r.values)) continue;
    for (const attribute of ["id", "arn"]) {
      const value = (r.values as Record<string, unknown>)[attribute];
      if (typeof value === "string" && value !== "") found.set(value, found.has(value) ? null : new Ref(address, attribute));
    }
  }
  return new Map([...found].filter((e): e is [string, Ref] => e[1] !== null));
}

/**
 * Attributes that hold another resource's id or ARN. Only these are looked up among planned ids
 * when the configuration names no reference: many ids are plain names (an IAM role's, a log
 * group's), which other free-text attributes could repeat by chance.
 */
const ID_ATTRIBUTE = /(_ids?|_arns?)$|^(security_groups|log_destination)$/;

/** A planned value with its `after_unknown` marks applied, walking the configuration expressions alongside. Undefined: not set. */
function merge(value: unknown, unknown: unknown, expression: unknown, context: MergeContext, key: string | undefined): Value | undefined {
  if (unknown === true) return configuredValue(expression, context);
  if (value === null || value === undefined) {
    // Null is "not set"; a block the plan leaves out but marks partly unknown is built from its configuration.
    return marksUnknown(unknown) ? merge(Array.isArray(unknown) ? [] : {}, unknown, expression, context, key) : undefined;
  }
  if (typeof value === "string") {
    if (value.indexOf(PEM_MARKER) !== -1) context.pass.holdsPem = true;
    return literalReference(value, expression, context, key) ?? literalTemplate(value, expression, context) ?? value;
  }
  if (Array.isArray(value) || Array.isArray(unknown)) {
    const items = Array.isArray(value) ? value : [];
    const marks = Array.isArray(unknown) ? unknown : [];
    const length = Math.max(items.length, marks.length);
    // Blocks have one expression object per element; a list attribute has one expression for the whole list.
    const out: Value[] = new Array(length);
    for (let i = 0; i < length; i++)
      out[i] = merge(items[i], marks[i], Array.isArray(expression) ? expression[i] : expression, context, key) ?? null;
    return out;
  }
  const values = isRecord(value) ? value : undefined;
  const marks = isRecord(unknown) ? unknown : undefined;
  if (values !== undefined || marks !== undefined) {
    const out: Record<string, Value> = {};
    // The value's keys, then the marks' keys it lacks: no list or set of keys is built per object.
    if (values !== undefined) for (const child in values) mergeEntry(out, child, values, marks, expression, context, key);
    if (marks !== undefined)
      for (const child in marks)
        if (values === undefined || !Object.prototype.hasOwnProperty.call(values, child))
          mergeEntry(out, child, values, marks, expression, context, key);
    return out;
  }
  return value as Value;
}

function mergeEntry(
  out: Record<string, Value>,
  child: string,
  values: unknown,
  marks: unknown,
  expression: unknown,
  context: MergeContext,
  key: string | undefined,
): void {
  // Tags are free text: a tag value that happens to equal an id is still text.
  const merged = merge(
    ownEntry(values, child),
    ownEntry(marks, child),
    ownEntry(expression, child),
    context,
    key === "tags" || key === "tags_all" ? key : child,
  );
  if (merged !== undefined) setEntry(out, child, merged);
}

/** Some value inside is marked unknown (`true`) in an `after_unknown` tree. */
function marksUnknown(unknown: unknown): boolean {
  if (unknown === true) return true;
  if (Array.isArray(unknown)) return unknown.some(marksUnknown);
  if (!isRecord(unknown)) return false;
  for (const k in unknown) if (marksUnknown(unknown[k])) return true;
  return false;
}

/** An expression of one argument (`{constant_value, references}`), as opposed to a nested block's expressions. */
function isArgumentExpression(expression: unknown): expression is { constant_value?: unknown; references?: unknown } {
  return isRecord(expression) && ("constant_value" in expression || "references" in expression);
}

/**
 * A value known only at apply time, from what the configuration writes for it. Undefined when
 * the configuration does not set it: the provider fills it, and the configuration is what the
 * review judges (as it judges a cdk.tf.json, where such an attribute is absent too).
 */
function configuredValue(expression: unknown, context: MergeContext): Value | undefined {
  if (isArgumentExpression(expression)) {
    if ("constant_value" in expression) return evaluateConstant(expression.constant_value, context);
    return unknownValue(expression, context.addresses);
  }
  if (Array.isArray(expression)) {
    return expression.map(
      (block) =>
        merge({}, Object.fromEntries(Object.keys(isRecord(block) ? block : {}).map((k) => [k, true])), block, context, undefined) ?? null,
    );
  }
  if (isRecord(expression))
    return merge({}, Object.fromEntries(Object.keys(expression).map((k) => [k, true])), expression, context, undefined);
  return context.configured ? undefined : new Unknown("known after apply");
}

/** A `.tf.json` configuration's constant value: its strings are Terraform templates, evaluated as in a cdk.tf.json. */
function evaluateConstant(raw: unknown, context: MergeContext): Value {
  if (typeof raw === "string") {
    if (raw.indexOf(PEM_MARKER) !== -1) context.pass.holdsPem = true;
    return raw.indexOf("${") === -1 && raw.indexOf("%{") === -1 ? raw : evaluateString(raw, context.resolve);
  }
  if (Array.isArray(raw)) return raw.map((item) => evaluateConstant(item, context));
  if (isRecord(raw)) {
    const out: Record<string, Value> = {};
    for (const key of Object.keys(raw)) setEntry(out, key, evaluateConstant(raw[key], context));
    return out;
  }
  return raw as Value;
}

/** Traversal roots that name no resource; `var` is known from the plan's `variables`. */
const NON_RESOURCE_ROOTS = new Set(["local", "each", "count", "path", "terraform", "self", "module"]);

/**
 * References in configuration templates: a managed resource's attribute is a {@link Ref} (as in a
 * cdk.tf.json), a data source's known attribute and a variable are their values, anything else
 * is unknown.
 */
function planResolver(
  addresses: ReadonlySet<string>,
  planned: ReadonlyMap<string, Record<string, unknown>>,
  after: ReadonlyMap<string, { mode: "managed" | "data"; unknown: unknown }>,
  variables: Record<string, unknown>,
): (traversal: readonly string[], text: string) => Value {
  const known = (root: unknown, path: readonly string[]): Value | undefined => {
    let value: unknown = root;
    for (const step of path) {
      const index = /^\[(\d+)\]$/.exec(step);
      value = index && Array.isArray(value) ? value[Number(index[1])] : ownEntry(value, step);
    }
    return value === undefined || value === null || typeof value === "object" ? undefined : (value as Value);
  };
  return (traversal, text) => {
    const root = traversal[0];
    if (root === "var") return known(ownEntry(ownEntry(variables, traversal[1]), "value"), traversal.slice(2)) ?? new Unknown(text);
    if (NON_RESOURCE_ROOTS.has(root)) return new Unknown(text);
    const skip = root === "data" ? 3 : 2;
    const address = traversal.slice(0, skip).join(".");
    if (!addresses.has(address)) return new Unknown(text);
    if (after.get(address)?.mode === "data" && after.get(address)?.unknown === undefined) {
      const value = known(planned.get(address), traversal.slice(skip));
      if (value !== undefined) return value;
    }
    return new Ref(address, traversal.length <= skip ? "" : traversal.slice(skip).join(".").replace(/\.\[/g, "["));
  };
}

/**
 * A known value as the {@link Ref} a cdk.tf.json would hold. A plan of an applied stack writes
 * every id as a literal (`vpc-0abc`); rules match resources by reference, so the literal is
 * turned back into one: the attribute the configuration references when that resource's planned
 * value is this literal, else (for id and ARN attributes) the one resource whose planned `id` or
 * `arn` it is. Undefined when it names no resource of the plan.
 */
function literalReference(value: string, expression: unknown, context: MergeContext, key: string | undefined): Ref | undefined {
  const references = isRecord(expression) && Array.isArray(expression.references) ? (expression.references as unknown[]) : undefined;
  if (references === undefined || references.length === 0) {
    return key !== undefined && ID_ATTRIBUTE.test(key) ? context.identities.get(value) : undefined;
  }
  const matches = new Map<string, Ref>();
  for (const reference of references) {
    if (typeof reference !== "string") continue;
    const target = resourceOf(reference, context.addresses);
    if (!target || !/^[a-z0-9_]+$/.test(target.attribute)) continue;
    if (context.planned.get(target.address)?.[target.attribute] === value)
      matches.set(reference, new Ref(target.address, target.attribute));
  }
  if (matches.size === 1) return [...matches.values()][0];
  if (matches.size > 1 || key === undefined || !ID_ATTRIBUTE.test(key)) return undefined;
  return context.identities.get(value);
}

/**
 * A known string as the template the configuration writes for it, when filling the template's
 * references with their planned values gives exactly this string. A plan of an applied stack
 * writes the Connect policy with the endpoint's literal id in `aws:SourceVpce`; as a template it
 * says that id is the endpoint's, as the first plan and the cdk.tf.json say.
 */
function literalTemplate(value: string, expression: unknown, context: MergeContext): Unknown | undefined {
  if (!isArgumentExpression(expression) || typeof expression.constant_value !== "string" || expression.constant_value.indexOf("${") === -1)
    return undefined;
  const template = evaluateConstant(expression.constant_value, context);
  if (!(template instanceof Unknown) || !template.parts) return undefined;
  let rendered = "";
  for (const part of template.parts) {
    const text = typeof part === "string" ? part : part instanceof Ref ? context.planned.get(part.address)?.[part.attribute] : undefined;
    if (typeof text !== "string") return undefined;
    rendered += text;
  }
  return rendered === value ? template : undefined;
}

/**
 * An apply-time value. Terraform lists a traversal's references longest first
 * (`["aws_vpc.main.id", "aws_vpc.main"]`); one resource attribute becomes a {@link Ref}.
 */
function unknownValue(expression: unknown, addresses: ReadonlySet<string>): Value {
  const references =
    isRecord(expression) && Array.isArray(expression.references)
      ? (expression.references as unknown[]).filter((r): r is string => typeof r === "string")
      : [];
  const targets = [
    ...new Set(references.map((r) => resourceOf(r, addresses)).filter((r): r is { address: string; attribute: string } => r !== undefined)),
  ];
  const distinct = new Set(targets.map((t) => t.address));
  if (distinct.size === 1 && references.length <= 2) {
    const best = targets.reduce((a, b) => (b.attribute.length > a.attribute.length ? b : a));
    return new Ref(best.address, best.attribute);
  }
  return new Unknown(references.length ? `known after apply from ${references.join(", ")}` : "known after apply", [...distinct]);
}

function resourceOf(reference: string, addresses: ReadonlySet<string>): { address: string; attribute: string } | undefined {
  const parts = reference.split(".");
  const length = parts[0] === "data" ? 3 : 2;
  const address = parts.slice(0, length).join(".");
  return addresses.has(address) ? { address, attribute: parts.slice(length).join(".") } : undefined;
}

function shapeError(file: string, problem: string): MoatError {
  return new MoatError(`${file}: ${problem}; expected a plan as 'terraform show -json PLANFILE' writes it`, 2);
}
