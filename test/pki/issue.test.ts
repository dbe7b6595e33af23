import { X509Certificate, createPrivateKey, generateKeyPairSync } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCsr, initCa, issueDeviceWithKey, issueFromCsr, issueServerCert, listIssued, PkiPaths, verificationCert } from "../../pki";
import { basicConstraints, extendedKeyUsage, keyUsage, KeyUsage, subjectAltName } from "../../pki/extensions";
import { OID } from "../../pki/oids";
import { cleanup, openssl, opensslCsr, opensslResult, PASSPHRASE, scratch } from "./pki-fixtures";

/** `openssl verify -x509_strict -CAfile root -untrusted issuing cert`, the check every certificate must pass. */
function opensslVerify(paths: PkiPaths, certFile: string, extra: string[] = []): string {
  return openssl(["verify", "-x509_strict", ...extra, "-CAfile", paths.rootCert, "-untrusted", paths.issuingCert, certFile]);
}

describe.each(["p256", "rsa2048"] as const)("issuance from a %s issuing CA", (keyType) => {
  let dir: string;
  let paths: PkiPaths;
  beforeAll(() => {
    dir = scratch();
    paths = initCa({ pkiDir: dir, env: "lab", keyType, passphrase: PASSPHRASE }).paths;
  });
  afterAll(() => cleanup(dir));
  const store = () => ({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE, deviceClass: "sensor" });

  test.each([
    ["EC P-256", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]],
    ["EC P-384", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]],
    ["RSA 2048", ["-newkey", "rsa:2048"]],
  ])("certifies an openssl-made %s CSR as a client certificate OpenSSL and Node accept", (_label, keyArgs) => {
    // A CSR made by openssl, which openssl itself verifies
    const { csr, key } = opensslCsr(dir, `dev-${_label.replace(/\W/g, "")}`, "/CN=sensor-0001", keyArgs);
    expect(opensslResult(["req", "-in", csr, "-verify", "-noout"]).output).toContain("verify OK");

    const issued = issueFromCsr({ ...store(), csrPem: readFileSync(csr, "utf8") });
    const certFile = join(dir, `${_label.replace(/\W/g, "")}.pem`);
    writeFileSync(certFile, issued.certPem);

    // OpenSSL verifies it strictly as a TLS client certificate
    expect(opensslVerify(paths, certFile, ["-purpose", "sslclient"])).toBe(`${certFile}: OK\n`);
    const text = openssl(["x509", "-in", certFile, "-noout", "-text"]);
    expect(text).toMatch(/Subject: OU = sensor, CN = sensor-0001\n/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication\n/);
    const issuingSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(openssl(["x509", "-in", paths.issuingCert, "-noout", "-text"]))?.[1];
    expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${issuingSki}`));

    // Node agrees: issued by the issuing CA, signature valid, the device's own key, our serial
    const cert = new X509Certificate(issued.certPem);
    const issuing = new X509Certificate(readFileSync(paths.issuingCert));
    expect(cert.checkIssued(issuing)).toBe(true);
    expect(cert.verify(issuing.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(key)))).toBe(true);
    expect(cert.serialNumber).toBe(issued.serial);
    expect(cert.ca).toBe(false);
    expect(issued.chainPem).toBe(readFileSync(paths.chain, "utf8"));
  });

  test("draws serials of 16 random bytes, positive, all different", () => {
    const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const serials = Array.from(
      { length: 40 },
      (_, i) => issueFromCsr({ ...store(), csrPem: buildCsr({ commonName: `s-${i}`, ...keys }) }).serial,
    );
    expect(new Set(serials).size).toBe(40);
    for (const s of serials) {
      expect(s).toMatch(/^[0-7][0-9A-F]{31}$/); // 16 bytes, top bit clear
      expect(s.startsWith("00")).toBe(false); // minimally encoded
    }
    // openssl reads the same serial back from the DER (no sign or padding surprises)
    const cert = issueFromCsr({ ...store(), csrPem: buildCsr({ commonName: "s-x", ...keys }) });
    expect(openssl(["x509", "-noout", "-serial"], cert.certPem)).toBe(`serial=${cert.serial}\n`);
  });

  test("ignores the extensions a CSR requests: SANs, key usages and EKUs come from the device profile", () => {
    const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const csrPem = buildCsr({
      commonName: "greedy-1",
      ...keys,
      requestedExtensions: [
        basicConstraints(false),
        keyUsage(KeyUsage.keyCertSign, KeyUsage.cRLSign),
        extendedKeyUsage(OID.serverAuth),
        subjectAltName(["broker.example.com"], []),
      ],
    });
    const text = openssl(["x509", "-noout", "-text"], issueFromCsr({ ...store(), csrPem }).certPem);
    expect(text).not.toContain("Certificate Sign");
    expect(text).not.toContain("Server Authentication");
    expect(text).not.toContain("broker.example.com");
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication\n/);
  });

  test("makes an expired certificate on request (notBefore/notAfter overrides), which OpenSSL refuses", () => {
    const { csr } = opensslCsr(dir, "old", "/CN=old-device");
    const issued = issueFromCsr({
      ...store(),
      csrPem: readFileSync(csr, "utf8"),
      notBefore: new Date("2025-01-01T00:00:00Z"),
      notAfter: new Date("2025-02-01T00:00:00Z"),
    });
    const file = join(dir, "old.pem");
    writeFileSync(file, issued.certPem);
    const result = opensslResult(["verify", "-x509_strict", "-CAfile", paths.rootCert, "-untrusted", paths.issuingCert, file]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("certificate has expired");
    expect(listIssued({ pkiDir: dir, env: "lab" }).find((c) => c.serial === issued.serial)?.status).toBe("expired");
  });

  test("defaults device validity to 365 days, backdated 5 minutes for slow device clocks", () => {
    const now = new Date("2026-06-01T12:00:00.700Z");
    const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const cert = new X509Certificate(issueFromCsr({ ...store(), now, csrPem: buildCsr({ commonName: "clock", ...keys }) }).certPem);
    expect(new Date(cert.validFrom).toISOString()).toBe("2026-06-01T11:55:00.000Z");
    expect(new Date(cert.validTo).toISOString()).toBe("2027-06-01T12:00:00.000Z");
  });

  test("makes a lab TLS server certificate for 127.0.0.1 and localhost (serverAuth, SANs)", () => {
    const out = join(dir, "server");
    const result = issueServerCert({ ...store(), dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"], outDir: out });
    expect(opensslVerify(paths, result.cert, ["-purpose", "sslserver", "-verify_ip", "127.0.0.1"])).toBe(`${result.cert}: OK\n`);
    expect(opensslVerify(paths, result.cert, ["-purpose", "sslserver", "-verify_hostname", "localhost"])).toBe(`${result.cert}: OK\n`);
    expect(
      opensslResult([
        "verify",
        "-purpose",
        "sslserver",
        "-verify_hostname",
        "evil.example",
        "-CAfile",
        paths.rootCert,
        "-untrusted",
        paths.issuingCert,
        result.cert,
      ]).status,
    ).not.toBe(0);
    const cert = new X509Certificate(readFileSync(result.cert));
    expect(cert.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(result.key)))).toBe(true);
    expect(statSync(result.key).mode & 0o777).toBe(0o600);
    expect(readFileSync(result.chain, "utf8")).toBe(readFileSync(paths.chain, "utf8"));
  });

  test("refuses server certificate names that are not host names or IP addresses", () => {
    const base = { ...store(), outDir: join(dir, "bad-server") };
    expect(() => issueServerCert({ ...base, dnsNames: [], ipAddresses: [] })).toThrow(
      "server certificate needs at least one DNS name or IP address",
    );
    expect(() => issueServerCert({ ...base, dnsNames: [], ipAddresses: ["999.1.1.1"] })).toThrow(
      "IP address '999.1.1.1' is not an IPv4 or IPv6 address",
    );
    expect(() => issueServerCert({ ...base, dnsNames: ["bad name"], ipAddresses: [] })).toThrow("DNS name 'bad name' is not a host name");
  });

  test("lab/dev: makes a device key here (0600) and a certificate for it", () => {
    const out = join(dir, "lab-devices");
    const result = issueDeviceWithKey({ ...store(), deviceId: "lab-sensor-1", outDir: out });
    expect(result.key).toBe(join(out, "lab-sensor-1.key"));
    expect(statSync(result.key).mode & 0o777).toBe(0o600);
    expect(opensslVerify(paths, result.cert, ["-purpose", "sslclient"])).toBe(`${result.cert}: OK\n`);
    expect(new X509Certificate(readFileSync(result.cert)).checkPrivateKey(createPrivateKey(readFileSync(result.key)))).toBe(true);
    expect(() => issueDeviceWithKey({ ...store(), deviceId: "a/b", outDir: out })).toThrow('device id: CN "a/b" is not a valid thing name');
  });

  test("writes the AWS IoT verification certificate: CN = registration code, signed by the issuing CA", () => {
    const code = "4d2c0e7b1f3a5c6e8a9b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f7";
    const result = verificationCert({ ...store(), registrationCode: code });
    expect(result.path).toBe(paths.verificationCert);
    expect(opensslVerify(paths, result.path)).toBe(`${result.path}: OK\n`);
    expect(new X509Certificate(readFileSync(result.path)).subject).toBe(`CN=${code}`);
    expect(result.caCertificatePem).toBe(readFileSync(paths.issuingCert, "utf8"));
    expect(result.caCertificatePem).not.toContain("PRIVATE KEY");
    expect(() => verificationCert({ ...store(), registrationCode: "abc def" })).toThrow(
      "registration code 'abc def' is not an AWS IoT registration code",
    );
  });

  test("records every issued certificate in the index with subject, validity and profile", () => {
    const all = listIssued({ pkiDir: dir, env: "lab" });
    expect(new Set(all.map((c) => c.profile))).toEqual(new Set(["device", "server", "verification"]));
    for (const c of all) {
      expect(readFileSync(join(paths.issuedDir, `${c.serial}.pem`), "utf8")).toContain("BEGIN CERTIFICATE");
      expect(new X509Certificate(Buffer.from(c.certificate, "base64")).serialNumber).toBe(c.serial);
    }
  });
});
