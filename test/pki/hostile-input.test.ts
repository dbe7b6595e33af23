import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { buildCsr } from "../../pki";
import { fromPem, toPem } from "../../pki/pem";
import { cleanup, environmentsDir, moatPki, opensslCsr, passphraseFile, scratch, treeHash } from "./pki-fixtures";

/**
 * Every hostile or broken input is refused by the CLI with exit 1, exactly one error line that
 * names the input, nothing on stdout, nothing written, and the store byte-for-byte unchanged.
 */
describe("moat pki refuses hostile and broken input", () => {
  let dir: string;
  let pkiDir: string;
  let ctx: { pkiDir: string; environmentsDir: string; passphraseFile: string };
  let goodCsr: string;
  let issuedSerial: string;

  beforeAll(async () => {
    dir = scratch();
    pkiDir = join(dir, "store");
    ctx = { pkiDir, environmentsDir: environmentsDir(dir), passphraseFile: passphraseFile(dir) };
    expect((await moatPki(["init", "--env", "lab"], ctx)).code).toBe(0);
    goodCsr = opensslCsr(dir, "good", "/CN=good-device").csr;
    const issued = await moatPki(["issue", "--env", "lab", "--class", "sensor", "--csr", goodCsr, "--out", join(dir, "good.pem")], ctx);
    expect(issued.code).toBe(0);
    issuedSerial = /issued ([0-9A-F]{32})/.exec(issued.stdout)?.[1] as string;
    expect((await moatPki(["revoke", "--env", "lab", "--serial", issuedSerial], ctx)).code).toBe(0);
  });
  afterAll(() => cleanup(dir));

  /** Runs the command and checks the refusal contract; returns the error line. */
  async function refused(args: string[], expected: string | RegExp, overrides: Partial<typeof ctx> = {}): Promise<void> {
    const before = treeHash(pkiDir);
    const out = join(dir, "never-written.pem");
    const result = await moatPki(
      args.map((a) => (a === "OUT" ? out : a)),
      { ...ctx, ...overrides },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toHaveLength(2); // one line and its newline
    expect(result.stderr).toMatch(/^moat pki: /);
    if (typeof expected === "string") expect(result.stderr).toContain(expected);
    else expect(result.stderr).toMatch(expected);
    expect(treeHash(pkiDir)).toBe(before);
    expect(existsSync(out)).toBe(false);
  }

  /** A file holding `csr` with its DER changed by `mutate`. */
  function tampered(name: string, mutate: (der: Buffer) => void): string {
    const der = fromPem(readFileSync(goodCsr, "utf8"), ["CERTIFICATE REQUEST"], "test CSR");
    mutate(der);
    const file = join(dir, `${name}.csr`);
    writeFileSync(file, toPem("CERTIFICATE REQUEST", der));
    return file;
  }

  const issue = (csr: string) => ["issue", "--env", "lab", "--class", "sensor", "--csr", csr, "--out", "OUT"];

  test("a CSR whose signature was altered", async () => {
    const csr = tampered("bad-signature", (der) => (der[der.length - 5] ^= 0x01));
    await refused(issue(csr), `${csr}: CSR signature does not verify with its own public key`);
  });

  test("a CSR whose subject was altered after signing", async () => {
    const csr = tampered("altered-subject", (der) => {
      const at = der.indexOf(Buffer.from("good-device"));
      der[at] = "h".charCodeAt(0);
    });
    await refused(issue(csr), "CSR signature does not verify with its own public key");
  });

  test("a CSR whose signature is not even an ECDSA structure (forge throws on these)", async () => {
    const csr = tampered("garbage-signature", (der) => der.fill(0x41, der.length - 20));
    await refused(issue(csr), "CSR signature does not verify");
  });

  test.each([
    ["/", "/CN=site\\/a", '"site/a"'],
    ["+", "/CN=site\\+a", '"site+a"'],
    ["#", "/CN=site#a", '"site#a"'],
    ["a space", "/CN=site a", '"site a"'],
  ])("a CN with %s (it would break topic scoping)", async (_what, subject, shown) => {
    const { csr } = opensslCsr(dir, `cn-${_what.replace(/\W/g, "x")}`, subject);
    await refused(issue(csr), `CN ${shown} is not a valid thing name; use 1-128 of letters, digits, ':', '_' and '-'`);
  });

  test("a CN longer than 128 characters (openssl req stops at 64, so the CSR is built in Node)", async () => {
    const csr = join(dir, "cn-long.csr");
    writeFileSync(csr, buildCsr({ commonName: "a".repeat(129), ...generateKeyPairSync("ec", { namedCurve: "P-256" }) }));
    await refused(issue(csr), "is not a valid thing name");
  });

  test("a subject with no CN or two CNs", async () => {
    await refused(issue(opensslCsr(dir, "no-cn", "/O=acme").csr), "subject has 0 CNs; a device CSR needs exactly one CN");
    await refused(issue(opensslCsr(dir, "two-cn", "/CN=a/CN=b").csr), "subject has 2 CNs");
  });

  test("a CSR asking for CA:TRUE", async () => {
    const { csr } = opensslCsr(dir, "ca-true", "/CN=sneaky", undefined, ["-addext", "basicConstraints=critical,CA:TRUE"]);
    await refused(issue(csr), "CSR requests basicConstraints CA:TRUE; a device certificate can never be a CA");
  });

  test("an EC public key that is not on its curve", async () => {
    const csr = tampered("off-curve", (der) => {
      const point = der.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04])) + 4; // BIT STRING of a P-256 point
      der[point + 40] ^= 0x01;
    });
    await refused(issue(csr), `${csr}: the CSR's public key is invalid`);
  });

  test("a key algorithm AWS IoT does not take (Ed25519)", async () => {
    await refused(
      issue(opensslCsr(dir, "ed25519", "/CN=edwards", ["-newkey", "ed25519"]).csr),
      "signature algorithm 1.3.101.112 is not accepted",
    );
  });

  test("a weak or unsupported key, or a SHA-1 signature", async () => {
    await refused(issue(opensslCsr(dir, "rsa1024", "/CN=weak", ["-newkey", "rsa:1024"]).csr), "RSA key of 1024 bits is too weak");
    await refused(
      issue(opensslCsr(dir, "p521", "/CN=odd", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"]).csr),
      "EC curve secp521r1 is not accepted",
    );
    await refused(
      issue(opensslCsr(dir, "sha1", "/CN=old", undefined, ["-sha1"]).csr),
      "signature algorithm 1.2.840.10045.4.1 is not accepted",
    );
  });

  test("a file that is not a PEM CSR: DER, a private key, text, or missing", async () => {
    const der = join(dir, "csr.der");
    writeFileSync(der, fromPem(readFileSync(goodCsr, "utf8"), ["CERTIFICATE REQUEST"], "test CSR"));
    await refused(issue(der), `${der}: expected exactly one PEM block labelled CERTIFICATE REQUEST or NEW CERTIFICATE REQUEST, found none`);
    await refused(issue(join(dir, "good.key")), "found none");
    const text = join(dir, "notes.txt");
    writeFileSync(text, "hello\n");
    await refused(issue(text), "found none");
    await refused(issue(join(dir, "missing.csr")), "CSR ");
  });

  test("a PEM CSR with corrupt DER: truncated or with trailing bytes", async () => {
    const der = fromPem(readFileSync(goodCsr, "utf8"), ["CERTIFICATE REQUEST"], "test CSR");
    const truncated = join(dir, "truncated.csr");
    writeFileSync(truncated, toPem("CERTIFICATE REQUEST", der.subarray(0, der.length - 10)));
    await refused(issue(truncated), "not valid DER (truncated value at byte 0)");
    const trailing = join(dir, "trailing.csr");
    writeFileSync(trailing, toPem("CERTIFICATE REQUEST", Buffer.concat([der, Buffer.from([0, 0])])));
    await refused(issue(trailing), "not valid DER (2 trailing bytes)");
  });

  test("a wrong passphrase, for every command that signs", async () => {
    const wrong = passphraseFile(join(dir), "not the passphrase at all");
    for (const args of [
      issue(goodCsr),
      ["crl", "--env", "lab"],
      ["revoke", "--env", "lab", "--serial", "01"],
      ["verification-cert", "--env", "lab", "--registration-code", "abc"],
    ]) {
      await refused(args, "wrong passphrase (decryption failed); check MOAT_CA_PASSPHRASE or --passphrase-file", { passphraseFile: wrong });
    }
    await refused(issue(goodCsr), "is encrypted and no passphrase was given", { passphraseFile: undefined });
    writeFileSync(wrong, "test passphrase, long enough\n"); // restore for later tests
  });

  test("revoking an unknown serial, a non-hex serial, or one already revoked", async () => {
    await refused(["revoke", "--env", "lab", "--serial", "0123456789ABCDEF"], "serial 0123456789ABCDEF was not issued by the 'lab' CA");
    await refused(["revoke", "--env", "lab", "--serial", "xyz"], "serial 'xyz' is not hexadecimal");
    await refused(
      ["revoke", "--env", "lab", "--serial", issuedSerial.toLowerCase()],
      `serial ${issuedSerial} (good-device) is already revoked`,
    );
  });

  test("an output path whose directory does not exist, or that is a directory (checked before issuing)", async () => {
    await refused(
      ["issue", "--env", "lab", "--class", "sensor", "--csr", goodCsr, "--out", join(dir, "no-such-dir", "x.pem")],
      `--out ${join(dir, "no-such-dir", "x.pem")}: directory ${join(dir, "no-such-dir")} does not exist`,
    );
    await refused(["issue", "--env", "lab", "--class", "sensor", "--csr", goodCsr, "--out", dir], `--out ${dir} is a directory`);
    await refused(["crl", "--env", "lab", "--out", join(dir, "no-such-dir", "x.crl")], "does not exist; create it first");
  });

  test("an output directory that is a file, or a store path that cannot be created", async () => {
    const file = join(dir, "plain-file");
    writeFileSync(file, "");
    await refused(
      ["issue", "--env", "lab", "--class", "sensor", "--device", "d1", "--out-dir", file],
      `${file}: already exists and is not a directory (EEXIST)`,
    );
    await refused(["init", "--env", "lab"], `${join(file, "store")}: a path component is not a directory (ENOTDIR)`, {
      pkiDir: join(file, "store"),
    });
  });

  test("init over an existing CA", async () => {
    await refused(["init", "--env", "lab"], "a CA for environment 'lab' already exists");
    await refused(["init", "--env", "lab", "--key-type", "rsa2048"], "init never overwrites a CA");
  });

  test("lab-only operations in an environment that does not allow local keys", async () => {
    await refused(["issue", "--env", "prod", "--device", "d1", "--out-dir", join(dir, "d")], "--device is lab/dev only and");
    await refused(["init", "--env", "prod", "--unencrypted-dev-key"], "--unencrypted-dev-key is lab/dev only");
    expect(existsSync(join(pkiDir, "prod"))).toBe(false);
  });

  test("an environment that has no CA yet, or no environment file", async () => {
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(dir, "empty-store"));
    await refused(issue(goodCsr), "no CA for environment 'lab'", { pkiDir: join(dir, "empty-store") });
    await refused(["init", "--env", "staging"], "environments/staging.yaml: no such environment file");
  });
});

