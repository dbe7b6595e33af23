/**
 * A small evaluator of AWS IoT policy documents, written from the IoT Core policy rules
 * (explicit Deny wins; an Allow needs a matching action, resource and every condition;
 * `*` and `?` are wildcards in actions and resources; `${...}` policy variables are substituted).
 * It knows only the variables and condition keys moat uses, and throws on anything else, so
 * a compiler that starts emitting something new fails the tests instead of being misjudged.
 */
export interface IotRequest {
  readonly action: string;
  readonly resource: string;
  readonly thingName: string;
  readonly sourceVpce: string;
  readonly isAttached: boolean;
}

interface Statement {
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

export function iotAllows(documents: ReadonlyArray<{ Statement: readonly unknown[] }>, request: IotRequest): boolean {
  const statements = documents.flatMap((d) => d.Statement as Statement[]);
  const matching = statements.filter((s) => matches(s, request));
  if (matching.some((s) => s.Effect === "Deny")) return false;
  return matching.some((s) => s.Effect === "Allow");
}

function matches(statement: Statement, request: IotRequest): boolean {
  const actions = ([] as string[]).concat(statement.Action);
  const resources = ([] as string[]).concat(statement.Resource);
  return (
    actions.some((a) => wildcardMatch(a, request.action)) &&
    resources.some((r) => wildcardMatch(substitute(r, request), request.resource)) &&
    conditionsHold(statement.Condition ?? {}, request)
  );
}

function substitute(resource: string, request: IotRequest): string {
  return resource.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    if (name === "iot:Connection.Thing.ThingName") return request.thingName;
    throw new Error(`evaluator does not know policy variable \${${name}}`);
  });
}

function conditionsHold(condition: Record<string, Record<string, string>>, request: IotRequest): boolean {
  return Object.entries(condition).every(([operator, pairs]) =>
    Object.entries(pairs).every(([key, expected]) => {
      const actual = contextValue(key, request);
      if (operator === "Bool") return String(actual) === expected;
      if (operator === "StringEquals") return actual === expected;
      throw new Error(`evaluator does not know condition operator ${operator}`);
    }),
  );
}

function contextValue(key: string, request: IotRequest): string | boolean {
  if (key === "iot:Connection.Thing.IsAttached") return request.isAttached;
  if (key === "aws:SourceVpce") return request.sourceVpce;
  throw new Error(`evaluator does not know condition key ${key}`);
}

function wildcardMatch(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(value);
}
