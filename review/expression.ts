import { Encoded, isLiteral, referencesIn, Unknown, Value } from "./value";

/**
 * Evaluates the strings of Terraform JSON (`"${aws_vpc.main.id}"`, `"${jsonencode({...})}"`,
 * `"arn:${data.aws_partition.p.partition}:iot:..."`) as far as the file alone allows.
 *
 * cdktf renders a small, regular subset of the expression language: literals, tuples,
 * objects, traversals and function calls. That subset is evaluated; anything else (operators,
 * conditionals, `for`, splats, directives) becomes an {@link Unknown} naming its references,
 * so a rule reports it instead of guessing.
 */

/** Resolves a traversal such as `["aws_vpc", "main", "id"]` to a `Ref` or an {@link Unknown}. */
export type Resolver = (traversal: readonly string[], text: string) => Value;

class Unsupported extends Error {}

/** The commonest Terraform string by far: one plain traversal, `${aws_vpc.main.id}`. */
const SIMPLE_TRAVERSAL = /^\$\{([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+)\}$/;

/** The value of one Terraform JSON string. */
export function evaluateString(text: string, resolve: Resolver): Value {
  if (!text.includes("${") && !text.includes("%{")) return text;
  const simple = SIMPLE_TRAVERSAL.exec(text);
  if (simple) return resolve(simple[1].split("."), simple[1]);
  const parts: Value[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i) || text.startsWith("%%{", i)) {
      literal += text[i + 1] + "{";
      i += 3;
    } else if (text.startsWith("${", i)) {
      if (literal) parts.push(literal);
      literal = "";
      const end = interpolationEnd(text, i + 2);
      parts.push(evaluateExpression(text.slice(i + 2, end), resolve));
      i = end + 1;
    } else if (text.startsWith("%{", i)) {
      return new Unknown(text, [...referencesInText(text, resolve)]);
    } else {
      literal += text[i];
      i += 1;
    }
  }
  if (literal) parts.push(literal);
  return concatenate(text, parts);
}

function concatenate(text: string, parts: Value[]): Value {
  if (parts.length === 1) return parts[0];
  if (parts.every((p) => typeof p === "string" || typeof p === "number" || typeof p === "boolean")) return parts.join("");
  const refs = new Set<string>();
  parts.forEach((p) => referencesIn(p, refs));
  return new Unknown(text, [...refs], parts.map((p) => (typeof p === "number" || typeof p === "boolean" ? String(p) : p)));
}

/** Index of the `}` closing an interpolation that starts at `from`, skipping quoted strings and nested braces. */
function interpolationEnd(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth += 1;
    else if (c === "}") {
      if (depth === 0) return i;
      depth -= 1;
    }
  }
  return text.length;
}

function evaluateExpression(source: string, resolve: Resolver): Value {
  try {
    const parser = new Parser(source, resolve);
    const value = parser.expression();
    parser.end();
    return value;
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    return new Unknown(source.trim(), [...referencesInText(source, resolve)]);
  }
}

const TRAVERSAL = /\b(data\.[a-z0-9_]+\.[A-Za-z0-9_-]+|[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z0-9_-]+)/g;

/** References of an expression the parser does not evaluate, found textually. */
function referencesInText(source: string, resolve: Resolver): Set<string> {
  const refs = new Set<string>();
  for (const match of source.matchAll(TRAVERSAL)) {
    referencesIn(resolve(match[1].split("."), match[1]), refs);
  }
  return refs;
}