describe("moat pki usage errors exit 2", () => {
  let dir: string;
  let ctx: { pkiDir: string; environmentsDir: string };
  beforeAll(() => {
    dir = scratch();
    ctx = { pkiDir: join(dir, "store"), environmentsDir: environmentsDir(dir) };
  });
  afterAll(() => cleanup(dir));

  test.each([
    [["init"], "--env is required"],
    [["frobnicate", "--env", "lab"], "unknown command 'frobnicate'"],
    [["list", "--env", "lab", "--colour"], "Unknown option '--colour'"],
    [["init", "--env", "lab", "--key-type", "dsa"], "--key-type dsa is not one of p256, rsa2048, rsa3072"],
    [["revoke", "--env", "lab", "--serial", "01", "--reason", "boredom"], "--reason boredom is not one of unspecified, keyCompromise"],
    [["issue", "--env", "lab", "--csr", "a.csr"], "--out is required"],
    [["issue", "--env", "lab", "--device", "d", "--csr", "a.csr"], "give --device with --out-dir, or --csr with --out, not both"],
    [["bulk", "--env", "lab", "--csr-dir", "x"], "--out-dir is required"],
  ])("%j", async (args, message) => {
    const result = await moatPki(args, ctx);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(ctx.pkiDir)).toBe(false);
  });

  test("--help prints the commands and exits 0", async () => {
    const result = await moatPki(["--help"], ctx);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("verification-cert --registration-code");
  });
});
