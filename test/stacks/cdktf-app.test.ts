import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildApp } from "../../stacks/app";
import { ROOT } from "../support/run-moat";

/** The command `cdktf synth` runs (cdktf.json `app`), as cdktf runs it: through a shell, in the checkout. */
const APP_COMMAND: string = JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8")).app;

const stackFile = (outdir: string, env: string) => fs.readFileSync(path.join(outdir, "stacks", `iot-${env}`, "cdk.tf.json"), "utf8");

test("the cdktf.json app command writes what the TypeScript sources build now, for every environment", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "moat-cdktf-app-"));
  const fromCommand = path.join(tmp, "command");
  const result = spawnSync(APP_COMMAND, {
    cwd: ROOT,
    shell: true,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, CDKTF_OUTDIR: fromCommand, CHECKPOINT_DISABLE: "1" },
  });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);

  const inProcess = path.join(tmp, "in-process");
  buildApp({ environments: ["dev", "prod"], outdir: inProcess }).app.synth();
  for (const env of ["dev", "prod"]) expect(stackFile(fromCommand, env)).toBe(stackFile(inProcess, env));
  fs.rmSync(tmp, { recursive: true, force: true });
});
