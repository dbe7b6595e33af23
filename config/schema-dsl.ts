/**
 * A small schema language: one declaration gives the validator, the TypeScript type
 * (`Infer<typeof schema>`) and the JSON Schema for editors, so the three cannot drift.
 *
 * Validation collects every problem (with its key path) instead of stopping at the first,
 * because a user fixing a YAML file wants the whole list at once.
 */

import { childPath, Issue } from "../core/issue";

// The issue shape lives in core/ because the address plan (also core/) reports with it.
export { childPath };
export type { Issue };

type JsonSchema = Record<string, unknown>;

export interface Schema<T> {
  /** Checks `value` at `path`; returns the typed value, or undefined after recording issues. */
  readonly parse: (value: unknown, path: string, issues: Issue[]) => T | undefined;
  readonly jsonSchema: () => JsonSchema;
  /** Marker for type inference only. */
  readonly _type?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Renders a value the way the user wrote it, for error messages. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

function describeType(value: unknown): string {
  if (value === null || value === undefined) return "empty";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `${typeof value} ${show(value)}`;
}

interface Described {
  readonly description: string;
}

export interface StringOptions extends Described {
  readonly pattern?: RegExp;
  /** What the pattern means, for the error: `is not ${patternHint}`. */
  readonly patternHint?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Extra check beyond the pattern: returns a problem (`is not a CIDR`) or undefined. */
  readonly check?: (value: string) => string | undefined;
}

export function string(options: StringOptions): Schema<string> {
  return {
    parse(value, path, issues) {
      if (typeof value !== "string") {
        issues.push({ path, message: `must be a string, got ${describeType(value)}` });
        return undefined;
      }
      const problem =
        terraformTemplateProblem(value) ||
        (options.minLength !== undefined && value.length < options.minLength && `is shorter than ${options.minLength} characters`) ||
        (options.maxLength !== undefined && value.length > options.maxLength && `is longer than ${options.maxLength} characters`) ||
        (options.pattern && !options.pattern.test(value) && `is not ${options.patternHint ?? `matching ${options.pattern}`}`) ||
        options.check?.(value);
      if (problem) {
        issues.push({ path, message: `${show(value)} ${problem}` });
        return undefined;
      }
      return value;
    },
    jsonSchema: () => ({
      type: "string",
      description: options.description,
      ...(options.pattern && { pattern: options.pattern.source }),
      ...(options.minLength !== undefined && { minLength: options.minLength }),
      ...(options.maxLength !== undefined && { maxLength: options.maxLength }),
    }),
  };
}

/**
 * Every config string is literal text, but cdktf passes `${...}` and `%{...}` through to
 * Terraform, which would evaluate them (`${file(".pki/dev/ca/issuing.key")}` in a tag would read
 * the CA key into the plan). So they are refused everywhere, not escaped.
 */
function terraformTemplateProblem(value: string): string | undefined {
  const sequence = ["${", "%{"].find((s) => value.includes(s));
  return sequence && `contains "${sequence}", which Terraform would evaluate as an expression; config values are literal text: remove it`;
}

export function oneOf<const V extends readonly string[]>(values: V, options: Described): Schema<V[number]> {
  return {
    parse(value, path, issues) {
      if (typeof value === "string" && (values as readonly string[]).includes(value)) return value as V[number];
      issues.push({ path, message: `${show(value)} is not one of ${values.join(", ")}` });
      return undefined;
    },
    jsonSchema: () => ({ type: "string", enum: [...values], description: options.description }),
  };
}

export interface IntegerOptions extends Described {
  readonly minimum?: number;
  readonly maximum?: number;
  /** Why the minimum exists, appended to the error so the user knows it is deliberate. */
  readonly minimumReason?: string;
}

export function integer(options: IntegerOptions): Schema<number> {
  return {
    parse(value, path, issues) {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        issues.push({ path, message: `must be a whole number, got ${describeType(value)}` });
        return undefined;
      }
      if (options.minimum !== undefined && value < options.minimum) {
        const why = options.minimumReason ? ` (${options.minimumReason})` : "";
        issues.push({ path, message: `${value} is below the minimum ${options.minimum}${why}; set it to ${options.minimum} or more` });
        return undefined;
      }
      if (options.maximum !== undefined && value > options.maximum) {
        issues.push({ path, message: `${value} is above the maximum ${options.maximum}` });
        return undefined;
      }
      return value;
    },
    jsonSchema: () => ({
      type: "integer",
      description: options.description,
      ...(options.minimum !== undefined && { minimum: options.minimum }),
      ...(options.maximum !== undefined && { maximum: options.maximum }),
    }),
  };
}

export function boolean(options: Described): Schema<boolean> {
  return {
    parse(value, path, issues) {
      if (typeof value === "boolean") return value;
      issues.push({ path, message: `must be true or false, got ${describeType(value)}` });
      return undefined;
    },
    jsonSchema: () => ({ type: "boolean", description: options.description }),
  };
}

export interface ArrayOptions extends Described {
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minItemsReason?: string;
}

