import { columnName, FLOW_FIELDS } from "./flow-log-format";

/** The query languages moat writes saved queries in. */
export type QueryDialect = "logs-insights" | "athena";

/** Words of the two languages that are not field names (lower case). */
const KEYWORDS: Record<QueryDialect, ReadonlySet<string>> = {
  "logs-insights": new Set([
    "parse",
    "as",
    "filter",
    "stats",
    "by",
    "sort",
    "desc",
    "asc",
    "and",
    "or",
    "not",
    "like",
    "in",
    "limit",
    "fields",
    "display",
  ]),
  athena: new Set([
    "select",
    "from",
    "where",
    "group",
    "by",
    "order",
    "desc",
    "asc",
    "and",
    "or",
    "not",
    "as",
    "limit",
    "in",
    "like",
    "is",
    "null",
    "distinct",
    "ipaddress",
    "with",
    "having",
  ]),
};

/** Every column of moat's flow-log format, as queries name it. */
export const FLOW_COLUMNS: readonly string[] = FLOW_FIELDS.map(columnName);

/** Text with comments and string literals blanked out (identifiers in double quotes count as strings in both languages here). */
function code(query: string): string {
  return query
    .replace(/--[^\n]*/g, " ")
    .replace(/'(?:[^']|'')*'/g, " ")
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\/(?:[^/\n\\]|\\.)+\//g, " ");
}

/**
 * The identifiers a query uses that are neither keywords, functions, aliases it defines (`as x`)
 * nor `known` fields: a misspelt or missing field, which would make a saved query return nothing.
 */
export function unknownQueryFields(query: string, dialect: QueryDialect, known: Iterable<string>): string[] {
  const text = code(query);
  const allowed = new Set(known);
  const aliases = new Set([...text.matchAll(/\bas\s+([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)/gi)].flatMap((m) => m[1].split(/\s*,\s*/)));
  const unknown = new Set<string>();
  for (const match of text.matchAll(/@?[A-Za-z_][\w.]*/g)) {
    const word = match[0];
    const next = text.slice(match.index! + word.length).trimStart();
    if (next.startsWith("(")) continue;
    if (KEYWORDS[dialect].has(word.toLowerCase()) || aliases.has(word) || allowed.has(word)) continue;
    unknown.add(word);
  }
  return [...unknown];
}

/**
 * Why a Logs Insights `parse @message "* * ..." as ...` clause does not read moat's record format:
 * one `*` per field, separated by single spaces, named with the format's columns in order.
 */
export function parseClauseProblem(query: string): string | undefined {
  const match = /parse\s+@message\s+"([^"]*)"\s+as\s+([\w\s,]+?)\s*(?:\||$)/.exec(query);
  if (!match) return 'no `parse @message "..." as ...` clause';
  const pattern = match[1];
  const names = match[2].split(/\s*,\s*/);
  if (pattern !== FLOW_FIELDS.map(() => "*").join(" "))
    return `the pattern has ${pattern.split(" ").length} space-separated parts, moat's format has ${FLOW_FIELDS.length} fields`;
  if (names.join(",") !== FLOW_COLUMNS.join(",")) return `it names ${names.join(", ")}; moat's format is ${FLOW_COLUMNS.join(", ")}`;
  return undefined;
}
