import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asn1 } from "node-forge";
import { bulkIssue, buildCsr, checkCsr, crlStatus, initCa, issueFromCsr, issueServerCert, revoke, RevocationReason } from "../../pki";
import { contextTagged, encode, integer, oid, preEncoded, sequence, set } from "../../pki/asn1";
import { signedStructure } from "../../pki/certificate";
import { readDer } from "../../pki/der-reader";
import { OID } from "../../pki/oids";
import { toPem } from "../../pki/pem";
import { signerFor, spkiOf } from "../../pki/signer";
import { cleanup, openssl, PASSPHRASE, scratch } from "./pki-fixtures";

const ec = () => generateKeyPairSync("ec", { namedCurve: "P-256" });

/** A CSR from raw parts: any subject, any key, signed by any key. */
function rawCsr(subject: ReturnType<typeof sequence>, spki: Buffer, signingKey = ec().privateKey): string {
  const info = encode(sequence(integer(0), subject, preEncoded(spki), contextTagged(0)));
  return toPem("CERTIFICATE REQUEST", signedStructure(info, signerFor(signingKey)));
}

describe("DER reader refuses what DER forbids", () => {
  test.each([
    ["a multi-byte tag", [0x1f, 0x81, 0x01, 0x00], "multi-byte tag"],
    ["an indefinite length", [0x30, 0x80, 0x00, 0x00], "indefinite length"],
    ["a non-minimal length", [0x04, 0x81, 0x05, 1, 2, 3, 4, 5], "non-minimal length"],
    ["a length beyond 4 bytes", [0x04, 0x85, 1, 0, 0, 0, 0], "length too large"],
    ["a truncated header", [0x30], "truncated header"],
    ["a truncated long length", [0x04, 0x82, 0x01], "truncated length"],
  ])("%s", (_label, bytes, why) => {
    expect(() => readDer(Buffer.from(bytes), "input X")).toThrow(`input X: not valid DER (${why} at byte 0)`);
  });

  test("a tag other than the expected one", () => {
    expect(() => readDer(Buffer.from([0x31, 0x00]), "input X", 0x30)).toThrow("input X: unexpected ASN.1 tag 0x31 (expected 0x30)");
  });
});

describe("buildCsr (device simulators, benchmarks)", () => {
  test.each([
    ["EC P-256", () => ec()],
    ["RSA 2048", () => generateKeyPairSync("rsa", { modulusLength: 2048 })],
  ])("makes %s CSRs that openssl req -verify accepts and checkCsr reads back", (_label, keys) => {
    const pem = buildCsr({ commonName: "sim-0001", ...keys() });
    expect(openssl(["req", "-verify", "-noout", "-subject"], pem)).toBe("subject=CN = sim-0001\n");
    expect(checkCsr(pem, "sim.csr").thingName).toBe("sim-0001");
  });
});

describe("CSR checks beyond the hostile-input list", () => {
  test("refuses a CSR that is a SEQUENCE of the wrong shape", () => {
    const pem = toPem("CERTIFICATE REQUEST", encode(sequence(integer(0), integer(1))));
    expect(() => checkCsr(pem, "odd.csr")).toThrow(
      "odd.csr: not a PKCS#10 certificate request (a CSR has three parts); create it with 'openssl req -new'",
    );
  });

  test("refuses a key that does not match the signature algorithm", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = rawCsr(
      sequence(set(sequence(oid(OID.commonName), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, "x")))),
      spkiOf(rsa.publicKey),
    );
    expect(() => checkCsr(pem, "mixed.csr")).toThrow(
      "mixed.csr: key type rsa does not match the signature algorithm (ec); regenerate the CSR",
    );
  });

  test("refuses a CN in BMPString (no safe mapping to a thing name)", () => {
    const keys = ec();
    const bmp = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, "dev");
    const pem = rawCsr(sequence(set(sequence(oid(OID.commonName), bmp))), spkiOf(keys.publicKey), keys.privateKey);
    expect(() => checkCsr(pem, "bmp.csr")).toThrow(
      "bmp.csr: subject CN uses ASN.1 string type 0x1e; use a UTF8String or PrintableString CN",
    );
  });

  test("shortens a very long bad CN in the error line", () => {
    const pem = buildCsr({ commonName: "x".repeat(300), ...ec() });
    expect(() => checkCsr(pem, "long.csr")).toThrow(new RegExp(`CN "x{140}\\.\\.\\." is not a valid thing name`));
  });
});

