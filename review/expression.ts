import { Encoded, isLiteral, referencesIn, setEntry, Unknown, Value } from "./value";

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
  // First: the commonest string by far (`vpc_id`, `network_acl_id`, `alarm_actions` entries),
  // so it is matched once and not scanned for template syntax before.
  if (SIMPLE_TRAVERSAL.test(text)) {
    const traversal = text.slice(2, -1);
    return resolve(traversal.split("."), traversal);
  }
  if (!text.includes("${") && !text.includes("%{")) return text;
  return new Parser(text, resolve).template(text.length, text);
}

function concatenate(text: string, parts: Value[]): Value {
  if (parts.length === 1) return parts[0];
  if (parts.every((p) => typeof p === "string" || typeof p === "number" || typeof p === "boolean")) return parts.join("");
  const refs = new Set<string>();
  parts.forEach((p) => referencesIn(p, refs));
  return new Unknown(
    text,
    [...refs],
    parts.map((p) => (typeof p === "number" || typeof p === "boolean" ? String(p) : p)),
  );
}

/** Characters that matter when looking for the end of an interpolation. */
const INTERPOLATION_SYNTAX = /[{}"\\]/g;
const STRING_SYNTAX = /["\\]/g;
/** Characters that matter when looking for the end of a quoted template: quote, backslash, `$`. */
const QUOTED_SYNTAX = /["\\$]/g;

/** Index of the `}` closing an interpolation that starts at `from`, skipping quoted strings and nested braces. */
function interpolationEnd(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  // Jump from one brace, quote or backslash to the next: policies are long and mostly plain text.
  for (let i = from; i < text.length; i++) {
    const syntax = inString ? STRING_SYNTAX : INTERPOLATION_SYNTAX;
    syntax.lastIndex = i;
    // test, not exec: no match array for each of a policy's many quotes.
    if (!syntax.test(text)) return text.length;
    i = syntax.lastIndex - 1;
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

/**
 * Index of the quote closing a quoted template whose text starts at `from`, skipping escapes
 * and the quoted strings of nested interpolations; -1 when there is none.
 */
function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    QUOTED_SYNTAX.lastIndex = i;
    if (!QUOTED_SYNTAX.test(text)) return -1;
    i = QUOTED_SYNTAX.lastIndex - 1;
    const c = text[i];
    if (c === "\\") i += 1;
    else if (c === '"') return i;
    else if (text[i + 1] === "{" && text[i - 1] !== "$") i = interpolationEnd(text, i + 2);
  }
  return -1;
}

/** The character one escape of a quoted string stands for (`\n`, `\u0041`); an escape JSON lacks (`\U0001F600`) is unsupported. */
function escapedText(escape: string): string {
  try {
    return JSON.parse(`"${escape}"`) as string;
  } catch {
    throw new Unsupported(`escape ${escape}`);
  }
}

/** An interpolation the parser does not evaluate: unknown, naming the references written in it. */
function unsupported(source: string, resolve: Resolver): Unknown {
  return new Unknown(source.trim(), [...referencesInText(source, resolve)]);
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

// Sticky: matched at the parser's position without copying the rest of the source; read with
// test() and lastIndex, which allocate no match array.
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_-]*/y;
/** Template text that needs no attention: everything but quote, backslash, `$` and `%`. */
const PLAIN_RUN = /[^"\\$%]+/y;

class Parser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly resolve: Resolver,
  ) {}

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
    if (!NUMBER.test(this.src)) throw new Unsupported("number");
    const text = this.src.slice(this.pos, NUMBER.lastIndex);
    this.pos = NUMBER.lastIndex;
    return Number(text);
  }

  /**
   * A template from the parser's position up to `stop` (the closing quote of a quoted string, or
   * the end of the text): literal runs, escapes when quoted, `$${`/`%%{`, and `${...}`
   * interpolations parsed in place, so each character is read once. `text` names the whole
   * template in an {@link Unknown}.
   */
  template(stop: number, text: string, quoted = false): Value {
    const parts: Value[] = [];
    let literal = "";
    const src = this.src;
    while (this.pos < stop) {
      PLAIN_RUN.lastIndex = this.pos;
      if (PLAIN_RUN.test(src)) {
        literal += src.slice(this.pos, PLAIN_RUN.lastIndex);
        this.pos = PLAIN_RUN.lastIndex;
        continue;
      }
      const c = src[this.pos];
      if (c === "\\" && quoted) {
        const length = src[this.pos + 1] === "u" ? 6 : 2;
        literal += escapedText(src.slice(this.pos, this.pos + length));
        this.pos += length;
      } else if ((c === "$" || c === "%") && src[this.pos + 1] === c && src[this.pos + 2] === "{") {
        literal += c + "{";
        this.pos += 3;
      } else if (c === "$" && src[this.pos + 1] === "{") {
        if (literal) parts.push(literal);
        literal = "";
        parts.push(this.interpolation());
      } else if (c === "%" && src[this.pos + 1] === "{") {
        // A template directive (`%{ if }`, `%{ for }`): the whole template is unknown.
        return new Unknown(text, [...referencesInText(text, this.resolve)]);
      } else {
        literal += c;
        this.pos += 1;
      }
    }
    if (literal) parts.push(literal);
    return concatenate(text, parts);
  }

  /** `${ expression }` at the parser's position; what the parser does not evaluate is unknown. */
  private interpolation(): Value {
    const start = this.pos + 2;
    this.pos = start;
    try {
      const value = this.expression();
      this.skipSpace();
      if (this.src[this.pos] !== "}") throw new Unsupported(`operator at ${this.pos}`);
      this.pos += 1;
      return value;
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      const end = interpolationEnd(this.src, start);
      this.pos = end + 1;
      return unsupported(this.src.slice(start, end), this.resolve);
    }
  }

  /** A quoted template: `"..."` with escapes, `$${` and nested interpolations. */
  private quoted(): Value {
    this.pos += 1;
    // Most quoted strings are plain ("Version", "iot:Publish"): up to the next quote, no escape, no template.
    const next = this.src.indexOf('"', this.pos);
    if (next !== -1) {
      const body = this.src.slice(this.pos, next);
      if (body.indexOf("\\") === -1 && body.indexOf("$") === -1 && body.indexOf("%") === -1) {
        this.pos = next + 1;
        return body;
      }
    }
    const close = closingQuote(this.src, this.pos);
    if (close === -1) throw new Unsupported("unterminated string");
    const value = this.template(close, this.src.slice(this.pos, close), true);
    this.pos = close + 1;
    return value;
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
      setEntry(entries, key, this.expression());
      if (this.peek() === ",") this.pos += 1;
    }
    this.pos += 1;
    return entries;
  }

  private identifier(): string {
    this.skipSpace();
    IDENTIFIER.lastIndex = this.pos;
    if (!IDENTIFIER.test(this.src)) throw new Unsupported("identifier");
    const name = this.src.slice(this.pos, IDENTIFIER.lastIndex);
    this.pos = IDENTIFIER.lastIndex;
    return name;
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
