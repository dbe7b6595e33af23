import { MoatError } from "../errors";
import { LineIndex } from "./line-index";
import { LooseValue, PEM_MARKER, Resource, ReviewModel } from "./model";
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
 * after apply. `after_unknown` leaves become `Unknown`, and when the plan's `configuration`
 * says which resource such a value comes from, a {@link Ref} to it, as in a cdk.tf.json.
 */
export function loadPlanJson(json: unknown, file: string, stack: string, text = ""): ReviewModel {
  if (!isRecord(json)) throw shapeError(file, "the top level is not an object");
  const plan = json as Record<string, unknown>;
  const version = plan.format_version;
  if (typeof version !== "string" || !version.startsWith("1.")) {
    throw shapeError(file, `format_version ${JSON.stringify(version)} is not supported (moat reads plan format 1.x)`);
  }
  const expressions = configurationExpressions(plan.configuration);
  const after = new Map<string, { type: string; mode: "managed" | "data"; values: unknown; unknown: unknown }>();

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
    after.set(change.address, { type: change.type, mode: change.mode === "data" ? "data" : "managed", values: body.after, unknown: body.after_unknown });
  }
  const addresses = new Set(after.keys());
  const planned = new Map([...after.entries()].map(([address, r]) => [address, isRecord(r.values) ? (r.values as Record<string, unknown>) : {}]));
  const shared = { addresses, planned, identities: identities(after) };

  const resources = [...after.entries()].map(([address, r]): Resource => {
    const configAddress = address.replace(/\[[^\]]*\]$/, "");
    const pass = { holdsPem: false };
    const attributes = merge(r.values, r.unknown, expressions.get(configAddress), { ...shared, pass }, undefined) as Record<string, Value>;
    return {
      type: r.type,
      mode: r.mode,
      address,
      attributes: isRecord(attributes) ? attributes : {},
      references: referencesIn(attributes),
      holdsPem: pass.holdsPem,
      location: { file },
    };
  });

  const loose: LooseValue[] = [];
  const outputs = (plan.planned_values as { outputs?: unknown } | undefined)?.outputs;
  if (isRecord(outputs)) {
    for (const [name, output] of Object.entries(outputs)) {
      const value = (output as { value?: Value }).value ?? null;
      loose.push({ address: `output.${name}`, value, location: { file }, holdsPem: JSON.stringify(value).includes(PEM_MARKER) });
    }
  }
  let lines: LineIndex | undefined;
  const lineOf = (address: string) => {
    lines ??= new LineIndex(text);
    return lines.find([`"address":"${address}"`, `"address": "${address}"`])?.line;
  };
  return new ReviewModel(stack, file, "plan", resources, loose, lineOf);
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
        if (!isRecord(r) || typeof r.address !== "string" || typeof r.type !== "string") throw shapeError(file, "a planned_values resource has no address or type");
        out.push(r as unknown as ResourceJson);
      }
    }
    const children = (module as { child_modules?: unknown }).child_modules;
    if (Array.isArray(children)) children.forEach(visit);
  };
  visit((plannedValues as { root_module?: unknown }).root_module);
  return out;
}

/** `configuration.root_module.resources[].expressions`, by resource address. */
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

/** A planned value with its `after_unknown` marks applied, walking the configuration expressions alongside. */
function merge(value: unknown, unknown: unknown, expression: unknown, context: MergeContext, key: string | undefined): Value {
  if (unknown === true) return unknownValue(expression, context.addresses);
  if (typeof value === "string") {
    if (value.indexOf(PEM_MARKER) !== -1) context.pass.holdsPem = true;
    return literalReference(value, expression, context, key) ?? value;
  }
  if (Array.isArray(value) || Array.isArray(unknown)) {
    const items = Array.isArray(value) ? value : [];
    const marks = Array.isArray(unknown) ? unknown : [];
    const length = Math.max(items.length, marks.length);
    // Blocks have one expression object per element; a list attribute has one expression for the whole list.
    return Array.from({ length }, (_, i) => merge(items[i], marks[i], Array.isArray(expression) ? expression[i] : expression, context, key));
  }
  if (isRecord(value) || isRecord(unknown)) {
    const out: Record<string, Value> = {};
    const keys = new Set([...Object.keys(isRecord(value) ? value : {}), ...Object.keys(isRecord(unknown) ? unknown : {})]);
    for (const child of keys) {
      // Tags are free text: a tag value that happens to equal an id is still text.
      const merged = merge(
        ownEntry(value, child),
        ownEntry(unknown, child),
        ownEntry(expression, child),
        context,
        key === "tags" || key === "tags_all" ? key : child,
      );
      if (merged !== undefined) setEntry(out, child, merged);
    }
    return out;
  }
  return value as Value;
}

/**
 * A known value as the {@link Ref} a cdk.tf.json would hold. A plan of an applied stack writes
 * every id as a literal (`vpc-0abc`); rules match resources by reference, so the literal is
 * turned back into one: the attribute the configuration references when that resource's planned
 * value is this literal, else (for id and ARN attributes) the one resource whose planned `id` or
 * `arn` it is. Undefined when it names no resource of the plan.
 */
function literalReference(value: string, expression: unknown, context: MergeContext, key: string | undefined): Ref | undefined {
  const references = isRecord(expression) && Array.isArray(expression.references) ? (expression.references as unknown[]).filter((r): r is string => typeof r === "string") : [];
  const matches = new Map<string, Ref>();
  for (const reference of references) {
    const target = resourceOf(reference, context.addresses);
    if (!target || !/^[a-z0-9_]+$/.test(target.attribute)) continue;
    if (context.planned.get(target.address)?.[target.attribute] === value) matches.set(reference, new Ref(target.address, target.attribute));
  }
  if (matches.size === 1) return [...matches.values()][0];
  if (matches.size > 1 || key === undefined || !ID_ATTRIBUTE.test(key)) return undefined;
  return context.identities.get(value);
}

/**
 * An apply-time value. Terraform lists a traversal's references longest first
 * (`["aws_vpc.main.id", "aws_vpc.main"]`); one resource attribute becomes a {@link Ref}.
 */
function unknownValue(expression: unknown, addresses: ReadonlySet<string>): Value {
  const references = isRecord(expression) && Array.isArray(expression.references) ? (expression.references as unknown[]).filter((r): r is string => typeof r === "string") : [];
  const targets = [...new Set(references.map((r) => resourceOf(r, addresses)).filter((r): r is { address: string; attribute: string } => r !== undefined))];
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
