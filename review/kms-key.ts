import { derived, Resource, ReviewModel } from "./model";
import { Principal, readPolicy, Statement } from "./policy-document";
import { fail, unknown, Violation } from "./rule";
import { knownText } from "./segment";
import { Ref, Unknown, Value } from "./value";

/**
 * What makes a log store's KMS key unfit: a key outside the stack (its policy, state and account
 * unseen), a disabled key, rotation off, a key policy or grant that lets anyone but the account
 * and its services use it. `store` is the resource reported when the key itself is not in the stack.
 */
export function keyProblems(model: ReviewModel, store: Resource, value: Value | undefined, what: string): Violation[] {
  if (value === undefined || value === null) return [];
  const key = value instanceof Ref ? model.get(value.address) : undefined;
  if (!key || key.mode === "data")
    return [
      unknown(store.address, `${what} ${String(value)} is not a key of this stack: its key policy, state and account cannot be checked`),
    ];
  if (key.type !== "aws_kms_key") return [fail(store.address, `${what} ${String(value)} is not a customer-managed key`)];
  const out: Violation[] = [];
  const { is_enabled: enabled, enable_key_rotation: rotation } = key.attributes;
  if (enabled === false) out.push(fail(key.address, `${what} is disabled: nothing can be written to (or read from) the log store`));
  else if (enabled !== undefined && enabled !== true)
    out.push(unknown(key.address, `${what}: is_enabled ${String(enabled)} is known only at apply time`));
  if (rotation !== true)
    out.push(
      rotation === undefined || rotation === false || rotation === null
        ? fail(key.address, `${what} does not rotate (enable_key_rotation is not true)`)
        : unknown(key.address, `${what}: enable_key_rotation ${String(rotation)} is known only at apply time`),
    );
  const policies = [
    key.attributes.policy,
    ...model
      .ofType("aws_kms_key_policy")
      .filter((p) => p.attributes.key_id instanceof Ref && p.attributes.key_id.address === key.address)
      .map((p) => p.attributes.policy),
  ];
  for (const policy of policies) {
    if (policy === undefined || policy === null) continue;
    const reading = readPolicy(model, policy);
    if ("problem" in reading) {
      out.push(
        reading.unknown
          ? unknown(key.address, `${what} policy: ${reading.problem}`)
          : fail(key.address, `${what} policy: ${reading.problem}`),
      );
      continue;
    }
    for (const s of reading.statements.filter((st) => st.effect === "Allow"))
      out.push(...foreignGrants(model, s, key.address, `${what} policy`));
  }
  for (const grant of model
    .ofType("aws_kms_grant")
    .filter((g) => g.attributes.key_id instanceof Ref && g.attributes.key_id.address === key.address)) {
    out.push(
      fail(grant.address, `a KMS grant lets ${String(grant.attributes.grantee_principal)} use the log store's key outside its key policy`),
    );
  }
  return out;
}

/**
 * The stack's own account ids as the file states them: a plan reads `data.aws_caller_identity`
 * at plan time and holds its account_id; a cdk.tf.json refers to it (see principalVerdict).
 */
const ownAccounts = derived((model: ReviewModel): ReadonlySet<string> => {
  const accounts = new Set<string>();
  for (const r of model.resources)
    if (r.mode === "data" && r.type === "aws_caller_identity" && typeof r.attributes.account_id === "string")
      accounts.add(r.attributes.account_id);
  return accounts;
});

/** An Allow statement's principals outside the account and AWS services: everyone (`*`), another account, or one known only at apply time. */
export function foreignGrants(model: ReviewModel, statement: Statement, address: string, what: string): Violation[] {
  const own = ownAccounts(model);
  const out: Violation[] = [];
  const actions = statement.actions.map(String).join(", ");
  if (statement.notPrincipal) out.push(fail(address, `${what}: an Allow with NotPrincipal grants ${actions} to everyone but a list`));
  for (const principal of statement.principals) {
    const verdict = principalVerdict(principal, own);
    if (verdict === "everyone") out.push(fail(address, `${what}: allows ${actions} to every principal ("*")`));
    else if (verdict === "foreign")
      out.push(fail(address, `${what}: allows ${actions} to ${String(principal.value)}, outside the stack's account`));
    else if (verdict === "unknown") out.push(unknown(address, `${what}: principal ${String(principal.value)} is known only at apply time`));
  }
  return out;
}

/** The stack's own account is written with a reference (`data.aws_caller_identity`); a literal account id is someone else's as far as the file tells. */
function principalVerdict(principal: Principal, own: ReadonlySet<string>): "own" | "service" | "everyone" | "foreign" | "unknown" {
  if (principal.kind === "Service") return "service";
  const text = knownText(principal.value);
  if (text === "*") return "everyone";
  if (text === undefined) return "unknown";
  if (principal.kind !== "AWS" && principal.kind !== "*") return "foreign";
  const account = /^(\d{12})$|^arn:[^:]*:(?:iam|sts)::(\d{12}):/.exec(text);
  if (account) return own.has(account[1] ?? account[2]) ? "own" : "foreign";
  const ownHoles =
    principal.value instanceof Unknown &&
    (principal.value.parts ?? []).every(
      (p) => typeof p === "string" || (p instanceof Ref && /^data\.aws_(caller_identity|partition)\./.test(p.address)),
    );
  return ownHoles && /^arn:(aws[a-z-]*|\u0000):iam::\u0000:root$/.test(text) ? "own" : "unknown";
}
