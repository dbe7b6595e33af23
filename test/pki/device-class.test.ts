import { X509Certificate } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { environmentJsonSchema } from "../../config/json-schema";
import {
  checkCsr,
  checkDeviceClass,
  DEVICE_CLASS,
  initCa,
  issueDeviceWithKey,
  issueFromCsr,
  issueServerCert,
  listIssued,
  pkiPaths,
  verificationCert,
} from "../../pki";
import { cleanup, environmentsDir, moatPki, openssl, opensslCsr, passphraseFile, PASSPHRASE, scratch, treeHash } from "./pki-fixtures";

/** `openssl x509 -noout -subject` of a PEM certificate: what a reviewer would run. */
const subjectOf = (pem: string) => openssl(["x509", "-noout", "-subject"], pem);

describe("device certificates carry the class as subject OU", () => {
  let dir: string;
  beforeAll(() => {
    dir = scratch();
    initCa({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE });
  });
  afterAll(() => cleanup(dir));
  const store = () => ({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE });

  test("issueFromCsr: the CA writes OU = <class> before the CN, whatever the CSR says; the index records the class", () => {
    const { csr } = opensslCsr(dir, "gw", "/CN=gw-0001");
    const issued = issueFromCsr({ ...store(), deviceClass: "gateway", csrPem: readFileSync(csr, "utf8") });
    expect(subjectOf(issued.certPem)).toBe("subject=OU = gateway, CN = gw-0001\n");
    // The OU is a UTF8String RDN of its own (what IoT Core's JITP parameter reads).
    expect(openssl(["x509", "-noout", "-subject", "-nameopt", "multiline,show_type"], issued.certPem)).toMatch(
      /organizationalUnitName\s+= UTF8STRING:gateway\n\s+commonName\s+= UTF8STRING:gw-0001/,
    );
    expect(listIssued({ pkiDir: dir, env: "lab" }).find((c) => c.serial === issued.serial)).toMatchObject({
      subject: "gw-0001",
      deviceClass: "gateway",
      profile: "device",
    });
  });

  test("issueDeviceWithKey: the same subject, and the key matches", () => {
    const files = issueDeviceWithKey({ ...store(), deviceId: "lab-s-1", deviceClass: "sensor", outDir: join(dir, "lab-s-1") });
    expect(subjectOf(readFileSync(files.cert, "utf8"))).toBe("subject=OU = sensor, CN = lab-s-1\n");
  });

  test("server and verification certificates carry no class", () => {
    const server = issueServerCert({ ...store(), dnsNames: ["localhost"], ipAddresses: [], outDir: join(dir, "server") });
    expect(subjectOf(readFileSync(server.cert, "utf8"))).toBe("subject=CN = localhost\n");
    verificationCert({ ...store(), registrationCode: "0a1b2c3d" });
    const others = listIssued({ pkiDir: dir, env: "lab" }).filter((c) => c.profile !== "device");
    expect(others.map((c) => [c.profile, c.deviceClass])).toEqual([
      ["server", undefined],
      ["verification", undefined],
    ]);
  });

  test.each([
    ["an uppercase class", "Gateway"],
    ["a class with '/'", "a/b"],
    ["an empty class", ""],
    ["a class of 64 characters (over the OU and thing-group budget)", "a".repeat(64)],
  ])("refuses %s before anything is written", (_what, deviceClass) => {
    const csrPem = readFileSync(opensslCsr(dir, "bad-class", "/CN=bad-class").csr, "utf8");
    const before = treeHash(dir);
    expect(() => issueFromCsr({ ...store(), deviceClass, csrPem })).toThrow(
      /^device bad-class: device class .* is not a class name; use 1-63 of lowercase letters, digits and '-', starting with a letter$/,
    );
    expect(() => issueDeviceWithKey({ ...store(), deviceId: "bad-class", deviceClass, outDir: join(dir, "never") })).toThrow(
      /^device bad-class: device class .* is not a class name/,
    );
    expect(existsSync(join(dir, "never"))).toBe(false);
    expect(treeHash(dir)).toBe(before);
  });

  test("a CSR's own OU, O or any attribute besides its one CN is refused: a device never chooses its class", () => {
    for (const [subject, shown] of [
      ["/OU=gateway/CN=sneaky", "OU"],
      ["/CN=sneaky/OU=gateway", "OU"],
      ["/O=acme/CN=sneaky", "O"],
      ["/C=DE/CN=sneaky", "C"],
    ]) {
      const csrPem = readFileSync(opensslCsr(dir, "sneaky", subject).csr, "utf8");
      expect(() => checkCsr(csrPem, "sneaky.csr")).toThrow(
        `sneaky.csr: subject has ${shown} besides the CN; a device CSR's subject must be only its CN (the CA sets the class, OU, itself): regenerate it with -subj "/CN=sneaky"`,
      );
    }
  });

  test("the class pattern is the one the environment schema allows for topics.classes", () => {
    const schema = environmentJsonSchema() as {
      properties: { topics: { properties: { classes: { propertyNames: { pattern: string } } } } };
    };
    expect(DEVICE_CLASS.source).toBe(schema.properties.topics.properties.classes.propertyNames.pattern);
    expect(() => checkDeviceClass("a".repeat(63), "x")).not.toThrow();
    expect(() => checkDeviceClass("9lives", "x")).toThrow('x: device class "9lives" is not a class name');
  });
});

