import { Finding, findingKey } from "./finding";
import { ReviewModel } from "./model";
import { whatItOpens } from "./opens";
import { Encoded, isRecord, ownEntry, Unknown, Value } from "./value";

/** One attribute a pull request changes: its path in the resource, and its value before and after (JSON text, absent when there was none). */
export interface AttributeChange {
  /** `cidr_ipv4`, `ingress[0].cidr_block`, `tags.Name`. */
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
}

/** A resource both sides have, with what changed in it. */
export interface ResourceChange {
  readonly address: string;
  readonly attributes: readonly AttributeChange[];
}

/** How one stack's resources changed between the base branch and the pull request. */
export interface StackChange {
  readonly stack: string;
  /** `base-only`: a removed stack, or one not among the paths reviewed; `head-only`: a new stack. */
  readonly presence: "both" | "base-only" | "head-only";
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  /** Per changed resource (same order as `changed`), the attributes that changed. */
  readonly changes: readonly ResourceChange[];
  /** Per added resource that opens a flow (a firewall rule, an ACL entry, a route): what it opens, `tcp/22 from 10.0.0.0/8`. */
  readonly opened: readonly AddedOpening[];
}

/** What one added resource opens. */
export interface AddedOpening {
  readonly address: string;
  readonly opens: readonly string[];
}

/** What a pull request changes for security: resources and findings, base vs head. */
export interface ReviewDiff {
  readonly stacks: readonly StackChange[];
  readonly newFindings: readonly Finding[];
  readonly fixedFindings: readonly Finding[];
  readonly unchangedFindings: readonly Finding[];
}

/** Compares the base branch's stacks and findings with the head's, stack by stack name. */
export function diffReviews(
  base: { models: readonly ReviewModel[]; findings: readonly Finding[] },
  head: { models: readonly ReviewModel[]; findings: readonly Finding[] },
): ReviewDiff {
  const baseModels = new Map(base.models.map((m) => [m.stack, m]));
  const headModels = new Map(head.models.map((m) => [m.stack, m]));
  const stacks = [...new Set([...baseModels.keys(), ...headModels.keys()])]
    .sort()
    .map((stack) => resourceChanges(stack, baseModels.get(stack), headModels.get(stack)));
  const baseKeys = new Set(base.findings.map(findingKey));
  const headKeys = new Set(head.findings.map(findingKey));
  return {
    stacks,
    newFindings: head.findings.filter((f) => !baseKeys.has(findingKey(f))),
    fixedFindings: base.findings.filter((f) => !headKeys.has(findingKey(f))),
    unchangedFindings: head.findings.filter((f) => baseKeys.has(findingKey(f))),
  };
}

function resourceChanges(stack: string, base: ReviewModel | undefined, head: ReviewModel | undefined): StackChange {
  const before = new Map((base?.resources ?? []).map((r) => [r.address, r.attributes]));
  const after = new Map((head?.resources ?? []).map((r) => [r.address, r.attributes]));
  const changes: ResourceChange[] = [];
  for (const [address, attributes] of after) {
    const previous = before.get(address);
    if (previous === undefined) continue;
    const changed: AttributeChange[] = [];
    attributeChanges(previous, attributes, "", changed);
    if (changed.length > 0) changes.push({ address, attributes: changed });
  }
  const added = [...after.keys()].filter((a) => !before.has(a));
  return {
    stack,
    presence: base && head ? "both" : base ? "base-only" : "head-only",
    added,
    removed: [...before.keys()].filter((a) => !after.has(a)),
    changed: changes.map((c) => c.address),
    changes,
    opened: head ? added.map((address) => ({ address, opens: whatItOpens(head, address) })).filter((o) => o.opens.length > 0) : [],
  };
}

/**
 * The leaves that differ between two values, as paths: objects key by key, lists of the same
 * length item by item; anything else that differs (a list that grew, a block that became a
 * reference) is one change of the whole value at its path.
 */
function attributeChanges(before: Value | undefined, after: Value | undefined, path: string, into: AttributeChange[]): void {
  // Every resource on both sides comes through here, most of them unchanged: equal text is not parsed.
  if (before === after) return;
  if (before instanceof Encoded && after instanceof Encoded) return attributeChanges(before.value, after.value, path, into);
  const texts = [templateText(before), templateText(after)];
  if (texts[0] !== undefined && texts[0] === texts[1]) return;
  // A JSON document in a string (an IoT or IAM policy template): which statement changed, not the whole text.
  const documents = texts.map(jsonDocument);
  if (documents[0] !== undefined && documents[1] !== undefined) return attributeChanges(documents[0], documents[1], `${path}#`, into);
  if (isRecord(before) && isRecord(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys)
      attributeChanges(
        ownEntry(before, key) as Value | undefined,
        ownEntry(after, key) as Value | undefined,
        path && !path.endsWith("#") ? `${path}.${key}` : `${path}${key}`,
        into,
      );
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item: Value, i: number) => attributeChanges(item, after[i], `${path}[${i}]`, into));
    return;
  }
  const was = before === undefined ? undefined : JSON.stringify(before);
  const now = after === undefined ? undefined : JSON.stringify(after);
  if (was !== now) into.push({ path, ...(was === undefined ? {} : { before: was }), ...(now === undefined ? {} : { after: now }) });
}

/** The text of a string, or of a string template as the file writes it. */
function templateText(value: Value | undefined): string | undefined {
  return typeof value === "string" ? value : value instanceof Unknown && value.parts !== undefined ? value.expression : undefined;
}

/** The object or array a text holds as JSON, if it does. */
function jsonDocument(text: string | undefined): Value | undefined {
  if (text === undefined || !/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as Value;
  } catch {
    return undefined;
  }
}
