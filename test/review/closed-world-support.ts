import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Finding, isBlocking } from "../../review/finding";
import { cleanStack, Env, findResource, reviewAs } from "./clean-stacks";
import { moat, writeOut } from "./cli-support";
import { Json } from "./fixture-stack";

/**
 * The shipped dev and prod stacks and the two ways the adversarial tests review an edited copy:
 * in process (fast, for tables and fuzzing; the same review as the identity and log-store tables,
 * from ./clean-stacks) and through the CLI with extra files in the stack directory (what
 * Terraform would read there too).
 */
export function shippedStacks(): { dev: () => Json; prod: () => Json } {
  return { dev: () => cleanStack("dev"), prod: () => cleanStack("prod") };
}

/** Reviews a stack of environment `env` in process, with that environment's context and suppressions. */
export function reviewInProcess(stack: Json, env: Env = "dev"): { findings: readonly Finding[]; blocking: readonly Finding[] } {
  // As the file Terraform reads: an edit that leaves a value JSON cannot hold (undefined, NaN) is reviewed as written.
  const findings = reviewAs(env, JSON.parse(JSON.stringify(stack)));
  return { findings, blocking: findings.filter(isBlocking) };
}

/** Reviews a dev stack through `moat review --format json`, with `files` written next to its cdk.tf.json. */
export async function reviewWithFiles(
  stack: Json | string,
  files: Record<string, string> = {},
  ...args: string[]
): Promise<{ code: number; stderr: string; findings: Json[]; dir: string }> {
  const out = writeOut({ "iot-dev": stack });
  const dir = join(out, "stacks", "iot-dev");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const run = await moat("review", out, "--format", "json", ...args);
  const findings = run.code === 2 || run.stdout === "" ? [] : (JSON.parse(run.stdout).stacks[0].findings as Json[]);
  return { code: run.code, stderr: run.stderr, findings, dir };
}

/** The name of the one resource of a type in a shipped stack (or the first, in file order). */
export function first(stack: Json, type: string, where: (body: Json) => boolean = () => true): string {
  return findResource(stack, type, where)[0];
}

/** `${type.name.attribute}` of a resource found with {@link first}. */
export function ref(stack: Json, type: string, attribute = "id", where?: (body: Json) => boolean): string {
  return `\${${type}.${first(stack, type, where)}.${attribute}}`;
}

/** Adds a resource to a stack, creating its type section when needed. */
export function add(stack: Json, type: string, name: string, body: Json): string {
  stack.resource[type] ??= {};
  stack.resource[type][name] = body;
  return `${type}.${name}`;
}

export const isDevice = (body: Json) => body.tags?.["moat:role"] === "device";
export const isEndpoint = (body: Json) => body.tags?.["moat:role"] === "endpoint";
export const isBrokerGroup = (body: Json) => String(body.description).startsWith("IoT Core data endpoint");
export const isDeviceAcl = (body: Json) => String(body.tags?.Name).endsWith("device-acl");
