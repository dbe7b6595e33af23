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

/** Refuses (exit 2) a Terraform JSON text that writes a key twice. */
export function refuseDuplicateKeys(text: string, file: string): void {
  const found = duplicateKey(text);
  if (found) {
    throw new MoatError(
      `${file}: key "${found.key}" is written twice in the same object (at ${found.path}); Terraform reads every copy and the review would see only the last: write each key once`,
      2,
    );
  }
}
