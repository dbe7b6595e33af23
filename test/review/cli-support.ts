import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../bin/moat";
import { Json } from "./fixture-stack";

/** Runs `moat ...` in-process; returns the exit code and both streams. */
export async function moat(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** A fresh cdktf.out-like directory holding the given stacks as stacks/<name>/cdk.tf.json. */
export function writeOut(stacks: Record<string, Json>): string {
  const out = mkdtempSync(join(tmpdir(), "moat-review-"));
  for (const [name, json] of Object.entries(stacks)) {
    mkdirSync(join(out, "stacks", name), { recursive: true });
    writeFileSync(join(out, "stacks", name, "cdk.tf.json"), JSON.stringify(json, null, 2));
  }
  return out;
}

export function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "moat-review-"));
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}
