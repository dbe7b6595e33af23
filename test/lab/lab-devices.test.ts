import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../bin/moat";
import { loadEnvironment } from "../../config";
import { brokerUser, enrollLabDevice, labDeviceClass, labRoster, simulateDevice, writeBrokerFiles } from "../../lab";
import { initCa, issueDeviceWithKey, listIssued, pkiPaths, revoke } from "../../pki";
import { devDocument, environmentsDir } from "../support/environment-files";
import { labEnvironment } from "./lab-harness";

describe("lab devices (no broker needed)", () => {
  let pkiDir: string;
  const config = labEnvironment();

  beforeAll(() => {
    pkiDir = join(mkdtempSync(join(tmpdir(), "moat-lab-devices-")), "pki");
    initCa({ pkiDir, env: config.name, unencryptedDevKey: true });
  });
  afterAll(() => rmSync(join(pkiDir, ".."), { recursive: true, force: true }));

  test("enrolls a device: key 0600, a certificate from the environment's CA with OU = its class and CN = the thing name", () => {
    const enrollment = enrollLabDevice({ pkiDir, config, deviceId: "gw-1", deviceClass: "gateway" });
    expect(enrollment).toMatchObject({ issued: true, device: { thing: "gw-1", deviceClass: "gateway" } });
    expect(statSync(enrollment.files.key).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(readFileSync(enrollment.files.cert));
    expect(cert.subject).toBe("OU=gateway\nCN=gw-1");
    expect(cert.verify(new X509Certificate(readFileSync(pkiPaths(pkiDir, config.name).issuingCert)).publicKey)).toBe(true);
    expect(cert.serialNumber).toBe(enrollment.serial);
    expect(labRoster(pkiDir, config)).toEqual([{ thing: "gw-1", deviceClass: "gateway" }]);
    expect(labDeviceClass(pkiDir, config, "gw-1")).toBe("gateway");
  });

  test("enrolling again returns the same device and issues nothing", () => {
    const before = listIssued({ pkiDir, env: config.name }).length;
    expect(enrollLabDevice({ pkiDir, config, deviceId: "gw-1" })).toMatchObject({ issued: false, device: { deviceClass: "gateway" } });
    expect(listIssued({ pkiDir, env: config.name })).toHaveLength(before);
  });

  test("defaults the class when the environment has only one", () => {
    const doc = devDocument();
    doc.topics.classes = { sensor: doc.topics.classes.sensor };
    const single = loadEnvironment("single", { dir: environmentsDir({ single: doc }) });
    initCa({ pkiDir, env: "single", unencryptedDevKey: true });
    expect(enrollLabDevice({ pkiDir, config: single, deviceId: "s1" }).device).toEqual({ thing: "s1", deviceClass: "sensor" });
    // The single-class template has a fixed group and reads no OU: any device certificate gets the class.
    issueDeviceWithKey({ pkiDir, env: "single", deviceId: "odd", deviceClass: "pump", outDir: join(pkiDir, "..", "odd") });
    expect(labRoster(pkiDir, single)).toEqual([
      { thing: "odd", deviceClass: "sensor" },
      { thing: "s1", deviceClass: "sensor" },
    ]);
  });

  test("moat pki issue that the lab broker cannot follow keeps the certificate and warns with exit 1, naming the fix", async () => {
    const env = "follow";
    const envs = environmentsDir({ [env]: { ...devDocument(), pki: { ...devDocument().pki, allowLocalKeys: true } } });
    initCa({ pkiDir, env, unencryptedDevKey: true });
    writeBrokerFiles({ pkiDir, config: loadEnvironment(env, { dir: envs }), port: 18883, user: brokerUser() });
    const issue = async (deviceClass: string) => {
      let out = "";
      let err = "";
      const args = [
        "pki",
        "issue",
        "--env",
        env,
        "--device",
        "twin",
        "--class",
        deviceClass,
        "--out-dir",
        join(pkiDir, "..", `twin-${deviceClass}`),
        "--pki-dir",
        pkiDir,
        "--environments-dir",
        envs,
      ];
      const code = await main(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
      return { code, out, err };
    };
    expect(await issue("sensor")).toMatchObject({ code: 0, err: "" });
    const second = await issue("gateway");
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/^issued [0-9A-F]{32} for twin \(class gateway\)\n/);
    expect(second.err).toMatch(
      /^moat pki: warning: 'twin' now has 2 valid certificates \([0-9A-F]+, [0-9A-F]+\); .*\nmoat pki: WARNING: the store is updated but the 'follow' lab broker did not load the new ACL: thing twin has valid certificates of two classes .*; then run 'moat lab down --env follow' and 'moat lab up --env follow'\n$/,
    );
    expect(listIssued({ pkiDir, env }).filter((c) => c.subject === "twin")).toHaveLength(2);
  });

  test("the ACL grants per enrolled device: gateway rights to the gateway only", () => {
    const paths = writeBrokerFiles({ pkiDir, config, port: 18883, user: brokerUser() });
    const acl = readFileSync(paths.acl, "utf8");
    expect(acl).toContain("pattern write devices/%u/telemetry");
    expect(acl).toContain("user gw-1\ntopic read fleet/firmware");
    expect(acl).not.toMatch(/^user (?!gw-1)/m);
  });

  test("an ACL for an environment whose classes differ grants nothing before the first device is enrolled", () => {
    initCa({ pkiDir, env: "empty", unencryptedDevKey: true });
    const empty = { ...config, name: "empty" };
    const paths = writeBrokerFiles({ pkiDir, config: empty, port: 18883, user: brokerUser() });
    const lines = readFileSync(paths.acl, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"));
    expect(lines).toEqual([]);
  });

  test("the roster is every valid device certificate's OU: a certificate issued outside the lab counts, a revoked one and an unknown class do not", () => {
    const env = "roster";
    initCa({ pkiDir, env, unencryptedDevKey: true });
    const cfg = { ...config, name: env };
    const out = join(pkiDir, "..", "roster-out");
    issueDeviceWithKey({ pkiDir, env, deviceId: "field-gw", deviceClass: "gateway", outDir: out });
    const revoked = issueDeviceWithKey({ pkiDir, env, deviceId: "stolen", deviceClass: "gateway", outDir: out });
    revoke({ pkiDir, env, serial: revoked.serial });
    issueDeviceWithKey({ pkiDir, env, deviceId: "pump-1", deviceClass: "pump", outDir: out });
    enrollLabDevice({ pkiDir, config: cfg, deviceId: "s-1", deviceClass: "sensor" });
    expect(labRoster(pkiDir, cfg)).toEqual([
      { thing: "field-gw", deviceClass: "gateway" },
      { thing: "s-1", deviceClass: "sensor" },
    ]);
    const acl = readFileSync(writeBrokerFiles({ pkiDir, config: cfg, port: 18883, user: brokerUser() }).acl, "utf8");
    expect(acl).toContain("user field-gw\ntopic read fleet/firmware");
    expect(acl).not.toMatch(/stolen|pump-1/);
  });

  test("one thing name with valid certificates of two classes is refused, naming both serials and the fix", () => {
    const env = "conflict";
    initCa({ pkiDir, env, unencryptedDevKey: true });
    const out = join(pkiDir, "..", "conflict-out");
    const first = issueDeviceWithKey({ pkiDir, env, deviceId: "twin", deviceClass: "sensor", outDir: out });
    const second = issueDeviceWithKey({ pkiDir, env, deviceId: "twin", deviceClass: "gateway", outDir: out });
    expect(() => labRoster(pkiDir, { ...config, name: env })).toThrow(
      `thing twin has valid certificates of two classes ('sensor' serial ${first.serial}, 'gateway' serial ${second.serial}); the lab grants by CN, so revoke the wrong one with 'moat pki revoke --env conflict --serial ...'`,
    );
  });

  test("a lab device whose certificate has no OU belongs to the only class of a single-class environment, to none otherwise", () => {
    const env = "no-ou";
    initCa({ pkiDir, env, unencryptedDevKey: true });
    const cfg = { ...config, name: env };
    const dir = join(pkiDir, env, "lab", "devices", "old");
    mkdirSync(dir, { recursive: true });
    // A certificate from before classes: made by openssl with the environment's CA, CN only.
    const ca = pkiPaths(pkiDir, env);
    writeFileSync(join(dir, "ext"), "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n");
    execFileSync(
      "openssl",
      [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        join(dir, "old.key"),
        "-subj",
        "/CN=old",
        "-out",
        join(dir, "old.csr"),
      ],
      { stdio: "pipe" },
    );
    execFileSync(
      "openssl",
      [
        "x509",
        "-req",
        "-in",
        join(dir, "old.csr"),
        "-CA",
        ca.issuingCert,
        "-CAkey",
        ca.issuingKey,
        "-CAcreateserial",
        "-days",
        "5",
        "-extfile",
        join(dir, "ext"),
        "-out",
        join(dir, "old.pem"),
      ],
      { stdio: "pipe" },
    );
    expect(() => labDeviceClass(pkiDir, cfg, "old")).toThrow(
      /lab device old: its certificate .*old.pem names no class \(no OU\) and .* has several; enroll it again under another name/,
    );
    const single = { ...cfg, topics: { classes: { sensor: config.topics.classes.sensor } } };
    expect(labDeviceClass(pkiDir, single, "old")).toBe("sensor");
  });

  test("the simulator refuses a device that is not enrolled, naming the command that enrolls it", async () => {
    await expect(simulateDevice({ pkiDir, config, deviceId: "ghost", port: 18883, report: () => undefined })).rejects.toThrow(
      /lab device ghost is not enrolled in 'lab'; run 'moat lab device --env lab --device ghost --class CLASS'/,
    );
  });

  test("the simulator refuses a device whose class the environment no longer defines", async () => {
    const without = {
      ...config,
      topics: { classes: Object.fromEntries(Object.entries(config.topics.classes).filter(([name]) => name !== "gateway")) },
    };
    await expect(simulateDevice({ pkiDir, config: without, deviceId: "gw-1", port: 18883, report: () => undefined })).rejects.toThrow(
      /lab device gw-1 has class 'gateway', which .* no longer defines; enroll it again under another name/,
    );
  });

  test("as root, a system without the mosquitto user is refused with the install hint", () => {
    if (process.getuid?.() !== 0) {
      expect(brokerUser().uid).toBe(process.getuid?.());
      return;
    }
    const passwd = join(pkiDir, "..", "passwd");
    writeFileSync(passwd, "root:x:0:0:root:/root:/bin/bash\n");
    expect(() => brokerUser(passwd)).toThrow(
      /user 'mosquitto' does not exist, and a broker started as root drops to it; install the broker with 'apt-get install mosquitto'/,
    );
    expect(brokerUser()).toMatchObject({ name: "mosquitto" });
  });
});
