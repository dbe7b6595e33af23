/**
 * Attribute values of the review model: plain JSON, plus three kinds of value that a
 * synthesized file or a plan cannot spell out as literals. Rules must handle all of them;
 * an {@link Unknown} is never silently treated as compliant.
 */

/** A reference to an attribute of another resource in the same file, e.g. `aws_vpc.main.id`. */
export class Ref {
  constructor(
    /** Address of the referenced resource (`aws_vpc.main`, `data.aws_region.current`). */
    public readonly address: string,
    /** The attribute path after the address (`id`, `cidr_block`), empty for the whole resource. */
    public readonly attribute: string,
  ) {}

  toString(): string {
    return this.attribute ? `${this.address}.${this.attribute}` : this.address;
  }

  /** JSON reports and diffs show a reference the way Terraform JSON writes it. */
  toJSON(): string {
    return `\${${this.toString()}}`;
  }
}

/**
 * A value known only at apply time: a variable, a function of a reference, or a plan's
 * `after_unknown`. `parts`, when present, is a string template: its strings are literal text,
 * every other part (a {@link Ref}, a nested Unknown) is a hole filled at apply time.
 */
export class Unknown {
  constructor(
    /** The expression as written, for messages. */
    public readonly expression: string,
    /** Addresses of the resources it depends on. */
    public readonly refs: readonly string[] = [],
    public readonly parts?: readonly Value[],
  ) {}

  toString(): string {
    return this.expression;
  }

  toJSON(): string {
    return `\${${this.expression}}`;
  }
}

/** `jsonencode(value)` where the value still holds references: the document, not its text. */
export class Encoded {
  constructor(public readonly value: Value) {}

  toJSON(): { jsonencode: Value } {
    return { jsonencode: this.value };
  }
}

export type Value = null | boolean | number | string | Ref | Unknown | Encoded | readonly Value[] | { readonly [key: string]: Value };

/**
 * Sets an own entry, `__proto__` included: JSON.parse makes `"__proto__"` an ordinary key, but a
 * plain assignment of it would set the copy's prototype, and a rule would then read attributes
 * the file never set as if it had.
 */
export function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** An object's own entry (never one inherited from Object.prototype, such as `__proto__`). */
export function ownEntry(source: unknown, key: string): unknown {
  return isRecord(source) && Object.prototype.hasOwnProperty.call(source, key) ? source[key] : undefined;
}

export function isRecord(value: unknown): value is { readonly [key: string]: Value } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Ref) &&
    !(value instanceof Unknown) &&
    !(value instanceof Encoded)
  );
}

/**
 * A nested block as a list: cdktf writes a single block as an object, plans write lists,
 * and an absent block is an empty list.
 */
export function blocks(value: Value | undefined): readonly Value[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value as Value];
}

/** Every reference inside a value, depth first. */
export function referencesIn(value: Value | undefined, into: Set<string> = new Set()): Set<string> {
  if (value instanceof Ref) into.add(value.address);
  else if (value instanceof Unknown) value.refs.forEach((r) => into.add(r));
  else if (value instanceof Encoded) referencesIn(value.value, into);
  else if (Array.isArray(value)) for (const v of value) referencesIn(v, into);
  else if (isRecord(value)) for (const key in value) referencesIn(value[key], into);
  return into;
}

/** True when the value holds no reference or unknown anywhere inside it. */
export function isLiteral(value: Value | undefined): boolean {
  if (value instanceof Ref || value instanceof Unknown || value instanceof Encoded) return false;
  if (Array.isArray(value)) return value.every(isLiteral);
  if (isRecord(value)) {
    for (const key in value) if (!isLiteral(value[key])) return false;
  }
  return true;
}
