import { PRIVATE_KEY_HEADER } from "../../../core/pem";
import { computedKey, encodedKey } from "../../key-material";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { Encoded, Ref, Unknown, Value } from "../../value";

/** Resources whose whole purpose is to put a private key in Terraform state. */
const KEY_MAKERS = ["tls_private_key"];

/** TLS-provider resources that take a private key as an argument: it is stored in config and state with them. */
const KEY_HOLDERS: ReadonlyMap<string, string> = new Map([
  ["tls_self_signed_cert", "private_key_pem"],
  ["tls_locally_signed_cert", "ca_private_key_pem"],
  ["tls_cert_request", "private_key_pem"],
]);

/** Data sources that read a file into state, with the argument naming the file. */
const FILE_READERS: ReadonlyMap<string, string> = new Map([
  ["local_file", "filename"],
  ["local_sensitive_file", "filename"],
]);

/** AUTH-2: no PEM private key anywhere in the configuration: not in a resource, an output, a local or a variable. */
export const noPrivateKeys: RuleCheck = (model) => {
  const violations: Violation[] = [];
  for (const type of KEY_MAKERS) {
    model.ofType(type).forEach((r) => violations.push(fail(r.address, `${r.type} generates a private key into Terraform state`)));
  }
  for (const [type, argument] of KEY_HOLDERS) {
    model
      .ofType(type)
      .forEach((r) =>
        violations.push(
          fail(
            r.address,
            `${r.type} takes the private key (${argument}) as an argument: it is kept in Terraform config and state${type === "tls_locally_signed_cert" ? ", and here it is a CA's key" : ""}`,
          ),
        ),
      );
  }
  for (const resource of model.resources) {
    const argument = resource.mode === "data" ? FILE_READERS.get(resource.type) : undefined;
    const file = argument ? resource.attributes[argument] : undefined;
    if (argument && (typeof file !== "string" || /key|\.pem$|\.p12$|\.pfx$|\.p8$/i.test(file)))
      violations.push(fail(resource.address, `reads ${String(file)} into Terraform state, where a private key in it is leaked`));
  }
  // Only values the loader saw PEM text in can hold a literal PEM private key; encoded and assembled
  // keys hold no marker, so every value is read for them.
  for (const resource of model.resources) {
    if (resource.holdsPem)
      for (const path of keyPaths(resource.attributes)) violations.push(fail(resource.address, `${path} holds a PEM private key`));
    for (const hit of hiddenKeys(resource.attributes))
      violations.push(
        hit.unknown ? unknown(resource.address, `${hit.path}: ${hit.message}`) : fail(resource.address, `${hit.path}: ${hit.message}`),
      );
  }
  for (const loose of model.looseValues) {
    if (loose.holdsPem)
      for (const path of keyPaths(loose.value)) violations.push(fail(loose.address, `${path || "value"} holds a PEM private key`));
    for (const hit of hiddenKeys(loose.value))
      violations.push(
        hit.unknown
          ? unknown(loose.address, `${hit.path || "value"}: ${hit.message}`)
          : fail(loose.address, `${hit.path || "value"}: ${hit.message}`),
      );
  }
  return violations;
};

interface HiddenKey {
  readonly path: string;
  readonly message: string;
  readonly unknown: boolean;
}

const NO_HITS: readonly HiddenKey[] = [];
/** The walk's trail of keys and indexes, and its hits, shared by every walk: most values have none to report. */
const trail: (string | number)[] = [];
let hits: HiddenKey[] | undefined;

/** Keys no PEM marker shows: base64 text of one, or an apply-time value that decodes, reads or assembles one. */
function hiddenKeys(value: Value | undefined): readonly HiddenKey[] {
  trail.length = 0;
  hits = undefined;
  scanHidden(value);
  const found = hits ?? NO_HITS;
  hits = undefined;
  return found;
}

/** Every string and apply-time value inside a value, as {@link walkLeaves} visits them, without a closure per value. */
function scanHidden(v: Value | undefined): void {
  if (typeof v === "string") {
    const why = encodedKey(v);
    if (why) (hits ??= []).push({ path: pathOf(trail), message: why, unknown: false });
  } else if (v instanceof Unknown) {
    const why = computedKey(v);
    if (why) (hits ??= []).push({ path: pathOf(trail), ...why });
  } else if (typeof v !== "object" || v === null || v instanceof Ref) return;
  else if (v instanceof Encoded) scanHidden(v.value);
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      trail.push(i);
      scanHidden(v[i]);
      trail.pop();
    }
  } else {
    const record = v as Record<string, Value>;
    for (const key in record) {
      trail.push(key);
      scanHidden(record[key]);
      trail.pop();
    }
  }
}

/** Paths (`tags.key`, `[0].pem`) of the strings holding a private key; the path is built only for a hit. */
function keyPaths(value: Value | undefined): string[] {
  const hits: string[] = [];
  walkLeaves(value, (leaf, trail) => {
    // Cheapest tests first: this visits every string of the stack.
    if (typeof leaf === "string") {
      if (leaf.length > 40 && leaf.indexOf("PRIVATE KEY-----") !== -1 && PRIVATE_KEY_HEADER.test(leaf)) hits.push(pathOf(trail));
    } else if ((leaf.parts ?? []).some((p) => typeof p === "string" && PRIVATE_KEY_HEADER.test(p))) hits.push(pathOf(trail));
  });
  return hits;
}

/**
 * Visits every string and apply-time value inside a value (through lists, objects and encoded
 * values; references hold no text), with the trail of keys and indexes that leads to it.
 */
function walkLeaves(value: Value | undefined, visit: (leaf: string | Unknown, trail: readonly (string | number)[]) => void): void {
  const trail: (string | number)[] = [];
  const walk = (v: Value | undefined): void => {
    if (typeof v === "string" || v instanceof Unknown) visit(v, trail);
    else if (typeof v !== "object" || v === null || v instanceof Ref) return;
    else if (v instanceof Encoded) walk(v.value);
    else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        trail.push(i);
        walk(v[i]);
        trail.pop();
      }
    } else {
      const record = v as Record<string, Value>;
      for (const key in record) {
        trail.push(key);
        walk(record[key]);
        trail.pop();
      }
    }
  };
  walk(value);
}

function pathOf(trail: readonly (string | number)[]): string {
  return trail.reduce<string>((p, step) => (typeof step === "number" ? `${p}[${step}]` : p ? `${p}.${step}` : step), "");
}
