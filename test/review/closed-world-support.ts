import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironment } from "../../config";
import { review } from "../../review/engine";
import { contextFromEnvironment, suppressionsFromEnvironment } from "../../review/environment-context";
import { Finding } from "../../review/finding";
import { loadCdktfJson } from "../../review/load-cdktf";
import { buildApp } from "../../stacks/app";
import { moat, writeOut } from "./cli-support";
import { Json } from "./fixture-stack";

/**
 * The shipped dev and prod stacks, synthesized once per test file, and the two ways the
 * adversarial tests review an edited copy: in process (fast, for tables and fuzzing) and through
 * the CLI with extra files in the stack directory (what Terraform would read there too).
 */
export function shippedStacks(): { dev: () => Json; prod: () => Json } {
  const outdir = mkdtempSync(join(tmpdir(), "moat-closed-world-"));
  buildApp({ environments: ["dev", "prod"], outdir }).app.synth();
  const texts = {
    dev: readFileSync(join(outdir, "stacks", "iot-dev", "cdk.tf.json"), "utf8"),
    prod: readFileSync(join(outdir, "stacks", "iot-prod", "cdk.tf.json"), "utf8"),
  };
  rmSync(outdir, { recursive: true, force: true });
  return { dev: () => JSON.parse(texts.dev), prod: () => JSON.parse(texts.prod) };
}

const environments = { dev: loadEnvironment("dev"), prod: loadEnvironment("prod") };

/** Reviews a stack of environment `env` in process, with that environment's context and suppressions. */
export function reviewInProcess(stack: Json, env: "dev" | "prod" = "dev"): { findings: readonly Finding[]; blocking: readonly Finding[] } {
  const name = `iot-${env}`;
  const text = JSON.stringify(stack);
  const model = loadCdktfJson(JSON.parse(text), `${name}/cdk.tf.json`, name, text);
  const config = environments[env];
  const result = review([{ model, context: contextFromEnvironment(config) }], suppressionsFromEnvironment(config, name));
  return { findings: result.stacks[0].findings, blocking: result.blocking };
}

/** Reviews a dev stack through `moat review --format json`, with `files` written next to its cdk.tf.json. */
export async function reviewWithFiles(stack: Json | string, files: Record<string, string> = {}, ...args: string[]): Promise<{ code: number; stderr: string; findings: Json[]; dir: string }> {
  const out = writeOut({ "iot-dev": stack });
  const dir = join(out, "stacks", "iot-dev");
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const run = await moat("review", out, "--format", "json", ...args);
  const findings = run.code === 2 || run.stdout === "" ? [] : (JSON.parse(run.stdout).stacks[0].findings as Json[]);
  return { code: run.code, stderr: run.stderr, findings, dir };
}

/** The name of the one resource of a type in a shipped stack (or the first, in file order). */
export function first(stack: Json, type: string, where: (body: Json) => boolean = () => true): string {
  const found = Object.entries(stack.resource[type] as Record<string, Json>).find(([, body]) => where(body));
  if (!found) throw new Error(`no ${type} in the stack`);
  return found[0];
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
