import { ReviewModel } from "./model";
import { blocks, Encoded, isRecord, referencesIn, Ref, setEntry, Unknown, Value } from "./value";

/** One condition of a policy statement: `StringEquals` / `aws:SourceVpce` / values. */
export interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: readonly Value[];
}

/** Who a resource-policy statement is about: `AWS` (accounts, roles), `Service`, `Federated`, or `*` for everyone. */
export interface Principal {
  readonly kind: string;
  readonly value: Value;
}

/** A policy statement as rules read it, from JSON text, `jsonencode` or `data.aws_iam_policy_document`. */
export interface Statement {
  /** `Sid`, by which `aws_iam_policy_document` lets a later statement replace an earlier one. */
  readonly sid?: Value;
  readonly effect: Value;
  readonly actions: readonly Value[];
  /** `NotAction` present: grants everything but the list, which no rule can bound. */
  readonly notAction: boolean;
  readonly resources: readonly Value[];
  readonly notResource: boolean;
  readonly conditions: readonly Condition[];
  /** `Principal` of a resource policy (empty in identity policies); `notPrincipal` when NotPrincipal is used. */
  readonly principals: readonly Principal[];
  readonly notPrincipal: boolean;
}

export type PolicyReading = { readonly statements: readonly Statement[] } | { readonly problem: string; readonly unknown: boolean };

/** Reads a `policy` attribute; says why when the file does not let it be read. */
export function readPolicy(model: ReviewModel, value: Value | undefined, seen: ReadonlySet<string> = new Set()): PolicyReading {
  if (typeof value === "string") {
    let doc: unknown;
    try {
      doc = JSON.parse(value);
    } catch {
      return { problem: "the policy is not valid JSON", unknown: false };
    }
    return fromDocument(doc as Value);
  }
  if (value instanceof Encoded) return fromDocument(value.value);
  if (value instanceof Unknown && value.parts) {
    const doc = parseWithHoles(value.parts);
    if (doc !== undefined) return fromDocument(doc);
  }
  if (value instanceof Ref && value.attribute === "json") {
    const source = model.get(value.address);
    if (source?.type === "aws_iam_policy_document" && !seen.has(source.address))
      return fromDataSource(model, source.attributes, new Set([...seen, source.address]));
  }
  return { problem: `the policy is not known until apply (${String(value)})`, unknown: true };
}

function asList(value: Value | undefined): readonly Value[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value as Value];
}

function fromDocument(doc: Value): PolicyReading {
  if (!isRecord(doc)) return { problem: "the policy is not a JSON object", unknown: false };
  const statements = asList(doc.Statement).map((s): Statement => {
    const st = isRecord(s) ? s : {};
    const conditions: Condition[] = [];
    if (isRecord(st.Condition)) {
      for (const [test, byKey] of Object.entries(st.Condition)) {
        if (isRecord(byKey))
          for (const [variable, values] of Object.entries(byKey)) conditions.push({ test, variable, values: asList(values) });
      }
    }
    return {
      sid: st.Sid,
      effect: st.Effect ?? null,
      actions: asList(st.Action),
      notAction: st.NotAction !== undefined,
      resources: asList(st.Resource),
      notResource: st.NotResource !== undefined,
      conditions,
      principals: principalsOf(st.Principal),
      notPrincipal: st.NotPrincipal !== undefined,
    };
  });
  return { statements };
}

/**
 * A `data.aws_iam_policy_document` as AWS receives it: the statements of `source_policy_documents`,
 * then its own `statement` blocks, then those of `override_policy_documents`, a later statement
 * replacing an earlier one of the same Sid (the provider's merge). A document that cannot be
 * read makes the whole policy unknown: a wide grant could hide in it.
 */
