import { MoatError } from "../errors";

/**
 * The first object key written twice in a JSON text, with where it is, or undefined.
 *
 * Terraform's JSON syntax keeps every copy of a repeated key (the HCL JSON spec requires a parser
 * to "preserve multiple definitions of the same property name"): `{"resource": {...}, "resource":
 * {...}}` declares the resources of both, and two `"ingress"` keys make two blocks. JSON.parse keeps
 * only the last copy, so the review would not see what the first one adds. One pass over the text,
 * with an explicit stack: nesting depth costs no recursion.
 */
export function duplicateKey(text: string): { key: string; path: string } | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  const names: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      // Jump from quote to quote; a quote preceded by an odd run of backslashes is escaped.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i === -1) i = n;
        let slashes = 0;
        while (i < n && text.charCodeAt(i - 1 - slashes) === 92 /* \ */) slashes += 1;
        if (i >= n || slashes % 2 === 0) break;
      }
      const end = i;
      i += 1;
      const top = open[open.length - 1];
      if (!top) continue;
      let j = i;
      while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9 || text.charCodeAt(j) === 10 || text.charCodeAt(j) === 13))
        j += 1;
      if (text.charCodeAt(j) !== 58 /* : */) continue;
      const raw = text.slice(start + 1, end);
      const key = raw.indexOf("\\") === -1 ? raw : decode(text.slice(start, end + 1));
      if (top.has(key)) return { key, path: [...names.slice(0, open.length - 1), key].join(".") };
      top.add(key);
      names[open.length - 1] = key;
      continue;
    }
    if (c === 123 /* { */) open.push(new Set());
    else if (c === 91 /* [ */) open.push(null);
    else if (c === 125 /* } */ || c === 93 /* ] */) open.pop();
    i += 1;
  }
  return undefined;
}

function decode(token: string): string {
  try {
    return JSON.parse(token) as string;
  } catch {
    return token;
  }
}

/**
 * Keys written in a JSON text: strings followed by a colon. Outside a string the next quote
 * always opens one, so the scan jumps from quote to quote and keeps no state but the count.
 */
function keysWritten(text: string): number {
  let count = 0;
  const n = text.length;
  let i = text.indexOf('"');
  while (i !== -1) {
    let end = i;
    // A quote preceded by an odd run of backslashes is escaped.
    for (;;) {
      end = text.indexOf('"', end + 1);
      if (end === -1) return count;
      let slashes = 0;
      while (text.charCodeAt(end - 1 - slashes) === 92 /* \ */) slashes += 1;
      if (slashes % 2 === 0) break;
    }
    let j = end + 1;
    let c = text.charCodeAt(j);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++j);
    if (c === 58 /* : */) count += 1;
    i = j < n ? text.indexOf('"', j) : -1;
  }
  return count;
}

/** Keys of every object in a parsed value; JSON.parse keeps one of each repeated key. */
function keysParsed(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) count += keysParsed(value[i]);
    return count;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) count += 1 + keysParsed(record[key]);
  return count;
}

/** True when the text writes no key twice in one object: as many keys written as its parse kept. */
function noDuplicateKey(text: string, parsed: unknown): boolean {
  try {
    return keysWritten(text) === keysParsed(parsed);
  } catch (err) {
    // Nesting deeper than recursion: the scan with its own stack decides.
    if (err instanceof RangeError) return false;
    throw err;
  }
}

/**
 * Refuses (exit 2) a Terraform JSON text that writes a key twice. `parsed`, the text's own
 * JSON.parse, lets a text without a repeated key pass on a count: only one with a repeat pays
 * for the scan that finds it.
 */
export function refuseDuplicateKeys(text: string, file: string, parsed?: unknown): void {
  if (parsed !== undefined && noDuplicateKey(text, parsed)) return;
  const found = duplicateKey(text);
  if (found) {
    throw new MoatError(
      `${file}: key "${found.key}" is written twice in the same object (at ${found.path}); Terraform reads every copy and the review would see only the last: write each key once`,
      2,
    );
  }
}