describe("library options refused with a clear line", () => {
  let dir: string;
  const store = () => ({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE, deviceClass: "sensor" });
  beforeAll(() => {
    dir = scratch();
    initCa({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE });
  });
  afterAll(() => cleanup(dir));

  test("validity: days not a positive whole number, or an end before the start", () => {
    const csrPem = buildCsr({ commonName: "v", ...ec() });
    expect(() => issueFromCsr({ ...store(), csrPem, validityDays: 0 })).toThrow(
      "validity 0 days is not valid; use a whole number of days >= 1",
    );
    expect(() => issueFromCsr({ ...store(), csrPem, validityDays: 1.5 })).toThrow("validity 1.5 days is not valid");
    expect(() => issueFromCsr({ ...store(), csrPem, notBefore: new Date("2026-02-01"), notAfter: new Date("2026-01-01") })).toThrow(
      /^validity ends 2026-01-01T00:00:00.000Z before it starts 2026-02-01/,
    );
  });

  test("a device certificate never outlives the issuing CA", () => {
    const csrPem = buildCsr({ commonName: "long-lived", ...ec() });
    const issuing = new X509Certificate(readFileSync(join(dir, "lab/ca/issuing.pem")));
    const cert = new X509Certificate(issueFromCsr({ ...store(), csrPem, validityDays: 3650 * 3 }).certPem);
    expect(cert.validTo).toBe(issuing.validTo);
  });

  test("revoke: an unknown reason", () => {
    expect(() => revoke({ ...store(), serial: "01", reason: "boredom" as RevocationReason })).toThrow(
      "revocation reason 'boredom' is not one of unspecified, keyCompromise",
    );
  });

  test("a server certificate named by IP address only takes the IP as its CN", () => {
    const out = join(dir, "ip-only");
    const result = issueServerCert({ ...store(), dnsNames: [], ipAddresses: ["127.0.0.1"], outDir: out });
    expect(new X509Certificate(readFileSync(result.cert)).subject).toBe("CN=127.0.0.1");
  });

  test("crlStatus: no CRL, or a CRL without a CRL number", () => {
    const crl = join(dir, "lab/crl.pem");
    const saved = readFileSync(crl, "utf8");
    writeFileSync(crl, "");
    expect(() => crlStatus({ pkiDir: dir, env: "lab" })).toThrow(
      /CRL .*crl.pem: expected exactly one PEM block labelled X509 CRL, found none/,
    );
    // a v1-style CRL: no extensions at all
    const keys = ec();
    const tbs = encode(sequence(integer(1), signerFor(keys.privateKey).algorithm, sequence(), asn1UtcTime(), asn1UtcTime()));
    writeFileSync(crl, toPem("X509 CRL", signedStructure(tbs, signerFor(keys.privateKey))));
    expect(() => crlStatus({ pkiDir: dir, env: "lab" })).toThrow("has no CRL number; regenerate it with 'moat pki crl'");
    writeFileSync(crl, saved);
    expect(() => crlStatus({ pkiDir: join(dir, "nowhere"), env: "lab" })).toThrow("no CRL at");
  });
});

function asn1UtcTime() {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, "260101000000Z");
}

describe("bulk output on another filesystem", () => {
  test("copies instead of hard-linking when the output directory is on another filesystem (/dev/shm)", () => {
    expect(statSync("/dev/shm").dev).not.toBe(statSync(tmpdir()).dev);
    const dir = scratch();
    const outBase = mkdtempSync(join("/dev/shm", "moat-pki-out-"));
    try {
      initCa({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE });
      const csrDir = join(dir, "csrs");
      mkdirSync(csrDir);
      writeFileSync(join(csrDir, "x.csr"), buildCsr({ commonName: "x", ...ec() }));
      expect(bulkIssue({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE, deviceClass: "sensor", csrDir, outDir: outBase }).issued).toBe(1);
      expect(statSync(join(outBase, "x.cert.pem")).nlink).toBe(1);
      expect(readFileSync(join(outBase, "x.cert.pem"), "utf8")).toContain("BEGIN CERTIFICATE");
    } finally {
      cleanup(dir);
      cleanup(outBase);
    }
  });
});
