import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, runMoat } from "../support/run-moat";
import { scratchDir } from "../support/scratch";

/** `npm start` on a fresh clone: create the dev CA once, synthesize dev, review it. */
describe("the npm start sequence", () => {
  const pkiDir = scratchDir("moat-start-pki-");
  const out = scratchDir("moat-start-out-");
  const env = { ...process.env, MOAT_PKI_DIR: pkiDir };

  test("init --if-missing run twice on no PKI store creates the CA once and keeps it", () => {
    const first = runMoat(["pki", "init", "--env", "dev", "--unencrypted-dev-key", "--if-missing", "--pki-dir", pkiDir], {
      env,
      source: true,
    });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created p256 CA for 'dev'/);
    const issuing = path.join(pkiDir, "dev", "ca", "issuing.pem");
    const before = fs.readFileSync(issuing, "utf8");

    const second = runMoat(["pki", "init", "--env", "dev", "--unencrypted-dev-key", "--if-missing", "--pki-dir", pkiDir], {
      env,
      source: true,
    });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/already exists .*; nothing to do/);
    expect(fs.readFileSync(issuing, "utf8")).toBe(before);

    const withoutFlag = runMoat(["pki", "init", "--env", "dev", "--unencrypted-dev-key", "--pki-dir", pkiDir], { env, source: true });
    expect(withoutFlag.code).toBe(1);
  });

  test("dev then synthesizes against that CA and reviews clean", () => {
    expect(runMoat(["synth", "--env", "dev", "--out", out], { env, source: true }).code).toBe(0);
    const tf = fs.readFileSync(path.join(out, "stacks", "iot-dev", "cdk.tf.json"), "utf8");
    const issuing = fs.readFileSync(path.join(pkiDir, "dev", "ca", "issuing.pem"), "utf8").trim();
    expect(tf).toContain(JSON.stringify(issuing).slice(1, 60));
    expect(tf).not.toMatch(/PRIVATE KEY/);
    const review = runMoat(["review", path.join(out, "stacks", "iot-dev")], { env, source: true });
    // The one finding is TLS-3's warning on the endpoint: iot:Data-ATS is outside every plan.
    expect(review.stdout).toMatch(/^PASS\. 1 stack, 1 finding \(0 blocking, 0 suppressed\)/m);
    expect(review.code).toBe(0);
  });

  test("cdktf's own `cdktf synth` then writes iot-dev and iot-prod offline: dev from that store, prod from its committed certificates", () => {
    const cdktfOut = scratchDir("moat-start-cdktf-");
    const result = spawnSync(path.join(ROOT, "node_modules", ".bin", "cdktf"), ["synth", "--output", cdktfOut], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 180_000,
      env: { ...env, CHECKPOINT_DISABLE: "1", CI: "1" },
    });
    expect(result.status).toBe(0);
    expect(fs.readdirSync(path.join(cdktfOut, "stacks")).sort()).toEqual(["iot-dev", "iot-prod"]);
    // The store has no prod CA: prod registers the CA committed with environments/prod.yaml.
    expect(fs.existsSync(path.join(pkiDir, "prod"))).toBe(false);
    const prod = fs.readFileSync(path.join(cdktfOut, "stacks", "iot-prod", "cdk.tf.json"), "utf8");
    const committed = fs.readFileSync(path.join(ROOT, "environments", "prod-ca", "issuing.pem"), "utf8");
    expect(prod).toContain(JSON.stringify(committed).slice(1, -1));
  });
});
