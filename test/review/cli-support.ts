import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import { main } from "../../bin/moat";
import { Json } from "./fixture-stack";
import { scratchDir } from "../support/scratch";

/** Runs `moat ...` in-process; returns the exit code and both streams. */
export async function moat(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** A fresh cdktf.out-like directory holding the given stacks as stacks/<name>/cdk.tf.json. */
export function writeOut(stacks: Record<string, Json | string>): string {
  const out = scratchDir("moat-review-");
  for (const [name, json] of Object.entries(stacks)) {
    mkdirSync(join(out, "stacks", name), { recursive: true });
    // Text as given: a test of hostile input may hold JSON that JSON.stringify cannot write.
    writeFileSync(join(out, "stacks", name, "cdk.tf.json"), typeof json === "string" ? json : JSON.stringify(named(json, name), null, 2));
  }
  return out;
}

/** The stack as cdktf writes it into stacks/<name>/: the file's own stackName is its directory's name. */
function named(json: Json, name: string): Json {
  const comment = (json as { "//"?: { metadata?: Record<string, unknown> } })["//"];
  if (comment?.metadata === undefined) return json;
  return { ...(json as object), "//": { ...comment, metadata: { ...comment.metadata, stackName: name } } } as Json;
}

export function tempFile(name: string, content: string): string {
  const dir = scratchDir("moat-review-");
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}

/**
 * environments/dev.yaml without its `review.suppressions`, as YAML text: those name resources of
 * the shipped dev stack, so reviewing a fixture stack against them would refuse them as matching nothing.
 */
export function devWithoutSuppressions(): string {
  const dev = load(readFileSync("environments/dev.yaml", "utf8")) as Record<string, unknown>;
  delete dev.review;
  return dump(dev);
}

/** `--env dev` for fixture stacks: dev's network, log and topic settings, none of its suppressions. */
export const FIXTURE_DEV: readonly string[] = (() => {
  const dir = scratchDir("moat-envs-");
  writeFileSync(join(dir, "dev.yaml"), devWithoutSuppressions());
  return ["--env", "dev", "--environments-dir", dir];
})();

/** The base branch's environment files for `--base` runs: the same settings as FIXTURE_DEV. */
export const BASE_DEV: readonly string[] = ["--base-environments-dir", FIXTURE_DEV[3]];
