import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";

// The pull-request workflow cannot run here (no GitHub); what can be checked is its shape:
// the job that runs the pull request's code holds no write permission, and the job that holds
// them runs nothing from the pull request.
interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly steps: Step[];
}

const workflow = yaml.load(readFileSync(join(__dirname, "..", "..", ".github", "workflows", "review.yml"), "utf8")) as {
  permissions?: unknown;
  jobs: Record<string, Job>;
};
const runsPullRequestCode = (job: Job) =>
  job.steps.some((s) => /\b(npm|npx|node|tsx)\b/.test(s.run ?? "") || (s.uses ?? "").startsWith("actions/setup-node"));
/** Scopes a job may write: its own permissions, else the workflow's (GitHub's rule). */
const writes = (job: Job) =>
  Object.entries(job.permissions ?? (workflow.permissions as Record<string, string> | undefined) ?? {})
    .filter(([, level]) => level === "write")
    .map(([scope]) => scope);

describe("the pull-request review workflow: least privilege", () => {
  test("grants nothing by default: every job names its own permissions", () => {
    expect(workflow.permissions).toEqual({});
    for (const job of Object.values(workflow.jobs)) expect(job.permissions).toBeDefined();
  });

  test("runs the pull request's code (npm ci, synth, review) only in jobs with a read-only token", () => {
    const running = Object.entries(workflow.jobs).filter(([, job]) => runsPullRequestCode(job));
    expect(running.map(([name]) => name)).toEqual(["review"]);
    for (const [, job] of running) expect(writes(job)).toEqual([]);
  });

  test("posts the comment and uploads SARIF from a job that runs no code of the pull request, from the review job's artifact", () => {
    const writers = Object.entries(workflow.jobs).filter(([, job]) => writes(job).length > 0);
    expect(writers.map(([name]) => name)).toEqual(["publish"]);
    const [, publish] = writers[0];
    expect(writes(publish).sort()).toEqual(["pull-requests", "security-events"]);
    expect(runsPullRequestCode(publish)).toBe(false);
    expect(publish.steps.filter((s) => s.run !== undefined)).toEqual([]);
    for (const checkout of publish.steps.filter((s) => (s.uses ?? "").startsWith("actions/checkout")))
      expect(checkout.with?.["persist-credentials"]).toBe(false);
    expect(publish.needs).toBe("review");
    const uploaded = workflow.jobs.review.steps.find((s) => (s.uses ?? "").startsWith("actions/upload-artifact"))?.with?.name;
    const downloaded = publish.steps.find((s) => (s.uses ?? "").startsWith("actions/download-artifact"))?.with?.name;
    expect(uploaded).toBe("moat-review");
    expect(downloaded).toBe(uploaded);
    const actions = publish.steps.map((s) => (s.uses ?? "").split("@")[0]);
    expect(actions).toEqual(expect.arrayContaining(["actions/github-script", "github/codeql-action/upload-sarif"]));
  });

  test("pins every action to a full commit SHA, so a moved tag cannot change what runs with the token", () => {
    const uses = Object.values(workflow.jobs).flatMap((job) => job.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
    expect(uses.length).toBeGreaterThanOrEqual(7);
    for (const action of uses) expect(action).toMatch(/^[\w.-]+\/[\w.\/-]+@[0-9a-f]{40}$/);
  });

  test("checks out the pull request without leaving the token in the git config", () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const checkout of job.steps.filter((s) => (s.uses ?? "").startsWith("actions/checkout")))
        expect(checkout.with?.["persist-credentials"]).toBe(false);
    }
  });
});
