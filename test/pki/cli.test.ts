import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pemHeader } from "../support/pem-block";
import { cleanup, environmentsDir, moatPki, openssl, PASSPHRASE, scratch } from "./pki-fixtures";

/** OpenSSL's strict verdict on a device certificate written by `issue --out-dir`, from the root through the chain written beside it. */
function verifyIssued(pkiDir: string, out: string, device: string): string {
  const root = join(pkiDir, "lab/ca/root.pem");
  return openssl(["verify", "-x509_strict", "-CAfile", root, "-untrusted", join(out, "chain.pem"), join(out, `${device}.pem`)]);
}

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

  test("init takes the key type from the environment and the passphrase from MOAT_CA_PASSPHRASE", async () => {
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

  test("init --root-key-out keeps the root key out of the store: an encrypted 0600 file of the root certificate's key, and issuing still works", async () => {
    process.env.MOAT_CA_PASSPHRASE = PASSPHRASE;
    const offline = join(dir, "offline");
    mkdirSync(offline);
    const rootKey = join(offline, "lab-root.key");
    const init = await moatPki(["init", "--env", "lab", "--key-type", "p256", "--root-key-out", rootKey], ctx);
    expect(init).toMatchObject({ code: 0, stderr: "" });
    expect(init.stdout).toContain(`root key ${rootKey} (not in the store: keep it offline; only a new issuing CA needs it)`);
    expect(existsSync(join(ctx.pkiDir, "lab/ca/root.key"))).toBe(false);
    expect(statSync(rootKey).mode & 0o777).toBe(0o600);
    expect(readFileSync(rootKey, "utf8")).toMatch(pemHeader(["ENCRYPTED", "PRIVATE", "KEY"].join(" ")));
    // OpenSSL decrypts it, and its public key is the root certificate's.
    const fromKey = openssl(["pkey", "-in", rootKey, "-passin", `pass:${PASSPHRASE}`, "-pubout"]);
    expect(fromKey).toBe(openssl(["x509", "-in", join(ctx.pkiDir, "lab/ca/root.pem"), "-noout", "-pubkey"]));
    // The issuing key is all issuance needs.
    const out = join(dir, "devices");
    expect((await moatPki(["issue", "--env", "lab", "--class", "sensor", "--device", "d-1", "--out-dir", out], ctx)).code).toBe(0);
    expect(verifyIssued(ctx.pkiDir, out, "d-1")).toContain(": OK");
  });

  test.each([
    ["inside the store", (d: string) => join(d, "store", "lab-root.key"), /--root-key-out .* is inside the PKI store/],
    ["an existing file", (d: string) => join(d, "taken.key"), /--root-key-out .*taken\.key already exists; init never overwrites a key/],
    [
      "a missing directory",
      (d: string) => join(d, "nowhere", "root.key"),
      /--root-key-out .*: directory .*nowhere does not exist; create it first/,
    ],
  ])("init --root-key-out refuses %s, creating nothing", async (_name, where, message) => {
    process.env.MOAT_CA_PASSPHRASE = PASSPHRASE;
    writeFileSync(join(dir, "taken.key"), "keep me");
    const target = where(dir);
    const result = await moatPki(["init", "--env", "lab", "--root-key-out", target], ctx);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(existsSync(join(ctx.pkiDir, "lab"))).toBe(false);
    expect(readFileSync(join(dir, "taken.key"), "utf8")).toBe("keep me");
    if (!target.endsWith("taken.key")) expect(existsSync(target)).toBe(false);
  });

  describe("where pki.allowLocalKeys is false (prod), the root key goes offline unless a reason is given", () => {
    const REASON = "single-operator pilot account, CA discarded after the pilot";
    beforeEach(() => {
      process.env.MOAT_CA_PASSPHRASE = PASSPHRASE;
    });

    test("init with neither option is refused and makes nothing", async () => {
      const result = await moatPki(["init", "--env", "prod"], ctx);
      expect(result).toMatchObject({ code: 1, stdout: "" });
      expect(result.stderr).toMatch(
        /prod\.yaml has pki\.allowLocalKeys false \(production devices\), so the root CA key does not go into the online store by default: give --root-key-out FILE .* or --root-key-in-store "REASON"/,
      );
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(existsSync(join(ctx.pkiDir, "prod"))).toBe(false);
    });

    test("--root-key-in-store keeps the key in the store and records the reason and the date beside it", async () => {
      const before = Date.now();
      const result = await moatPki(["init", "--env", "prod", "--root-key-in-store", `  ${REASON} `], ctx);
      expect(result).toMatchObject({ code: 0, stderr: "" });
      const reasonFile = join(ctx.pkiDir, "prod/ca/root.key.reason");
      expect(result.stdout).toContain(`root key ${join(ctx.pkiDir, "prod/ca/root.key")} (in the store; reason recorded in ${reasonFile})`);
      const recorded = readFileSync(reasonFile, "utf8");
      const [head, reason] = recorded.split("\n");
      expect(reason).toBe(REASON);
      const decided = Date.parse(head.replace(/^The root CA key of 'prod' is kept in this store, decided (.*):$/, "$1"));
      expect(decided).toBeGreaterThanOrEqual(before - 1000);
      expect(decided).toBeLessThanOrEqual(Date.now());
      // The key itself is the root certificate's, as without the option.
      const fromKey = openssl(["pkey", "-in", join(ctx.pkiDir, "prod/ca/root.key"), "-passin", `pass:${PASSPHRASE}`, "-pubout"]);
      expect(fromKey).toBe(openssl(["x509", "-in", join(ctx.pkiDir, "prod/ca/root.pem"), "-noout", "-pubkey"]));
    });

    test("--root-key-out needs no reason, and the store has neither the key nor a reason file", async () => {
      const rootKey = join(dir, "prod-root.key");
      expect((await moatPki(["init", "--env", "prod", "--root-key-out", rootKey], ctx)).code).toBe(0);
      expect(existsSync(rootKey)).toBe(true);
      expect(existsSync(join(ctx.pkiDir, "prod/ca/root.key"))).toBe(false);
      expect(existsSync(join(ctx.pkiDir, "prod/ca/root.key.reason"))).toBe(false);
    });

    test.each([
      [
        "both options",
        (d: string) => ["--root-key-in-store", REASON, "--root-key-out", join(d, "k.key")],
        /--root-key-in-store and --root-key-out contradict each other/,
      ],
      [
        "a reason too short to say anything",
        () => ["--root-key-in-store", "because"],
        /--root-key-in-store "because" is under a sentence \(1 word, 7 characters\); give one line of at least 4 words and 20 characters that says why/,
      ],
      [
        "a reason of several lines",
        () => ["--root-key-in-store", "first line of it\nsecond line"],
        /spans several lines; give one line of at least 4 words/,
      ],
    ])("refuses %s, making nothing", async (_name, options, message) => {
      const result = await moatPki(["init", "--env", "prod", ...options(dir)], ctx);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(existsSync(join(ctx.pkiDir, "prod"))).toBe(false);
      expect(existsSync(join(dir, "k.key"))).toBe(false);
    });

    test("list warns about a root key left in a production store with no recorded reason (a store made before init asked)", async () => {
      expect((await moatPki(["init", "--env", "prod", "--root-key-in-store", REASON], ctx)).code).toBe(0);
      const quiet = await moatPki(["list", "--env", "prod"], ctx);
      expect(quiet).toMatchObject({ code: 0, stderr: "" });
      rmSync(join(ctx.pkiDir, "prod/ca/root.key.reason"));
      const warned = await moatPki(["list", "--env", "prod"], ctx);
      expect(warned.code).toBe(0);
      expect(warned.stderr).toBe(
        `moat pki: WARNING: the root CA key of 'prod' is in the store (${join(ctx.pkiDir, "prod/ca/root.key")}) and no reason is recorded: move the file to offline media (only a new issuing CA needs it), or write why it stays into ${join(ctx.pkiDir, "prod/ca/root.key.reason")}\n`,
      );
      // Moved offline, nothing to say.
      renameSync(join(ctx.pkiDir, "prod/ca/root.key"), join(dir, "prod-root.key"));
      expect((await moatPki(["list", "--env", "prod"], ctx)).stderr).toBe("");
    });

    test("a lab environment (allowLocalKeys true) keeps the old default: the key in the store, no reason asked", async () => {
      expect((await moatPki(["init", "--env", "lab"], ctx)).code).toBe(0);
      expect(existsSync(join(ctx.pkiDir, "lab/ca/root.key"))).toBe(true);
      expect(existsSync(join(ctx.pkiDir, "lab/ca/root.key.reason"))).toBe(false);
      expect((await moatPki(["list", "--env", "lab"], ctx)).stderr).toBe("");
    });
  });

  test("init --unencrypted-dev-key in a lab environment warns on stderr; issue --device writes a 0600 key", async () => {
    const init = await moatPki(["init", "--env", "lab", "--key-type", "p256", "--unencrypted-dev-key"], ctx);
    expect(init.code).toBe(0);
    expect(init.stderr).toMatch(
      /^moat pki: WARNING: the CA keys in .* are NOT encrypted \(lab\/dev only\); never use this CA for production devices\n$/,
    );

    const out = join(dir, "devices");
    const issue = await moatPki(["issue", "--env", "lab", "--class", "sensor", "--device", "bench-01", "--out-dir", out], ctx);
    expect(issue.code).toBe(0);
    expect(statSync(join(out, "bench-01.key")).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(readFileSync(join(out, "bench-01.pem")));
    expect(cert.subject).toBe("OU=sensor\nCN=bench-01");
    expect(verifyIssued(ctx.pkiDir, out, "bench-01")).toContain(": OK");
  });

  test("issue --device makes a key of the environment's pki.keyType", async () => {
    expect((await moatPki(["init", "--env", "lab", "--unencrypted-dev-key"], ctx)).code).toBe(0);
    expect(
      (await moatPki(["issue", "--env", "lab", "--class", "sensor", "--device", "rsa-dev", "--out-dir", join(dir, "r")], ctx)).code,
    ).toBe(0);
    expect(openssl(["pkey", "-in", join(dir, "r", "rsa-dev.key"), "-noout", "-text"])).toContain("Private-Key: (2048 bit");
  });

  test("issue --device uses the environment's deviceValidityDays", async () => {
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
