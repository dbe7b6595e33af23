import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { initCa, KeyType, pkiPaths } from "../../pki";
import { cleanup, openssl, PASSPHRASE, scratch, treeHash } from "./pki-fixtures";
import { pemHeader } from "../support/pem-block";

describe("initCa", () => {
  let dir: string;
  beforeEach(() => (dir = scratch()));
  afterEach(() => cleanup(dir));

  test.each<KeyType>(["p256", "rsa2048", "rsa3072"])(
    "makes a %s root (pathLen 1) and issuing CA (pathLen 0) that OpenSSL and Node accept",
    (keyType) => {
      const result = initCa({ pkiDir: dir, env: "lab", keyType, passphrase: PASSPHRASE });
      const paths = result.paths;

      // OpenSSL verifies the chain strictly and reads the extensions we meant to write
      expect(openssl(["verify", "-x509_strict", "-CAfile", paths.rootCert, paths.rootCert, paths.issuingCert])).toBe(
        `${paths.rootCert}: OK\n${paths.issuingCert}: OK\n`,
      );
      const rootText = openssl(["x509", "-in", paths.rootCert, "-noout", "-text"]);
      const issuingText = openssl(["x509", "-in", paths.issuingCert, "-noout", "-text"]);
      expect(rootText).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:1/);
      expect(issuingText).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      expect(issuingText).toMatch(/Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
      expect(issuingText).toContain(
        keyType === "p256" ? "Signature Algorithm: ecdsa-with-SHA256" : "Signature Algorithm: sha256WithRSAEncryption",
      );
      expect(issuingText).toContain(keyType === "p256" ? "NIST CURVE: P-256" : `Public-Key: (${keyType === "rsa2048" ? 2048 : 3072} bit)`);

      // Node's X509Certificate agrees on the hierarchy
      const root = new X509Certificate(readFileSync(paths.rootCert));
      const issuing = new X509Certificate(readFileSync(paths.issuingCert));
      expect(root.ca && issuing.ca).toBe(true);
      expect(issuing.checkIssued(root)).toBe(true);
      expect(issuing.verify(root.publicKey)).toBe(true);
      expect(root.verify(root.publicKey)).toBe(true);
      expect(issuing.serialNumber).toBe(result.issuingSerial);

      // The AKI of the issuing CA is the root's SKI (forge's keyIdentifier:true trap)
      const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(rootText)?.[1];
      expect(issuingText).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${ski}`));

      // The chain file is issuing then root
      expect(readFileSync(paths.chain, "utf8")).toBe(readFileSync(paths.issuingCert, "utf8") + readFileSync(paths.rootCert, "utf8"));
    },
  );

  test("stores both CA keys as encrypted PKCS#8 (mode 0600) that OpenSSL opens with the passphrase only", () => {
    const { paths } = initCa({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE });
    for (const key of [paths.rootKey, paths.issuingKey]) {
      expect(readFileSync(key, "utf8")).toMatch(pemHeader(["ENCRYPTED", "PRIVATE", "KEY"].join(" ")));
      expect(statSync(key).mode & 0o777).toBe(0o600);
      // PBES2: PBKDF2-HMAC-SHA256 at 600,000 (0x927C0) rounds, AES-256-CBC
      expect(openssl(["asn1parse", "-in", key])).toMatch(
        /PBES2[\s\S]*PBKDF2[\s\S]*INTEGER +:0927C0[\s\S]*hmacWithSHA256[\s\S]*aes-256-cbc/,
      );
      expect(() => openssl(["pkey", "-in", key, "-passin", "pass:wrong passphrase!", "-noout"])).toThrow();
      openssl(["pkey", "-in", key, "-passin", `pass:${PASSPHRASE}`, "-noout"]);
    }
    expect(createPrivateKey({ key: readFileSync(paths.issuingKey), passphrase: PASSPHRASE }).asymmetricKeyType).toBe("ec");
  });

  test("writes the first CRL (number 1) and an empty index with the CA", () => {
    const { paths, crlNextUpdate } = initCa({
      pkiDir: dir,
      env: "lab",
      passphrase: PASSPHRASE,
      crlValidityDays: 3,
      now: new Date("2026-01-01T00:00:00Z"),
    });
    const text = openssl(["crl", "-in", paths.crl, "-CAfile", paths.issuingCert, "-verify", "-noout", "-text"]);
    expect(text).toMatch(/X509v3 CRL Number:\s+1\n/);
    expect(text).toContain("Next Update: Jan  4 00:00:00 2026 GMT");
    expect(crlNextUpdate.toISOString()).toBe("2026-01-04T00:00:00.000Z");
    expect(readFileSync(paths.index, "utf8")).toBe("");
  });

  test("refuses to overwrite an existing CA and leaves it unchanged", () => {
    initCa({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE });
    const before = treeHash(dir);
    expect(() => initCa({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE })).toThrow(/already exists .* init never overwrites/);
    expect(treeHash(dir)).toBe(before);
  });

  test("refuses a missing or short passphrase and writes nothing", () => {
    expect(() => initCa({ pkiDir: dir, env: "lab" })).toThrow("no CA passphrase: set MOAT_CA_PASSPHRASE or pass --passphrase-file");
    expect(() => initCa({ pkiDir: dir, env: "lab", passphrase: "short" })).toThrow("CA passphrase is 5 characters; use at least 12");
    expect(existsSync(pkiPaths(dir, "lab").envDir)).toBe(false);
  });

  test("refuses an unknown key type and an environment name that is not a plain directory name", () => {
    expect(() => initCa({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE, keyType: "ed25519" as KeyType })).toThrow(
      "key type 'ed25519' is not supported; use one of p256, rsa2048, rsa3072",
    );
    expect(() => initCa({ pkiDir: dir, env: "../x", passphrase: PASSPHRASE })).toThrow('environment name "../x" is not valid');
  });

  test("writes unencrypted CA keys only on the explicit dev flag, with a warning", () => {
    const result = initCa({ pkiDir: dir, env: "lab", unencryptedDevKey: true });
    expect(result.warnings).toEqual([expect.stringMatching(/^WARNING: the CA keys in .* are NOT encrypted \(lab\/dev only\)/)]);
    expect(readFileSync(result.paths.issuingKey, "utf8")).toMatch(pemHeader(["PRIVATE", "KEY"].join(" ")));
    expect(statSync(result.paths.issuingKey).mode & 0o777).toBe(0o600);
  });

  test("leaves no staging directory behind", () => {
    initCa({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE });
    expect(readdirSync(dir)).toEqual(["lab"]);
  });
});