describe("moat pki --class", () => {
  let dir: string;
  let ctx: { pkiDir: string; environmentsDir: string; passphraseFile: string };
  let csr: string;
  // The two CAs are made once; each test gets its own copy of them (the store holds no absolute
  // path), so no test sees another's certificates and only this beforeAll pays the key derivation.
  let template: string;
  beforeAll(async () => {
    template = scratch();
    const envs = environmentsDir(template);
    // A single-class environment beside lab (dev.yaml: sensor and gateway).
    const single = yaml.load(readFileSync(join(envs, "lab.yaml"), "utf8")) as { topics: { classes: Record<string, unknown> } };
    single.topics.classes = { sensor: single.topics.classes.sensor };
    writeFileSync(join(envs, "single.yaml"), yaml.dump(single));
    const made = { pkiDir: join(template, "store"), environmentsDir: envs, passphraseFile: passphraseFile(template) };
    expect((await moatPki(["init", "--env", "lab"], made)).code).toBe(0);
    expect((await moatPki(["init", "--env", "single"], made)).code).toBe(0);
  });
  afterAll(() => cleanup(template));
  beforeEach(() => {
    dir = scratch();
    cpSync(template, dir, { recursive: true });
    ctx = { pkiDir: join(dir, "store"), environmentsDir: join(dir, "environments"), passphraseFile: join(dir, "passphrase") };
    csr = opensslCsr(dir, "dev-1", "/CN=dev-1").csr;
  });
  afterEach(() => cleanup(dir));

  const certAt = (path: string) => readFileSync(path, "utf8");

  test("issue --csr --class gateway writes OU = gateway and says so; list shows the class", async () => {
    const out = join(dir, "dev-1.pem");
    const result = await moatPki(["issue", "--env", "lab", "--class", "gateway", "--csr", csr, "--out", out], ctx);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^issued [0-9A-F]{32} \(class gateway\) -> /);
    expect(subjectOf(certAt(out))).toBe("subject=OU = gateway, CN = dev-1\n");

    const list = await moatPki(["list", "--env", "lab"], ctx);
    expect(list.stdout.split("\n")[0]).toMatch(/^serial\s+status\s+profile\s+class\s+notAfter\s+subject$/);
    expect(list.stdout).toMatch(
      new RegExp(`${new X509Certificate(certAt(out)).serialNumber}\\s+valid\\s+device\\s+gateway\\s+\\S+\\s+dev-1\\n`),
    );
    const json = JSON.parse((await moatPki(["list", "--env", "lab", "--json"], ctx)).stdout) as { subject: string; deviceClass?: string }[];
    expect(json.find((c) => c.subject === "dev-1")?.deviceClass).toBe("gateway");
  });

  test("issue --device --class sensor writes OU = sensor", async () => {
    const out = join(dir, "d");
    const result = await moatPki(["issue", "--env", "lab", "--device", "lab-9", "--class", "sensor", "--out-dir", out], ctx);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^issued [0-9A-F]{32} for lab-9 \(class sensor\)\n/);
    expect(subjectOf(certAt(join(out, "lab-9.pem")))).toBe("subject=OU = sensor, CN = lab-9\n");
  });

  test("in a single-class environment --class defaults to that class", async () => {
    const out = join(dir, "single.pem");
    expect((await moatPki(["issue", "--env", "single", "--csr", csr, "--out", out], ctx)).code).toBe(0);
    expect(subjectOf(certAt(out))).toBe("subject=OU = sensor, CN = dev-1\n");
  });

  /** Exit 1, one line naming the classes, nothing written to the store or the output. */
  async function refusedWithStoreUnchanged(args: string[], expected: string, out: string) {
    const before = treeHash(ctx.pkiDir);
    const result = await moatPki(args, ctx);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`moat pki: ${expected}\n`);
    expect(treeHash(ctx.pkiDir)).toBe(before);
    expect(existsSync(out)).toBe(false);
  }

  test.each([
    ["missing in a multi-class environment", [], `--class is required for a device certificate: ENVS/lab.yaml has classes gateway, sensor`],
    ["not in topics.classes", ["--class", "pump"], `--class 'pump' is not in ENVS/lab.yaml topics.classes; use one of gateway, sensor`],
    [
      "not in a single-class environment's classes",
      ["--class", "gateway"],
      `--class 'gateway' is not in ENVS/single.yaml topics.classes; use one of sensor`,
    ],
  ])("--class %s: refused with exit 1, the store unchanged (issue --csr, issue --device, bulk)", async (what, classArgs, expected) => {
    const env = what.includes("single") ? "single" : "lab";
    const line = expected.replace("ENVS", ctx.environmentsDir);
    const out = join(dir, "never");
    await refusedWithStoreUnchanged(["issue", "--env", env, ...classArgs, "--csr", csr, "--out", out], line, out);
    await refusedWithStoreUnchanged(["issue", "--env", env, ...classArgs, "--device", "lab-x", "--out-dir", out], line, out);
    const csrDir = join(dir, "csrs");
    mkdirSync(csrDir, { recursive: true });
    writeFileSync(join(csrDir, "a.csr"), readFileSync(csr));
    await refusedWithStoreUnchanged(["bulk", "--env", env, ...classArgs, "--csr-dir", csrDir, "--out-dir", out], line, out);
  });

  test("bulk --class gateway: every certificate has OU = gateway; a rerun under another class refuses those CSRs instead of re-issuing", async () => {
    const csrDir = join(dir, "csrs");
    mkdirSync(csrDir);
    for (const name of ["gw-a", "gw-b", "gw-c"])
      writeFileSync(join(csrDir, `${name}.csr`), readFileSync(opensslCsr(dir, name, `/CN=${name}`).csr));
    const out = join(dir, "bulk-out");
    const first = await moatPki(["bulk", "--env", "lab", "--class", "gateway", "--csr-dir", csrDir, "--out-dir", out], ctx);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^bulk: 3 CSRs of class gateway: 3 issued/);
    for (const name of ["gw-a", "gw-b", "gw-c"])
      expect(subjectOf(certAt(join(out, `${name}.cert.pem`)))).toBe(`subject=OU = gateway, CN = ${name}\n`);
    expect(listIssued({ pkiDir: ctx.pkiDir, env: "lab" }).filter((c) => c.deviceClass === "gateway")).toHaveLength(3);

    const before = listIssued({ pkiDir: ctx.pkiDir, env: "lab" }).length;
    const rerun = await moatPki(["bulk", "--env", "lab", "--class", "sensor", "--csr-dir", csrDir, "--out-dir", out], ctx);
    expect(rerun.code).toBe(1);
    expect(rerun.stdout).toMatch(/^bulk: 3 CSRs of class sensor: 0 issued, 0 already issued \(skipped\), 3 refused/);
    expect(rerun.stderr).toMatch(
      new RegExp(
        `moat pki bulk: refused ${join(csrDir, "gw-a.csr")}: issued earlier as class 'gateway' \\(serial [0-9A-F]{32}\\), not 'sensor'; a rerun never changes a class: revoke that serial and send a new CSR\\n`,
      ),
    );
    expect(listIssued({ pkiDir: ctx.pkiDir, env: "lab" })).toHaveLength(before);
  });

  test("a CSR carrying its own OU is refused by the CLI too, store unchanged", async () => {
    const sneaky = opensslCsr(dir, "sneaky", "/OU=gateway/CN=sneaky").csr;
    const out = join(dir, "sneaky.pem");
    await refusedWithStoreUnchanged(
      ["issue", "--env", "lab", "--class", "sensor", "--csr", sneaky, "--out", out],
      `${sneaky}: subject has OU besides the CN; a device CSR's subject must be only its CN (the CA sets the class, OU, itself): regenerate it with -subj "/CN=sneaky"`,
      out,
    );
  });

  test("revoke and crl with no lab broker print nothing about a lab", async () => {
    const out = join(dir, "r.pem");
    const issued = await moatPki(["issue", "--env", "lab", "--class", "sensor", "--csr", csr, "--out", out], ctx);
    expect(issued.stdout.split("\n")).toHaveLength(2);
    const revoked = await moatPki(["revoke", "--env", "lab", "--serial", new X509Certificate(certAt(out)).serialNumber], ctx);
    expect(revoked).toMatchObject({ code: 0, stderr: "" });
    expect(revoked.stdout).toMatch(
      /^revoked [0-9A-F]{32}; CRL #\d+ nextUpdate \S+: deploy \S+ to the brokers\nAWS IoT Core does not read CRLs: .*\n  aws iot update-certificate --certificate-id [0-9a-f]{64} --new-status REVOKED\n$/,
    );
    const crl = await moatPki(["crl", "--env", "lab"], ctx);
    expect(crl).toMatchObject({ code: 0, stderr: "" });
    expect(crl.stdout).not.toMatch(/lab broker/);
    expect(pkiPaths(ctx.pkiDir, "lab").crl).toBeTruthy();
  });
});