function fromDataSource(model: ReviewModel, attributes: { readonly [key: string]: Value }, seen: ReadonlySet<string>): PolicyReading {
  const merged: Statement[] = [];
  const add = (statement: Statement) => {
    const at =
      statement.sid === undefined || statement.sid === null || statement.sid === "" ? -1 : merged.findIndex((m) => m.sid === statement.sid);
    if (at === -1) merged.push(statement);
    else merged[at] = statement;
  };
  const addDocuments = (argument: string): string | undefined => {
    const list = attributes[argument];
    if (list === undefined || list === null) return undefined;
    if (!Array.isArray(list)) return `${argument} ${String(list)} is known only at apply time`;
    for (const document of list as readonly Value[]) {
      const reading = readPolicy(model, document, seen);
      if ("problem" in reading) return `${argument} entry ${String(document)} cannot be read: ${reading.problem}`;
      reading.statements.forEach(add);
    }
    return undefined;
  };
  const sourceProblem = addDocuments("source_policy_documents");
  if (sourceProblem) return { problem: sourceProblem, unknown: true };
  for (const s of blocks(attributes.statement)) {
    const st = isRecord(s) ? s : {};
    add({
      sid: st.sid,
      effect: st.effect ?? "Allow",
      actions: asList(st.actions),
      notAction: asList(st.not_actions).length > 0,
      resources: asList(st.resources),
      notResource: asList(st.not_resources).length > 0,
      conditions: blocks(st.condition).map((c) => {
        const cond = isRecord(c) ? c : {};
        return { test: String(cond.test), variable: String(cond.variable), values: asList(cond.values) };
      }),
      principals: blocks(st.principals).flatMap((p) =>
        isRecord(p) ? asList(p.identifiers).map((value) => ({ kind: String(p.type), value })) : [],
      ),
      notPrincipal: blocks(st.not_principals).length > 0,
    });
  }
  const overrideProblem = addDocuments("override_policy_documents");
  if (overrideProblem) return { problem: overrideProblem, unknown: true };
  return { statements: merged };
}

/** `"*"`, `{"AWS": "*"}`, `{"AWS": [..], "Service": ".."}` as one list. */
function principalsOf(value: Value | undefined): Principal[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) return [{ kind: "*", value }];
  return Object.entries(value).flatMap(([kind, ids]) => asList(ids).map((id) => ({ kind, value: id })));
}

const patterns = new Map<string, RegExp>();

/** An IAM action pattern (`iot:*`, `iot:Conn?ct`) as a case-insensitive regular expression, compiled once. */
function actionPattern(action: string): RegExp {
  let pattern = patterns.get(action);
  if (!pattern) {
    pattern = new RegExp(
      `^${action
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
      "i",
    );
    patterns.set(action, pattern);
  }
  return pattern;
}

/** True when a statement's action list grants `action` (exact, or by a wildcard pattern). */
export function grants(statement: Statement, action: string): boolean {
  return statement.actions.some((a) => typeof a === "string" && actionPattern(a).test(action));
}

const HOLE_PREFIX = "@@moat-hole-";
const HOLE = /@@moat-hole-(\d+)@@/g;

/**
 * A JSON policy written as text with interpolations inside its strings
 * (`"Resource": "${aws_s3_bucket.logs.arn}/*"`): parsed with placeholders, each string that held
 * a hole becomes that hole's value or an {@link Unknown} template. Undefined when a hole sits
 * outside a JSON string, where no placeholder can stand in for it.
 */
export function parseWithHoles(parts: readonly Value[]): Value | undefined {
  const holes: Value[] = [];
  const text = parts.map((p) => (typeof p === "string" ? p : `${HOLE_PREFIX}${holes.push(p) - 1}@@`)).join("");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const restore = (node: unknown): Value => {
    if (typeof node === "string") {
      if (holes.length === 0 || !node.includes(HOLE_PREFIX)) return node;
      const pieces = node
        .split(HOLE)
        .map((piece, i) => (i % 2 === 1 ? holes[Number(piece)] : piece))
        .filter((piece) => piece !== "");
      if (pieces.length === 1) return pieces[0];
      return pieces.every((p) => typeof p === "string") ? pieces.join("") : new Unknown(node, [...referencesIn(pieces)], pieces);
    }
    if (Array.isArray(node)) return node.map(restore);
    if (isRecord(node)) {
      const restored: Record<string, Value> = {};
      for (const key in node) setEntry(restored, key, restore(node[key]));
      return restored;
    }
    return node as Value;
  };
  return restore(doc);
}
