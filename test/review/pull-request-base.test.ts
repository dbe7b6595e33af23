// --base compares the pull request with its base branch: each side against its own environment files.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_DEV, devWithoutSuppressions, FIXTURE_DEV, moat, writeOut } from "./cli-support";
import { moatStack } from "./fixture-stack";
import { scratchDir } from "../support/scratch";

/** An environments/ directory holding dev.yaml (no suppressions) with `retentionDays`. */
function environments(retentionDays: number, under = scratchDir("moat-envs-")): string {
  mkdirSync(under, { recursive: true });
  writeFileSync(join(under, "dev.yaml"), devWithoutSuppressions().replace(/retentionDays: 365/, `retentionDays: ${retentionDays}`));
  return under;
}

/** The fixture stack with its flow-log retention set, as the environment would synthesize it. */
function stackRetaining(days: number) {
  const stack = moatStack();
  stack.resource.aws_cloudwatch_log_group.flow.retention_in_days = days;
  return stack;
}

const rules = (findings: { rule: string }[]) => findings.map((f) => f.rule).sort();

describe("moat review --base: the base branch is reviewed against its own environment files", () => {
  // The pull request raises retentionDays 365 -> 400 in dev.yaml and the stack follows.
  const baseEnv = environments(365);
  const headEnv = environments(400);
  const base = writeOut({ "iot-dev": stackRetaining(365) });
  const head = writeOut({ "iot-dev": stackRetaining(400) });

  test("a pull request that changes an environment file, reviewed with the base's own files, shows no phantom fixed finding", async () => {
    const run = await moat(
      "review",
      head,
      "--base",
      base,
      "--environments-dir",
      headEnv,
      "--base-environments-dir",
      baseEnv,
      "--format",
      "json",
    );
    const { diff } = JSON.parse(run.stdout);
    expect(diff.fixedFindings).toEqual([]);
    expect(diff.newFindings).toEqual([]);

    // What reviewing the base against the pull request's files reports: the lie this guards against.
    const wrong = JSON.parse(
      (await moat("review", head, "--base", base, "--environments-dir", headEnv, "--base-environments-dir", headEnv, "--format", "json"))
        .stdout,
    );
    expect(rules(wrong.diff.fixedFindings)).toEqual(["LOG-2"]);
  });

  test("a base checked out beside its cdktf.out (as the workflow does) has its environments/ found without a flag", async () => {
    const checkout = scratchDir("moat-base-");
    cpSync(base, join(checkout, "cdktf.out"), { recursive: true });
    environments(365, join(checkout, "environments"));
    const { diff } = JSON.parse(
      (await moat("review", head, "--base", join(checkout, "cdktf.out"), "--environments-dir", headEnv, "--format", "json")).stdout,
    );
    expect(diff.fixedFindings).toEqual([]);
  });

  test("a base with no environment files beside it is refused (exit 2) instead of borrowing the pull request's", async () => {
    const run = await moat("review", head, "--base", base, "--environments-dir", headEnv);
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toBe(
      `moat review: --base ${base}: stack iot-dev needs the base branch's environment files, and none are beside it; pass --base-environments-dir with the base checkout's environments/ (this branch's would report findings the base never had as fixed)\n`,
    );
  });
});

describe("moat review --base: stacks are known by the stackName cdktf writes", () => {
  test("a head reviewed from a differently named directory is the same stack as its base, not an added one", async () => {
    const base = writeOut({ "iot-test": moatStack() });
    const copy = scratchDir("moat-copy-");
    mkdirSync(join(copy, "renamed"));
    writeFileSync(join(copy, "renamed", "cdk.tf.json"), JSON.stringify(moatStack()));
    const { diff } = JSON.parse(
      (await moat("review", join(copy, "renamed"), "--base", base, ...FIXTURE_DEV, ...BASE_DEV, "--format", "json")).stdout,
    );
    expect(diff.stacks).toEqual([expect.objectContaining({ stack: "iot-test", presence: "both", added: [], removed: [] })]);
  });

  test("one stack reviewed against a whole base directory does not count the other stacks' findings as fixed", async () => {
    const other = moatStack();
    other.resource.aws_cloudwatch_log_group.flow.retention_in_days = 30;
    const base = writeOut({ "iot-test": moatStack(), "iot-other": other });
    const head = writeOut({ "iot-test": moatStack() });
    const { diff } = JSON.parse(
      (await moat("review", join(head, "stacks", "iot-test"), "--base", base, ...FIXTURE_DEV, ...BASE_DEV, "--format", "json")).stdout,
    );
    expect(diff.fixedFindings).toEqual([]);
    expect(diff.stacks.find((s: { stack: string }) => s.stack === "iot-other")).toMatchObject({ presence: "base-only" });
  });

  test("two files that claim one stack name are refused with exit 2, naming both", async () => {
    const copy = scratchDir("moat-copy-");
    mkdirSync(join(copy, "a"));
    writeFileSync(join(copy, "a", "cdk.tf.json"), JSON.stringify(moatStack()));
    const run = await moat("review", join(copy, "a"), writeOut({ "iot-test": moatStack() }), ...FIXTURE_DEV);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^moat review: .*cdk\.tf\.json: stack iot-test is also .*a\/cdk\.tf\.json; review each stack once/);
  });
});
