import { X509Certificate } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crlStatus, initCa, issueFromCsr, listIssued, PkiPaths, revoke, writeCrl } from "../../pki";
import { cleanup, environmentsDir, moatPki, openssl, opensslCsr, opensslResult, passphraseFile, PASSPHRASE, scratch } from "./pki-fixtures";

describe.each(["p256", "rsa2048"] as const)("revocation and CRLs with a %s issuing CA", (keyType) => {
  let dir: string;
  let paths: PkiPaths;
  const store = () => ({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE, deviceClass: "sensor" });
  const device = (name: string) => {
    const issued = issueFromCsr({ ...store(), csrPem: readFileSync(opensslCsr(dir, name, `/CN=${name}`).csr, "utf8") });
    const file = join(dir, `${name}.pem`);
    writeFileSync(file, issued.certPem);
    return { ...issued, file };
  };
  /** `openssl verify -crl_check` with the root and the current CRL as the trust store. */
  const verifyWithCrl = (certFile: string) => {
    const trust = join(dir, "trust-with-crl.pem");
    writeFileSync(trust, readFileSync(paths.rootCert, "utf8") + readFileSync(paths.crl, "utf8"));
    return opensslResult(["verify", "-x509_strict", "-crl_check", "-CAfile", trust, "-untrusted", paths.issuingCert, certFile]);
  };

  beforeAll(() => {
    dir = scratch();
    paths = initCa({ pkiDir: dir, env: "lab", keyType, passphrase: PASSPHRASE }).paths;
  });
  afterAll(() => cleanup(dir));

  test("a revoked device fails openssl verify -crl_check as revoked; the others still pass", () => {
    const kept = device("kept-1");
    const lost = device("lost-1");
    expect(verifyWithCrl(lost.file).status).toBe(0);

    const result = revoke({ ...store(), serial: lost.serial, reason: "keyCompromise" });

    expect(result.serial).toBe(lost.serial);
    // IoT Core names a certificate by the SHA-256 of its DER: OpenSSL's fingerprint, lower case, no colons.
    const fingerprint = openssl(["x509", "-in", lost.file, "-noout", "-fingerprint", "-sha256"]).trim().split("=")[1];
    expect(result.iotCertificateId).toBe(fingerprint.replace(/:/g, "").toLowerCase());
    const refused = verifyWithCrl(lost.file);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain("certificate revoked");
    expect(verifyWithCrl(kept.file)).toEqual({ status: 0, output: `${kept.file}: OK\n` });
    expect(listIssued({ pkiDir: dir, env: "lab" }).find((c) => c.serial === lost.serial)).toMatchObject({
      status: "revoked",
      reason: "keyCompromise",
    });
  });

  test("CRLs verify with openssl crl -verify and carry AKI, an increasing CRL number and reason codes", () => {
    const a = device("superseded-1");
    const b = device("retired-1");
    const first = revoke({ ...store(), serial: a.serial, reason: "superseded" });
    const second = revoke({ ...store(), serial: b.serial.toLowerCase().replace(/(..)(?!$)/g, "$1:") }); // as openssl prints it
    expect(second.crl.crlNumber).toBe(first.crl.crlNumber + 1);

    const text = openssl(["crl", "-in", paths.crl, "-CAfile", paths.issuingCert, "-verify", "-noout", "-text"]);
    expect(text).toContain("Version 2 (0x1)");
    expect(text).toMatch(new RegExp(`X509v3 CRL Number:\\s+${second.crl.crlNumber}\\n`));
    const issuingSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(openssl(["x509", "-in", paths.issuingCert, "-noout", "-text"]))?.[1];
    expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${issuingSki}`));
    expect(text).toMatch(
      new RegExp(
        `Serial Number: ${a.serial}\\n\\s+Revocation Date: .*\\n\\s+CRL entry extensions:\\n\\s+X509v3 CRL Reason Code:\\s+Superseded`,
      ),
    );
    // RFC 5280 5.3.1: "unspecified" is written as no reasonCode at all
    expect(text).toMatch(new RegExp(`Serial Number: ${b.serial}\\n\\s+Revocation Date: [^\\n]+\\n\\s+(Serial Number|Signature Algorithm)`));
    expect(readFileSync(paths.crl, "utf8")).toBe(second.crl.crlPem);
  });

  test("writeCrl always takes the next number and sets nextUpdate from crlValidityDays", () => {
    const now = new Date("2026-03-01T10:00:00.400Z");
    const before = crlStatus({ pkiDir: dir, env: "lab" }).crlNumber;
    const crl = writeCrl({ ...store(), now, crlValidityDays: 30 });
    expect(crl.crlNumber).toBe(before + 1);
    expect(crl.thisUpdate.toISOString()).toBe("2026-03-01T10:00:00.000Z");
    expect(crl.nextUpdate.toISOString()).toBe("2026-03-31T10:00:00.000Z");
    expect(openssl(["crl", "-in", paths.crl, "-noout", "-nextupdate"])).toBe("nextUpdate=Mar 31 10:00:00 2026 GMT\n");
    expect(crlStatus({ pkiDir: dir, env: "lab", now })).toMatchObject({ crlNumber: crl.crlNumber, expired: false, expiresSoon: false });
    expect(crlStatus({ pkiDir: dir, env: "lab", now: new Date("2026-03-30T10:00:00Z") })).toMatchObject({
      expired: false,
      expiresSoon: true,
    });
    expect(crlStatus({ pkiDir: dir, env: "lab", now: new Date("2026-04-01T00:00:00Z") })).toMatchObject({
      expired: true,
      expiresSoon: true,
    });
    expect(() => writeCrl({ ...store(), crlValidityDays: 0 })).toThrow("CRL validity 0 days is not valid");
  });

  test("refuses to reuse a CRL number file that was tampered with", () => {
    const saved = readFileSync(paths.crlNumber, "utf8");
    writeFileSync(paths.crlNumber, "seven\n");
    expect(() => writeCrl(store())).toThrow(`CRL number file ${paths.crlNumber} holds 'seven', not a number`);
    writeFileSync(paths.crlNumber, saved);
  });

  test("Node's X509Certificate sees the revoked certificate as otherwise valid (revocation is the CRL's job)", () => {
    const victim = device("victim-1");
    revoke({ ...store(), serial: victim.serial, reason: "cessationOfOperation" });
    const cert = new X509Certificate(victim.certPem);
    expect(cert.verify(new X509Certificate(readFileSync(paths.issuingCert)).publicKey)).toBe(true);
    expect(opensslResult(["crl", "-in", paths.crl, "-noout", "-text"]).output).toContain("Cessation Of Operation");
  });
});

describe("the index journal survives a crash mid-append", () => {
  let dir: string;
  afterAll(() => cleanup(dir));

  test("ignores a torn last line and the next write cuts it off", () => {
    dir = scratch();
    const { paths } = initCa({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE });
    const csr = (n: string) => readFileSync(opensslCsr(dir, n, `/CN=${n}`).csr, "utf8");
    issueFromCsr({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE, deviceClass: "sensor", csrPem: csr("one") });
    appendFileSync(paths.index, '{"event":"issued","serial":"DEAD'); // a write cut short

    expect(listIssued({ pkiDir: dir, env: "lab" }).map((c) => c.subject)).toEqual(["one"]);
    issueFromCsr({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE, deviceClass: "sensor", csrPem: csr("two") });
    const lines = readFileSync(paths.index, "utf8").split("\n");
    expect(lines.filter((l) => l !== "").map((l) => JSON.parse(l).subject)).toEqual(["one", "two"]);
  });

  test("refuses an index line edited by hand", () => {
    const paths = { index: join(dir, "lab", "index.jsonl") };
    appendFileSync(paths.index, "not json\n");
    expect(() => listIssued({ pkiDir: dir, env: "lab" })).toThrow(/line 3 is not a journal entry; restore the index from backup/);
  });
});

describe("moat pki crl and list", () => {
  let dir: string;
  let ctx: { pkiDir: string; environmentsDir: string; passphraseFile: string };
  beforeAll(async () => {
    dir = scratch();
    ctx = {
      pkiDir: join(dir, "store"),
      environmentsDir: environmentsDir(dir, { crlValidityDays: 1 }),
      passphraseFile: passphraseFile(dir),
    };
    expect((await moatPki(["init", "--env", "lab"], ctx)).code).toBe(0);
    expect(
      (
        await moatPki(
          ["issue", "--env", "lab", "--class", "sensor", "--csr", opensslCsr(dir, "d1", "/CN=d1").csr, "--out", join(dir, "d1.pem")],
          ctx,
        )
      ).code,
    ).toBe(0);
  });
  afterAll(() => cleanup(dir));

  test("crl prints the CRL number and nextUpdate and can copy the CRL out", async () => {
    const out = join(dir, "published.crl");
    const result = await moatPki(["crl", "--env", "lab", "--out", out], ctx);
    expect(result.code).toBe(0);
    const next = /nextUpdate (\S+):/.exec(result.stdout)?.[1] as string;
    expect(Date.parse(next) - Date.now()).toBeGreaterThan(23 * 3600_000); // crlValidityDays: 1 from the environment
    expect(result.stdout).toMatch(/^CRL #2 -> /);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(ctx.pkiDir, "lab", "crl.pem"), "utf8"));
  });

  test("list shows every certificate, and warns on stderr when the CRL expires within 2 days", async () => {
    const result = await moatPki(["list", "--env", "lab"], ctx);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^serial\s+status\s+profile\s+class\s+notAfter\s+subject\n[0-9A-F]{32}\s+valid\s+device\s+sensor\s+\S+\s+d1\n1 certificate: 1 valid, 0 revoked, 0 expired\n$/,
    );
    expect(result.stderr).toMatch(/^moat pki: WARNING: CRL #2 expires at \S+; run 'moat pki crl --env lab' and deploy it before then\n$/);
  });

  test("list --json gives the index with status, without certificate bodies", async () => {
    const result = await moatPki(["list", "--env", "lab", "--json"], ctx);
    const parsed = JSON.parse(result.stdout);
    expect(parsed).toEqual([expect.objectContaining({ subject: "d1", status: "valid", profile: "device" })]);
    expect(parsed[0].certificate).toBeUndefined();
  });

  test("list says loudly when the CRL has expired", async () => {
    const env = environmentsDir(join(dir, "past"), {});
    const pkiDir = join(dir, "past-store");
    initCa({ pkiDir, env: "lab", passphrase: PASSPHRASE, now: new Date("2020-01-01T00:00:00Z") });
    const result = await moatPki(["list", "--env", "lab"], { pkiDir, environmentsDir: env });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("moat pki: WARNING: CRL #1 expired at 2020-01-08T00:00:00.000Z: brokers refuse every client");
  });
});
