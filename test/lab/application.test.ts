import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { main } from "../../bin/moat";
import { loadEnvironment } from "../../config";
import {
  closeSession,
  enrollLabDevice,
  ensureLabApplication,
  labPaths,
  labRoster,
  openSession,
  refreshLabAcl,
  Session,
  TlsMaterial,
} from "../../lab";
import { issueApplicationWithKey, issueDeviceWithKey, listIssued, loadIssuingCa, revoke } from "../../pki";
import { issueLeaves } from "../../pki/issuance";
import { devDocument, environmentsDir } from "../support/environment-files";
import { collect, LabFixture, labPrerequisites, sleep, startLab, waitFor } from "./lab-harness";

const lab = labPrerequisites();

/** Runs `moat <argv>` in-process; `err` can be read while it runs. */
function moat(...argv: string[]): { done: Promise<{ code: number; out: string; err: string }>; err: () => string } {
  let out = "";
  let err = "";
  const done = main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }).then((code) => ({ code, out, err }));
  return { done, err: () => err };
}

lab.describe("the lab application identity: watch and send against real Mosquitto", () => {
  let fx: LabFixture;
  let app: TlsMaterial;
  const sessions: Session[] = [];
  const common = () => ["--env", "lab", "--pki-dir", fx.pkiDir, "--environments-dir", dirname(fx.config.file), "--port", String(fx.port)];
  const connect = async (tls: TlsMaterial) => {
    const session = await openSession({ port: fx.port, tls });
    sessions.push(session);
    return session;
  };

  beforeAll(async () => {
    // gw-1 sorts before the sensors, so sensor-2's block is the ACL's last before the application's.
    fx = await startLab({ "gw-1": "gateway", "sensor-1": "sensor", "sensor-2": "sensor" }, {}, "backend.app");
    const files = ensureLabApplication({ pkiDir: fx.pkiDir, config: fx.config }).files;
    app = { ca: fx.chain, cert: readFileSync(files.cert), key: readFileSync(files.key) };
  }, 60_000);
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map(closeSession));
  });
  afterAll(async () => fx?.stop());

  test("lab watch prints each message a device publishes, one line with its topic and payload", async () => {
    const watch = moat("lab", "watch", ...common(), "--device", "sensor-1", "--count", "2", "--timeout", "15");
    await waitFor(() => watch.err().includes("watching"), 10_000);
    expect(watch.err()).toContain("backend.app: watching 2 topics of 1 device(s)");
    const device = await connect(fx.tlsOf("sensor-1"));
    await device.client.publishAsync("devices/sensor-1/telemetry", '{"t":21.5}', { qos: 1 });
    await device.client.publishAsync("devices/sensor-1/status", "ok", { qos: 1 });
    const result = await watch.done;
    expect(result.out).toBe('devices/sensor-1/telemetry {"t":21.5}\ndevices/sensor-1/status ok\n');
    expect(result.code).toBe(0);
  });

  test("lab watch --class shows only that class's devices, and a count not reached by the timeout exits 1", async () => {
    const watch = moat("lab", "watch", ...common(), "--class", "gateway", "--count", "2", "--timeout", "2");
    await waitFor(() => watch.err().includes("watching"), 10_000);
    const sensor = await connect(fx.tlsOf("sensor-1"));
    const gateway = await connect(fx.tlsOf("gw-1"));
    await sensor.client.publishAsync("devices/sensor-1/telemetry", "from a sensor", { qos: 1 });
    await gateway.client.publishAsync("devices/gw-1/telemetry", "from a gateway", { qos: 1 });
    const result = await watch.done;
    expect(result.out).toBe("devices/gw-1/telemetry from a gateway\n");
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/1 of 2 messages within 2 s/);
  });

  test("lab send delivers one command to the device (PUBACK reason 0), and says so when nobody received it (reason 16)", async () => {
    const device = await connect(fx.tlsOf("sensor-1"));
    const seen = collect(device.client);
    await device.client.subscribeAsync("devices/sensor-1/commands", { qos: 1 });
    const sent = await moat("lab", "send", ...common(), "--device", "sensor-1", '{"led":"on"}').done;
    expect(sent).toMatchObject({ code: 0, out: "sent to devices/sensor-1/commands: PUBACK reason 0 (delivered to a subscriber)\n" });
    await waitFor(() => seen.length > 0, 3000);
    expect(seen).toEqual([{ topic: "devices/sensor-1/commands", payload: '{"led":"on"}' }]);

    const nobody = await moat("lab", "send", ...common(), "--device", "sensor-2", "reboot").done;
    expect(nobody.code).toBe(1);
    expect(nobody.err.trim().split("\n").at(-1)).toMatch(
      /^sent to devices\/sensor-2\/commands, but no subscriber received it \(PUBACK reason 16: no matching subscribers\)/,
    );
  });

  test("lab send may use a shared topic the device receives: every gateway gets the firmware notice", async () => {
    const gateway = await connect(fx.tlsOf("gw-1"));
    const seen = collect(gateway.client);
    await gateway.client.subscribeAsync("fleet/firmware", { qos: 1 });
    const sent = await moat("lab", "send", ...common(), "--device", "gw-1", "--topic", "fleet/firmware", "v2").done;
    expect(sent.code).toBe(0);
    await waitFor(() => seen.length > 0, 3000);
    expect(seen).toEqual([{ topic: "fleet/firmware", payload: "v2" }]);
  });

  test("the application cannot publish as a device: not to a device's telemetry, nor to telemetry under its own name", async () => {
    const application = await connect(app);
    for (const topic of ["devices/sensor-1/telemetry", "devices/backend.app/telemetry", "devices/sensor-1/status"]) {
      await expect(application.client.publishAsync(topic, "forged", { qos: 1 })).rejects.toMatchObject({ code: 135 });
    }
  });

  test("the application reads only what devices publish: not their commands, not the gateways' shared firmware topic", async () => {
    const application = await connect(app);
    const appSeen = collect(application.client);
    await application.client.subscribeAsync(["devices/sensor-1/commands", "fleet/firmware"], { qos: 1 });
    const sensor = await connect(fx.tlsOf("sensor-1"));
    const gateway = await connect(fx.tlsOf("gw-1"));
    const sensorSeen = collect(sensor.client);
    const gatewaySeen = collect(gateway.client);
    await sensor.client.subscribeAsync("devices/sensor-1/commands", { qos: 1 });
    await gateway.client.subscribeAsync("fleet/firmware", { qos: 1 });
    // The application's own publishes: delivered to the devices, never back to it.
    await application.client.publishAsync("devices/sensor-1/commands", "c1", { qos: 1 });
    await application.client.publishAsync("fleet/firmware", "f1", { qos: 1 });
    await waitFor(() => sensorSeen.length > 0 && gatewaySeen.length > 0, 3000);
    await sleep(300);
    expect(sensorSeen.map((m) => m.payload)).toEqual(["c1"]);
    expect(gatewaySeen.map((m) => m.payload)).toEqual(["f1"]);
    expect(appSeen).toEqual([]);
  });

  test("a device cannot read the application's side: another device's telemetry and commands stay closed to it", async () => {
    const other = await connect(fx.tlsOf("sensor-2"));
    const otherSeen = collect(other.client);
    await other.client.subscribeAsync(["devices/sensor-1/telemetry", "devices/sensor-1/commands"], { qos: 1 });
    const sensor = await connect(fx.tlsOf("sensor-1"));
    const sensorSeen = collect(sensor.client);
    await sensor.client.subscribeAsync("devices/sensor-1/commands", { qos: 1 });
    const application = await connect(app);
    const appSeen = collect(application.client);
    await application.client.subscribeAsync("devices/sensor-1/telemetry", { qos: 1 });
    await sensor.client.publishAsync("devices/sensor-1/telemetry", "t1", { qos: 1 });
    await application.client.publishAsync("devices/sensor-1/commands", "c1", { qos: 1 });
    // sensor-2 may not write the commands the application writes either.
    await expect(other.client.publishAsync("devices/sensor-1/commands", "forged", { qos: 1 })).rejects.toMatchObject({ code: 135 });
    await waitFor(() => appSeen.length > 0 && sensorSeen.length > 0, 3000);
    await sleep(300);
    expect(appSeen.map((m) => m.payload)).toEqual(["t1"]);
    expect(sensorSeen.map((m) => m.payload)).toEqual(["c1"]);
    expect(otherSeen).toEqual([]);
  });

  test("the ACL gives the application exactly the devices' other side, topic by topic, with no pattern, wildcard or $ line", () => {
    const acl = readFileSync(labPaths(fx.pkiDir, "lab").acl, "utf8");
    const block = acl.slice(acl.indexOf("user backend.app"));
    expect(block.trim().split("\n")).toEqual([
      "user backend.app",
      "topic read devices/gw-1/telemetry",
      "topic write devices/gw-1/commands",
      "topic write fleet/firmware",
      "topic read devices/sensor-1/telemetry",
      "topic read devices/sensor-1/status",
      "topic write devices/sensor-1/commands",
      "topic read devices/sensor-2/telemetry",
      "topic read devices/sensor-2/status",
      "topic write devices/sensor-2/commands",
    ]);
    expect(acl).not.toMatch(/^pattern /m);
    expect(acl).not.toMatch(/^(?!#).*[#+$]/m);
  });

  test("the ACL is rewritten and the broker reloaded only when it changed", async () => {
    const log = () => (readFileSync(labPaths(fx.pkiDir, "lab").logFile, "utf8").match(/Reloading config/g) ?? []).length;
    const before = log();
    expect(await refreshLabAcl(fx.pkiDir, fx.config)).toBe(false);
    expect(log()).toBe(before);
    enrollLabDevice({ pkiDir: fx.pkiDir, config: fx.config, deviceId: "sensor-3", deviceClass: "sensor" });
    expect(await refreshLabAcl(fx.pkiDir, fx.config)).toBe(true);
    expect(log()).toBe(before + 1);
    expect(readFileSync(labPaths(fx.pkiDir, "lab").acl, "utf8")).toContain("topic read devices/sensor-3/telemetry");
  });

  test("a revoked or expired application certificate is replaced, and the journal records the profile application", async () => {
    const first = listIssued({ pkiDir: fx.pkiDir, env: "lab" }).filter((c) => c.profile === "application");
    expect(first.map((c) => [c.subject, c.status, c.deviceClass])).toEqual([["backend.app", "valid", undefined]]);
    expect(labRoster(fx.pkiDir, fx.config).map((d) => d.thing)).not.toContain("backend.app");
    revoke({ pkiDir: fx.pkiDir, env: "lab", serial: first[0].serial });
    const renewed = ensureLabApplication({ pkiDir: fx.pkiDir, config: fx.config });
    expect(renewed.issued?.why).toBe(`the previous one (serial ${first[0].serial}) is revoked`);
    expect(ensureLabApplication({ pkiDir: fx.pkiDir, config: fx.config }).issued).toBeUndefined();
    const later = new Date(Date.now() + 40 * 24 * 3600 * 1000); // past the lab's 30-day validity
    expect(ensureLabApplication({ pkiDir: fx.pkiDir, config: fx.config, now: later }).issued?.why).toBe(
      "the previous one expired or is about to",
    );
    // Back to a certificate valid today, which the broker (with the new CRL) accepts.
    revoke({ pkiDir: fx.pkiDir, env: "lab", serial: readSerial(fx.pkiDir) });
    expect(ensureLabApplication({ pkiDir: fx.pkiDir, config: fx.config }).issued).toBeDefined();
  });

  test("names collide nowhere: the CA, lab device, issuance and the schema refuse a name of the other kind", () => {
    const device = moat("lab", "device", ...common(), "--device", "backend.app", "--class", "sensor");
    return device.done.then((result) => {
      expect(result.code).toBe(1);
      expect(result.err.trim().split("\n")).toHaveLength(1);
      expect(result.err).toMatch(/"backend.app" is not a valid thing name/);
      const ca = loadIssuingCa(fx.pkiDir, "lab", undefined);
      const now = new Date();
      const request = {
        commonName: "backend.app",
        subjectPublicKeyInfo: Buffer.alloc(0),
        deviceClass: "sensor",
        notBefore: now,
        notAfter: new Date(now.getTime() + 86_400_000),
      };
      expect(() => issueLeaves(ca, [{ ...request, profile: "device" }], now)).toThrow(
        /device certificate: CN "backend.app" is an application name \(it has a dot\), not a thing name/,
      );
      expect(() => issueLeaves(ca, [{ ...request, commonName: "sensor-1", profile: "application" }], now)).toThrow(
        /"sensor-1" is not an application name \(that is a thing name/,
      );
      expect(() =>
        issueDeviceWithKey({ pkiDir: fx.pkiDir, env: "lab", deviceId: "backend.app", deviceClass: "sensor", outDir: fx.work }),
      ).toThrow(/not a valid thing name/);
      expect(() => issueApplicationWithKey({ pkiDir: fx.pkiDir, env: "lab", name: "gw-1", outDir: fx.work })).toThrow(
        /lab.application.name: "gw-1" is not an application name/,
      );
      expect(loadEnvironment("dev").lab?.application?.name).toBe("backend.app");
      const doc = devDocument();
      doc.lab = { application: { name: "sensor-1" } };
      expect(() => loadEnvironment("bad", { dir: environmentsDir({ bad: doc }) })).toThrow(
        /lab\.application\.name.*is not an application name/,
      );
    });
  });

  test.each([
    [["watch", "--device", "sensor-1", "--class", "sensor"], 2, /takes --device or --class, not both/],
    [["watch", "--count", "0"], 2, /--count '0' is not a positive whole number/],
    [["watch", "--timeout", "soon"], 2, /--timeout 'soon' is not a number of seconds/],
    [["watch", "--device", "sensor-9"], 1, /--device "sensor-9" is not an enrolled device of 'lab' \(enrolled: gw-1, sensor-1, sensor-2/],
    [["watch", "--class", "robot"], 1, /--class 'robot' is not in .*lab.yaml topics.classes; use one of gateway, operator, sensor/],
    [["send", "hello"], 2, /--device is required; run 'moat lab send --help'/],
    [["send", "--device", "sensor-1"], 2, /moat lab send needs a MESSAGE after the options/],
    [["send", "--device", "sensor-1", "a", "b"], 2, /moat lab send takes one MESSAGE, got 2/],
    [
      ["send", "--device", "sensor-1", "--topic", "devices/sensor-1/telemetry", "x"],
      1,
      /--topic "devices\/sensor-1\/telemetry" is not a topic device sensor-1 \(class sensor\) receives in .*lab.yaml; use one of devices\/sensor-1\/commands/,
    ],
    [["send", "--device", "sensor-1", "--topic", "fleet/firmware", "x"], 1, /--topic "fleet\/firmware" is not a topic device sensor-1/],
    [["send", "--device", "sensor-9", "x"], 1, /--device "sensor-9" is not an enrolled device/],
  ])("moat lab %j exits %i with one line naming the mistake", async (argv, code, message) => {
    const [command, ...rest] = argv;
    const result = await moat("lab", command, ...common(), ...rest).done;
    expect(result.code).toBe(code);
    expect(result.err).toMatch(message);
    expect(result.err.trim().split("\n")).toHaveLength(1);
  });

  test("an environment without lab.application refuses watch and send with one line saying what to add", async () => {
    const doc = devDocument();
    delete doc.lab;
    const dir = environmentsDir({ lab: doc });
    for (const argv of [["watch"], ["send", "--device", "sensor-1", "x"]]) {
      const [command, ...rest] = argv;
      const result = await moat("lab", command, "--env", "lab", "--pki-dir", fx.pkiDir, "--environments-dir", dir, ...rest).done;
      expect(result.code).toBe(1);
      expect(result.err).toMatch(
        /lab.yaml: lab.application.name is not set, so the lab has no application identity.*add 'lab: \{ application: \{ name: backend.app \} \}'/,
      );
      expect(result.err.trim().split("\n")).toHaveLength(1);
    }
  });
});

function readSerial(pkiDir: string): string {
  return listIssued({ pkiDir, env: "lab" })
    .filter((c) => c.profile === "application" && c.status === "valid")
    .at(-1)!.serial;
}