export function array<T>(items: Schema<T>, options: ArrayOptions): Schema<readonly T[]> {
  return {
    parse(value, path, issues) {
      if (!Array.isArray(value)) {
        issues.push({ path, message: `must be a list, got ${describeType(value)}` });
        return undefined;
      }
      if (options.minItems !== undefined && value.length < options.minItems) {
        const why = options.minItemsReason ? ` (${options.minItemsReason})` : "";
        issues.push({ path, message: `has ${value.length} entries, needs at least ${options.minItems}${why}` });
      }
      if (options.maxItems !== undefined && value.length > options.maxItems) {
        issues.push({ path, message: `has ${value.length} entries, at most ${options.maxItems} are allowed` });
      }
      const before = issues.length;
      const parsed = value.map((item, index) => items.parse(item, childPath(path, index), issues));
      return issues.length === before ? (parsed as T[]) : undefined;
    },
    jsonSchema: () => ({
      type: "array",
      description: options.description,
      items: items.jsonSchema(),
      ...(options.minItems !== undefined && { minItems: options.minItems }),
      ...(options.maxItems !== undefined && { maxItems: options.maxItems }),
    }),
  };
}

/** A mapping with free keys (tags, device classes); keys are checked by `keys`. */
export function record<T>(keys: Schema<string>, values: Schema<T>, options: Described): Schema<Readonly<Record<string, T>>> {
  return {
    parse(value, path, issues) {
      if (!isMapping(value)) {
        issues.push({ path, message: `must be a mapping, got ${describeType(value)}` });
        return undefined;
      }
      const before = issues.length;
      const result: Record<string, T> = {};
      for (const [key, item] of Object.entries(value)) {
        keys.parse(key, childPath(path, key), issues);
        const parsed = values.parse(item, childPath(path, key), issues);
        if (parsed !== undefined) result[key] = parsed;
      }
      return issues.length === before ? result : undefined;
    },
    jsonSchema: () => {
      const keySchema = keys.jsonSchema();
      return {
        type: "object",
        description: options.description,
        additionalProperties: values.jsonSchema(),
        ...(typeof keySchema.pattern === "string" && { propertyNames: { pattern: keySchema.pattern } }),
      };
    },
  };
}

/** A property of an object schema: required, or optional with the default it takes. */
export interface Property<T> {
  readonly schema: Schema<T>;
  readonly required: boolean;
  readonly default?: T;
}

export function required<T>(schema: Schema<T>): Property<T> {
  return { schema, required: true };
}

export function withDefault<T>(schema: Schema<T>, defaultValue: NoInfer<T>): Property<T> {
  return { schema, required: false, default: defaultValue };
}

/**
 * Optional, and when absent what its fields' own defaults make of `{}`: every default is written
 * once, on its field, and an omitted section gets the same values as a section with those
 * fields omitted. For objects whose fields all have defaults.
 */
export function withFieldDefaults<T>(schema: Schema<T>): Property<T> {
  const issues: Issue[] = [];
  const value = schema.parse({}, "", issues);
  if (issues.length > 0 || value === undefined)
    throw new Error(
      `withFieldDefaults needs an object whose fields all have defaults: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
    );
  return withDefault(schema, value as NoInfer<T>);
}

/** Optional with no default: absent stays undefined. */
export function optional<T>(schema: Schema<T>): Property<T | undefined> {
  return { schema: schema as Schema<T | undefined>, required: false };
}

type PropertyType<P> = P extends Property<infer T> ? T : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** Properties that may be undefined become optional keys (`reason?: string`). */
type ObjectType<P extends Record<string, Property<unknown>>> = Simplify<
  { readonly [K in keyof P as undefined extends PropertyType<P[K]> ? never : K]: PropertyType<P[K]> } & {
    readonly [K in keyof P as undefined extends PropertyType<P[K]> ? K : never]?: PropertyType<P[K]>;
  }
>;

export interface ObjectOptions extends Described {
  /** Keys that were renamed, old name to new name: an old key is an error that names the new one. */
  readonly renamed?: Readonly<Record<string, string>>;
}

/** A mapping with known keys; unknown keys are errors (typos must not be silently ignored). */
export function object<P extends Record<string, Property<unknown>>>(properties: P, options: ObjectOptions): Schema<ObjectType<P>> {
  return {
    parse(value, path, issues) {
      if (!isMapping(value)) {
        issues.push({ path: path || "(top level)", message: `must be a mapping, got ${describeType(value)}` });
        return undefined;
      }
      const before = issues.length;
      for (const key of Object.keys(value)) {
        const renamedTo = options.renamed?.[key];
        if (renamedTo !== undefined) {
          issues.push({ path: childPath(path, key), message: `was renamed; call it ${childPath(path, renamedTo)}` });
        } else if (!(key in properties)) {
          const known = Object.keys(properties).join(", ");
          issues.push({ path: childPath(path, key), message: `is not a known key; expected one of ${known}` });
        }
      }
      const result: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(properties)) {
        const raw = value[key];
        if (raw === undefined || raw === null) {
          if (property.required) issues.push({ path: childPath(path, key), message: "is required" });
          else if (property.default !== undefined) result[key] = structuredClone(property.default);
          continue;
        }
        result[key] = property.schema.parse(raw, childPath(path, key), issues);
      }
      return issues.length === before ? (result as ObjectType<P>) : undefined;
    },
    jsonSchema: () => ({
      type: "object",
      description: options.description,
      additionalProperties: false,
      required: Object.entries(properties)
        .filter(([, p]) => p.required)
        .map(([k]) => k),
      properties: Object.fromEntries([
        ...Object.entries(properties).map(([key, p]) => [
          key,
          { ...p.schema.jsonSchema(), ...(p.default !== undefined && { default: p.default }) },
        ]),
        // An old key matches nothing, so an editor flags it; the description and VS Code's
        // deprecationMessage name the new key, as the validator's error does.
        ...Object.entries(options.renamed ?? {}).map(([oldKey, newKey]) => {
          const message = `Renamed: call it ${newKey}.`;
          return [oldKey, { not: {}, deprecated: true, description: message, deprecationMessage: message }];
        }),
      ]),
    }),
  };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
