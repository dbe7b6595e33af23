import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironment } from "../../config";
import { brokerUser, enrollLabDevice, labPaths, readRoster, simulateDevice, writeBrokerFiles } from "../../lab";
import { initCa, pkiPaths } from "../../pki";
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

  it("enrolls a device: key 0600, a certificate from the environment's CA with CN = the thing name, and its class in the roster", () => {
    const enrollment = enrollLabDevice({ pkiDir, config, deviceId: "gw-1", deviceClass: "gateway" });
    expect(enrollment).toMatchObject({ issued: true, device: { thing: "gw-1", deviceClass: "gateway" } });
    expect(statSync(enrollment.files.key).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(readFileSync(enrollment.files.cert));
    expect(cert.subject).toBe("CN=gw-1");
    expect(cert.verify(new X509Certificate(readFileSync(pkiPaths(pkiDir, config.name).issuingCert)).publicKey)).toBe(true);
    expect(cert.serialNumber).toBe(enrollment.serial);
    expect(readRoster(pkiDir, config.name)).toEqual([{ thing: "gw-1", deviceClass: "gateway" }]);
  });

  it("enrolling again returns the same device and issues nothing", () => {
    const before = readFileSync(labPaths(pkiDir, config.name).roster, "utf8");
    expect(enrollLabDevice({ pkiDir, config, deviceId: "gw-1" })).toMatchObject({ issued: false, device: { deviceClass: "gateway" } });
    expect(readFileSync(labPaths(pkiDir, config.name).roster, "utf8")).toBe(before);
  });

  it("defaults the class when the environment has only one", () => {
    const doc = devDocument();
    doc.topics.classes = { sensor: doc.topics.classes.sensor };
    const single = loadEnvironment("single", { dir: environmentsDir({ single: doc }) });
    initCa({ pkiDir, env: "single", unencryptedDevKey: true });
    expect(enrollLabDevice({ pkiDir, config: single, deviceId: "s1" }).device).toEqual({ thing: "s1", deviceClass: "sensor" });
  });

  it("the ACL grants per enrolled device: gateway rights to the gateway only", () => {
    const paths = writeBrokerFiles({ pkiDir, config, port: 18883, user: brokerUser() });
    const acl = readFileSync(paths.acl, "utf8");
    expect(acl).toContain("pattern write devices/%u/telemetry");
    expect(acl).toContain("user gw-1\ntopic read fleet/firmware");
    expect(acl).not.toMatch(/^user (?!gw-1)/m);
  });

  it("an ACL for an environment whose classes differ grants nothing before the first device is enrolled", () => {
    initCa({ pkiDir, env: "empty", unencryptedDevKey: true });
    const empty = { ...config, name: "empty" };
    const paths = writeBrokerFiles({ pkiDir, config: empty, port: 18883, user: brokerUser() });
    const lines = readFileSync(paths.acl, "utf8").split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
    expect(lines).toEqual([]);
  });

  it("a roster that is not moat's is refused with the fix", () => {
    const env = "corrupt";
    mkdirSync(labPaths(pkiDir, env).labDir, { recursive: true });
    writeFileSync(labPaths(pkiDir, env).roster, '{"devices": [{"thing": 1}]}');
    expect(() => readRoster(pkiDir, env)).toThrow(/lab roster .* is not moat's device list; delete it and enroll the devices again/);
  });

  it("the simulator refuses a device that is not enrolled, naming the command that enrolls it", async () => {
    await expect(simulateDevice({ pkiDir, config, deviceId: "ghost", port: 18883, report: () => undefined })).rejects.toThrow(
      /lab device ghost is not enrolled in 'lab'; run 'moat lab device --env lab --device ghost --class CLASS'/,
    );
  });

  it("the simulator refuses a device whose class the environment no longer defines", async () => {
    const without = { ...config, topics: { classes: Object.fromEntries(Object.entries(config.topics.classes).filter(([name]) => name !== "gateway")) } };
    await expect(simulateDevice({ pkiDir, config: without, deviceId: "gw-1", port: 18883, report: () => undefined })).rejects.toThrow(
      /lab device gw-1 has class 'gateway', which .* no longer defines; enroll it again under another name/,
    );
  });

  it("as root, a system without the mosquitto user is refused with the install hint", () => {
    if (process.getuid?.() !== 0) {
      expect(brokerUser().uid).toBe(process.getuid?.());
      return;
    }
    const passwd = join(pkiDir, "..", "passwd");
    writeFileSync(passwd, "root:x:0:0:root:/root:/bin/bash\n");
    expect(() => brokerUser(passwd)).toThrow(/user 'mosquitto' does not exist, and a broker started as root drops to it; install the broker with 'apt-get install mosquitto'/);
    expect(brokerUser()).toMatchObject({ name: "mosquitto" });
  });
});
