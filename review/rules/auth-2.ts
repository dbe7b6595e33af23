import { fail, RuleCheck, Violation } from "../rule";
import { Encoded, isRecord, Ref, Unknown, Value } from "../value";

/** PEM private keys of every kind (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`). */
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Resources whose whole purpose is to put a private key in Terraform state. */
const KEY_MAKERS = ["tls_private_key"];

/** AUTH-2: no PEM private key anywhere in the configuration: not in a resource, an output, a local or a variable. */
export const noPrivateKeys: RuleCheck = (model) => {
  const violations: Violation[] = [];
  for (const resource of model.resources) {
    if (KEY_MAKERS.includes(resource.type)) violations.push(fail(resource.address, `${resource.type} generates a private key into Terraform state`));
    for (const path of keyPaths(resource.attributes, "")) violations.push(fail(resource.address, `${path} holds a PEM private key`));
  }
  for (const loose of model.looseValues) {
    for (const path of keyPaths(loose.value, "")) violations.push(fail(loose.address, `${path || "value"} holds a PEM private key`));
  }
  return violations;
};

function keyPaths(value: Value | undefined, path: string): string[] {
  if (typeof value === "string") return PRIVATE_KEY.test(value) ? [path] : [];
  if (value instanceof Unknown) return (value.parts ?? []).some((p) => typeof p === "string" && PRIVATE_KEY.test(p)) ? [path] : [];
  if (value instanceof Encoded) return keyPaths(value.value, path);
  if (value instanceof Ref || value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => keyPaths(v, `${path}[${i}]`));
  if (isRecord(value)) return Object.entries(value).flatMap(([k, v]) => keyPaths(v, path ? `${path}.${k}` : k));
  return [];
}
