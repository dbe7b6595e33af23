import { fail, RuleCheck, Violation } from "../rule";
import { Encoded, Ref, Unknown, Value } from "../value";

/** PEM private keys of every kind (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`). */
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Resources whose whole purpose is to put a private key in Terraform state. */
const KEY_MAKERS = ["tls_private_key"];

/** AUTH-2: no PEM private key anywhere in the configuration: not in a resource, an output, a local or a variable. */
export const noPrivateKeys: RuleCheck = (model) => {
  const violations: Violation[] = [];
  for (const type of KEY_MAKERS) {
    model.ofType(type).forEach((r) => violations.push(fail(r.address, `${r.type} generates a private key into Terraform state`)));
  }
  // Only values the loader saw PEM text in can hold a PEM private key.
  for (const resource of model.resources) {
    if (resource.holdsPem) for (const path of keyPaths(resource.attributes, "")) violations.push(fail(resource.address, `${path} holds a PEM private key`));
  }
  for (const loose of model.looseValues) {
    if (loose.holdsPem) for (const path of keyPaths(loose.value, "")) violations.push(fail(loose.address, `${path || "value"} holds a PEM private key`));
  }
  return violations;
};

/** Paths (`tags.key`, `[0].pem`) of the strings holding a private key; the path is built only for a hit. */
function keyPaths(value: Value | undefined, path: string): string[] {
  const hits: string[] = [];
  const trail: (string | number)[] = [];
  const walk = (v: Value | undefined): void => {
    // Cheapest tests first: this walk visits every value of the stack.
    if (typeof v === "string") {
      if (v.length > 40 && v.indexOf("PRIVATE KEY-----") !== -1 && PRIVATE_KEY.test(v)) hits.push(pathOf(path, trail));
    } else if (typeof v !== "object" || v === null || v instanceof Ref) {
      return;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        trail.push(i);
        walk(v[i]);
        trail.pop();
      }
    } else if (v instanceof Unknown) {
      if ((v.parts ?? []).some((p) => typeof p === "string" && PRIVATE_KEY.test(p))) hits.push(pathOf(path, trail));
    } else if (v instanceof Encoded) walk(v.value);
    else {
      const record = v as Record<string, Value>;
      for (const key in record) {
        trail.push(key);
        walk(record[key]);
        trail.pop();
      }
    }
  };
  walk(value);
  return hits;
}

function pathOf(root: string, trail: readonly (string | number)[]): string {
  return trail.reduce<string>((p, step) => (typeof step === "number" ? `${p}[${step}]` : p ? `${p}.${step}` : step), root);
}
