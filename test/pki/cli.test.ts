import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { cleanup, environmentsDir, moatPki, openssl, PASSPHRASE, scratch } from "./pki-fixtures";

describe("moat pki happy paths not covered elsewhere", () => {
  let dir: string;
  let ctx: { pkiDir: string; environmentsDir: string };
  beforeEach(() => {
    dir = scratch();
    ctx = { pkiDir: join(dir, "store"), environmentsDir: environmentsDir(dir, { keyType: "rsa2048" }) };
  });
  afterEach(() => {
    delete process.env.MOAT_CA_PASSPHRASE;
    cleanup(dir);
  });

  it("init takes the key type from the environment and the passphrase from MOAT_CA_PASSPHRASE", async () => {
    process.env.MOAT_CA_PASSPHRASE = PASSPHRASE;
    const result = await moatPki(["init", "--env", "lab"], ctx);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^created rsa2048 CA for 'lab'/);
    expect(openssl(["x509", "-in", join(ctx.pkiDir, "lab/ca/issuing.pem"), "-noout", "-text"])).toContain("Public-Key: (2048 bit)");
    // and the same variable unlocks the key later
    const v = await moatPki(["verification-cert", "--env", "lab", "--registration-code", "0a1b2c3d"], ctx);
    expect(v.code).toBe(0);
    expect(new X509Certificate(readFileSync(join(ctx.pkiDir, "lab/aws/verification.pem"))).subject).toBe("CN=0a1b2c3d");
  });

  it("init --unencrypted-dev-key in a lab environment warns on stderr; issue --device writes a 0600 key", async () => {
    const init = await moatPki(["init", "--env", "lab", "--key-type", "p256", "--unencrypted-dev-key"], ctx);
    expect(init.code).toBe(0);
    expect(init.stderr).toMatch(/^moat pki: WARNING: the CA keys in .* are NOT encrypted \(lab\/dev only\); never use this CA for production devices\n$/);

    const out = join(dir, "devices");
    const issue = await moatPki(["issue", "--env", "lab", "--class", "sensor", "--device", "bench-01", "--out-dir", out], ctx);
    expect(issue.code).toBe(0);
    expect(statSync(join(out, "bench-01.key")).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(readFileSync(join(out, "bench-01.pem")));
    expect(cert.subject).toBe("OU=sensor\nCN=bench-01");
    expect(openssl(["verify", "-x509_strict", "-CAfile", join(ctx.pkiDir, "lab/ca/root.pem"), "-untrusted", join(out, "chain.pem"), join(out, "bench-01.pem")])).toContain(": OK");
  });

  it("issue --device makes a key of the environment's pki.keyType", async () => {
    expect((await moatPki(["init", "--env", "lab", "--unencrypted-dev-key"], ctx)).code).toBe(0);
    expect((await moatPki(["issue", "--env", "lab", "--class", "sensor", "--device", "rsa-dev", "--out-dir", join(dir, "r")], ctx)).code).toBe(0);
    expect(openssl(["pkey", "-in", join(dir, "r", "rsa-dev.key"), "-noout", "-text"])).toContain("Private-Key: (2048 bit");
  });

  it("issue --device uses the environment's deviceValidityDays", async () => {
    const envs = environmentsDir(join(dir, "short"), { deviceValidityDays: 10 });
    const c = { ...ctx, environmentsDir: envs };
    expect((await moatPki(["init", "--env", "lab", "--unencrypted-dev-key"], c)).code).toBe(0);
    expect((await moatPki(["issue", "--env", "lab", "--class", "sensor", "--device", "d", "--out-dir", join(dir, "d")], c)).code).toBe(0);
    const cert = new X509Certificate(readFileSync(join(dir, "d", "d.pem")));
    const days = (Date.parse(cert.validTo) - Date.now()) / 86400_000;
    expect(days).toBeGreaterThan(9.9);
    expect(days).toBeLessThan(10.1);
  });
});