// Sticky: matched at the parser's position without copying the rest of the source.
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_-]*/y;
/** Characters of a quoted string that need no attention: everything but quote, backslash and `$`. */
const PLAIN_RUN = /[^"\\$]+/y;

class Parser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly resolve: Resolver,
  ) {}

  end(): void {
    this.skipSpace();
    if (this.pos < this.src.length) throw new Unsupported(`operator at ${this.pos}`);
  }

  expression(): Value {
    this.skipSpace();
    const c = this.src[this.pos];
    if (c === '"') return this.quoted();
    if (c === "[") return this.tuple();
    if (c === "{") return this.object();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    if (c !== undefined && /[A-Za-z_]/.test(c)) return this.identifierExpression();
    throw new Unsupported(`unexpected ${c}`);
  }

  private skipSpace(): void {
    let c = this.src.charCodeAt(this.pos);
    // space, tab, newline, carriage return
    while (c === 32 || c === 9 || c === 10 || c === 13) c = this.src.charCodeAt(++this.pos);
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.src[this.pos] !== char) throw new Unsupported(`expected ${char}`);
    this.pos += 1;
  }

  private peek(): string | undefined {
    this.skipSpace();
    return this.src[this.pos];
  }

  private number(): Value {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.src);
    if (!match) throw new Unsupported("number");
    this.pos += match[0].length;
    return Number(match[0]);
  }

  /** A quoted template: escapes, `$${` and nested interpolations. */
  private quoted(): Value {
    this.pos += 1;
    // Most quoted strings are plain ("Version", "iot:Publish"): no escape, no template.
    const close = this.src.indexOf('"', this.pos);
    if (close !== -1) {
      const body = this.src.slice(this.pos, close);
      if (body.indexOf("\\") === -1 && body.indexOf("$") === -1 && body.indexOf("%{") === -1) {
        this.pos = close + 1;
        return body;
      }
    }
    let raw = "";
    while (this.pos < this.src.length && this.src[this.pos] !== '"') {
      PLAIN_RUN.lastIndex = this.pos;
      const run = PLAIN_RUN.exec(this.src);
      if (run) {
        raw += run[0];
        this.pos += run[0].length;
        continue;
      }
      const c = this.src[this.pos];
      if (c === "\\") {
        raw += JSON.parse(`"${this.src.slice(this.pos, this.pos + (this.src[this.pos + 1] === "u" ? 6 : 2))}"`);
        this.pos += this.src[this.pos + 1] === "u" ? 6 : 2;
      } else if (this.src.startsWith("${", this.pos) && !this.src.endsWith("$", this.pos)) {
        const end = interpolationEnd(this.src, this.pos + 2);
        raw += this.src.slice(this.pos, end + 1);
        this.pos = end + 1;
      } else {
        raw += c;
        this.pos += 1;
      }
    }
    this.expect('"');
    return evaluateString(raw, this.resolve);
  }

  private tuple(): Value[] {
    this.pos += 1;
    const items: Value[] = [];
    while (this.peek() !== "]") {
      items.push(this.expression());
      if (this.peek() === ",") this.pos += 1;
      else if (this.peek() !== "]") throw new Unsupported("tuple");
    }
    this.pos += 1;
    return items;
  }

  private object(): Record<string, Value> {
    this.pos += 1;
    const entries: Record<string, Value> = {};
    while (this.peek() !== "}") {
      const key = this.peek() === '"' ? this.quoted() : this.identifier();
      if (typeof key !== "string") throw new Unsupported("computed object key");
      this.skipSpace();
      if (this.src[this.pos] !== "=" && this.src[this.pos] !== ":") throw new Unsupported("object");
      this.pos += 1;
      entries[key] = this.expression();
      if (this.peek() === ",") this.pos += 1;
    }
    this.pos += 1;
    return entries;
  }

  private identifier(): string {
    this.skipSpace();
    IDENTIFIER.lastIndex = this.pos;
    const match = IDENTIFIER.exec(this.src);
    if (!match) throw new Unsupported("identifier");
    this.pos += match[0].length;
    return match[0];
  }

  private identifierExpression(): Value {
    const start = this.pos;
    const name = this.identifier();
    if (name === "true" || name === "false") return name === "true";
    if (name === "null") return null;
    if (this.src[this.pos] === "(") return this.call(name, start);
    const traversal = [name];
    while (this.src[this.pos] === "." || this.src[this.pos] === "[") {
      if (this.src[this.pos] === ".") {
        this.pos += 1;
        if (this.src[this.pos] === "*") throw new Unsupported("splat");
        traversal.push(this.identifier());
      } else {
        this.pos += 1;
        const index = this.expression();
        this.expect("]");
        if (typeof index !== "number" && typeof index !== "string") throw new Unsupported("computed index");
        traversal.push(`[${typeof index === "number" ? index : JSON.stringify(index)}]`);
      }
    }
    return this.resolve(traversal, this.src.slice(start, this.pos));
  }

  private call(name: string, start: number): Value {
    this.pos += 1;
    const args: Value[] = [];
    while (this.peek() !== ")") {
      args.push(this.expression());
      if (this.peek() === ",") this.pos += 1;
      else if (this.peek() !== ")") throw new Unsupported("call");
    }
    this.pos += 1;
    if (name === "jsonencode" && args.length === 1) {
      return isLiteral(args[0]) ? JSON.stringify(args[0]) : new Encoded(args[0]);
    }
    if (name === "tostring" && args.length === 1 && (typeof args[0] === "string" || typeof args[0] === "number")) return String(args[0]);
    const refs = new Set<string>();
    args.forEach((a) => referencesIn(a, refs));
    return new Unknown(this.src.slice(start, this.pos), [...refs]);
  }
}

