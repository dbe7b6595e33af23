import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { boundSockets, closeSession, openSession, Session, SessionRefused, simulateDevice } from "../../lab";
import { issueDeviceWithKey, pkiPaths } from "../../pki";
import {
  collect,
  foreignCaDevice,
  handshake,
  LabFixture,
  labPrerequisites,
  opensslDeviceCert,
  sleep,
  startLab,
  waitFor,
} from "./lab-harness";

const lab = labPrerequisites();

// How long a test waits for a message that must NOT arrive, after the same test has seen the
// message to the allowed receiver arrive (waited for up to DELIVERY_MS, returning as soon as it does).
const QUIET_MS = 1500;
const DELIVERY_MS = 5000;

lab.describe("lab broker: every claim of the security brief against a real Mosquitto", () => {
  let fx: LabFixture;
  const open: Session[] = [];
  const track = (s: Session) => (open.push(s), s);

  beforeAll(async () => {
    fx = await startLab({ "sensor-a": "sensor", "sensor-b": "sensor", "gw-a": "gateway", op: "operator" });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => closeSession(s)));
  });
  afterAll(async () => {
    await fx?.stop();
  });

  /** Expects the session to be refused and returns what the client saw. */
  async function refused(attempt: Promise<Session>): Promise<string> {
    const outcome = await attempt.then(
      (s) => (track(s), "accepted"),
      (err: unknown) => err,
    );
    expect(outcome).toBeInstanceOf(SessionRefused);
    return (outcome as SessionRefused).reason;
  }

  describe("allowed flows (each fails if the broker refuses it)", () => {
    test("a device with a valid certificate connects over TLS 1.3 and may publish QoS 1 to its own topics", async () => {
      const a = track(await fx.connectAs("sensor-a"));
      expect(a.connack.reasonCode ?? 0).toBe(0);
      expect(a.tls?.protocol).toBe("TLSv1.3");
      // mqtt.js resolves a QoS 1 publish on a PUBACK below 0x80 and rejects with its reason code otherwise.
      await expect(a.client.publishAsync("devices/sensor-a/telemetry", '{"t":21.5}', { qos: 1 })).resolves.toMatchObject({
        topic: "devices/sensor-a/telemetry",
      });
      await expect(a.client.publishAsync("devices/sensor-a/status", "online", { qos: 1 })).resolves.toBeDefined();
    });

    test("a device subscribed to its own commands receives the operator's command, and the operator receives its telemetry", async () => {
      const a = track(await fx.connectAs("sensor-a"));
      const op = track(await fx.connectAs("op"));
      const toA = collect(a.client);
      const toOp = collect(op.client);
      const [granted] = await a.client.subscribeAsync("devices/sensor-a/commands", { qos: 1 });
      expect(granted.qos).toBe(1);
      await op.client.subscribeAsync("devices/sensor-a/telemetry", { qos: 1 });
      await op.client.publishAsync("devices/sensor-a/commands", "reboot", { qos: 1 });
      await a.client.publishAsync("devices/sensor-a/telemetry", "t=22", { qos: 1 });
      await waitFor(() => toA.length > 0 && toOp.length > 0, DELIVERY_MS);
      expect(toA).toEqual([{ topic: "devices/sensor-a/commands", payload: "reboot" }]);
      expect(toOp).toEqual([{ topic: "devices/sensor-a/telemetry", payload: "t=22" }]);
    });

    test("a gateway receives the shared topic when the operator announces firmware", async () => {
      const gw = track(await fx.connectAs("gw-a"));
      const op = track(await fx.connectAs("op"));
      const seen = collect(gw.client);
      await gw.client.subscribeAsync("fleet/firmware", { qos: 1 });
      await op.client.publishAsync("fleet/firmware", "v2", { qos: 1 });
      await waitFor(() => seen.length > 0, DELIVERY_MS);
      expect(seen).toEqual([{ topic: "fleet/firmware", payload: "v2" }]);
    });
  });

  describe("the device simulator (moat lab device)", () => {
    test("reports CONNACK, SUBACK, PUBACK codes and the messages delivered to the device", async () => {
      const op = track(await fx.connectAs("op"));
      const lines: string[] = [];
      const result = await simulateDevice({
        pkiDir: fx.pkiDir,
        config: fx.config,
        deviceId: "sensor-a",
        port: fx.port,
        messages: 1,
        listenMs: QUIET_MS,
        extraTopic: "devices/sensor-b/telemetry",
        report: (line) => {
          lines.push(line);
          if (line.startsWith("SUBACK")) void op.client.publishAsync("devices/sensor-a/commands", "calibrate", { qos: 1 });
        },
      });
      expect(result).toEqual({ accepted: 2, denied: 1, received: 1 });
      expect(lines[0]).toMatch(/^CONNACK reason 0 \(accepted\) over TLSv1\.3 \S+, client id sensor-a$/);
      expect(lines[1]).toBe("SUBACK devices/sensor-a/commands: granted QoS 1");
      // The command arrives while the publishes are under way: order between them is the broker's.
      expect(lines.slice(2).sort()).toEqual([
        expect.stringMatching(/^PUBACK devices\/sensor-a\/status #1: reason (0|16) \(accepted/),
        expect.stringMatching(/^PUBACK devices\/sensor-a\/telemetry #1: reason (0|16) \(accepted/),
        "PUBACK devices/sensor-b/telemetry #1: reason 135 (Not authorized)",
        "message on devices/sensor-a/commands: calibrate",
      ]);
    });
  });

  describe("refused connections (each fails if the broker accepts)", () => {
    test("plaintext MQTT to the TLS port gets no CONNACK", async () => {
      const reason = await refused(openSession({ port: fx.port, clientId: "sensor-a" }));
      expect(reason).toMatch(/closed|ECONNRESET|CONNACK/);
    });

    test("raw MQTT CONNECT bytes over TCP get no CONNACK byte back", async () => {
      // CONNECT, MQTT 3.1.1, clean session, keepalive 60, client id "x": a CONNACK starts with 0x20.
      const connect = Buffer.from([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x78]);
      const received = await new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        const socket = createConnection({ host: "127.0.0.1", port: fx.port }, () => socket.write(connect));
        socket.on("data", (d) => chunks.push(d));
        socket.on("error", () => undefined);
        socket.on("close", () => resolve(Buffer.concat(chunks)));
        setTimeout(() => socket.destroy(), 3000);
      });
      expect(received.length === 0 || received[0] !== 0x20).toBe(true);
    });

    test("TLS without a client certificate is refused (certificate required)", async () => {
      const reason = await refused(openSession({ port: fx.port, tls: { ca: fx.chain } }));
      expect(reason).toMatch(/certificate required/i);
    });

    test("a self-signed certificate with a valid-looking CN is refused (unknown CA)", async () => {
      const selfSigned = opensslDeviceCert(fx.work, "self-signed", "/CN=sensor-a");
      const reason = await refused(openSession({ port: fx.port, tls: { ...selfSigned, ca: fx.chain } }));
      expect(reason).toMatch(/unknown ca/i);
    });

    test("a certificate from another environment's CA, same CN, is refused (unknown CA)", async () => {
      const foreign = foreignCaDevice(fx.work, "sensor-a");
      const reason = await refused(openSession({ port: fx.port, tls: { ...foreign, ca: fx.chain } }));
      expect(reason).toMatch(/unknown ca/i);
    });

    test("an expired certificate from the environment's own CA is refused (certificate expired)", async () => {
      const day = 24 * 60 * 60 * 1000;
      const files = issueDeviceWithKey({
        pkiDir: fx.pkiDir,
        env: fx.config.name,
        deviceId: "sensor-a",
        deviceClass: "sensor",
        outDir: join(fx.work, "expired"),
        notBefore: new Date(Date.now() - 10 * day),
        notAfter: new Date(Date.now() - day),
      });
      // OpenSSL agrees: expired, and nothing else wrong with it (same CA, same CN as a valid device).
      const verify = () =>
        spawnSync("openssl", ["verify", "-CAfile", pkiPaths(fx.pkiDir, fx.config.name).chain, files.cert], { encoding: "utf8" });
      const verdict = verify();
      expect(verdict.status).not.toBe(0);
      expect(verdict.stdout + verdict.stderr).toMatch(/certificate has expired/);
      expect(verdict.stdout + verdict.stderr).not.toMatch(/unable to get|signature failure|unsupported/);
      const reason = await refused(
        openSession({ port: fx.port, tls: { ca: fx.chain, cert: readFileSync(files.cert), key: readFileSync(files.key) } }),
      );
      expect(reason).toMatch(/certificate expired/i);
    });

    test("TLS 1.1 is refused by the broker (protocol version alert), while TLS 1.2 with the same client succeeds", () => {
      // handshake() lowers OpenSSL's SECLEVEL, so the refusal of TLS 1.1 comes from the broker, not from the client.
      const tls11 = handshake(fx, "1.1");
      const tls12 = handshake(fx, "1.2");
      expect(tls12.accepted).toBe(true);
      expect(tls12.output).toMatch(/Protocol\s*:\s*TLSv1\.2/);
      expect(tls11.status).not.toBe(0);
      expect(tls11.output).toMatch(/alert protocol version/);
    });
  });

  describe("topic isolation between devices", () => {
    test("a device publishing to another device's topic gets PUBACK reason 135 (not authorized); to its own, 0", async () => {
      const b = track(await fx.connectAs("sensor-b"));
      await expect(b.client.publishAsync("devices/sensor-a/telemetry", "spoof", { qos: 1 })).rejects.toMatchObject({ code: 135 });
      await expect(b.client.publishAsync("devices/sensor-a/commands", "spoof", { qos: 1 })).rejects.toMatchObject({ code: 135 });
      await expect(b.client.publishAsync("fleet/firmware", "spoof", { qos: 1 })).rejects.toMatchObject({ code: 135 });
      await expect(b.client.publishAsync("devices/sensor-b/telemetry", "ok", { qos: 1 })).resolves.toMatchObject({
        topic: "devices/sensor-b/telemetry",
      });
    });

    test("a device subscribed to '#', '+' filters and another device's topics receives nothing, while the owner and the operator receive theirs", async () => {
      const a = track(await fx.connectAs("sensor-a"));
      const b = track(await fx.connectAs("sensor-b"));
      const op = track(await fx.connectAs("op"));
      const toA = collect(a.client);
      const toB = collect(b.client);
      const toOp = collect(op.client);
      await a.client.subscribeAsync("devices/sensor-a/commands", { qos: 1 });
      await op.client.subscribeAsync("devices/sensor-a/telemetry", { qos: 1 });
      // Mosquitto grants these SUBSCRIBEs and filters at delivery: the proof is what arrives.
      await b.client.subscribeAsync(
        ["#", "devices/+/commands", "devices/+/telemetry", "devices/sensor-a/commands", "devices/sensor-a/telemetry", "fleet/#"],
        { qos: 1 },
      );
      await op.client.publishAsync("devices/sensor-a/commands", "open-valve", { qos: 1 });
      await a.client.publishAsync("devices/sensor-a/telemetry", "t=23", { qos: 1 });
      await op.client.publishAsync("fleet/firmware", "v3", { qos: 1 });
      await waitFor(() => toA.length > 0 && toOp.length > 0, DELIVERY_MS);
      expect(toA.map((m) => m.payload)).toEqual(["open-valve"]);
      expect(toOp.map((m) => m.payload)).toEqual(["t=23"]);
      await sleep(QUIET_MS);
      expect(toB).toEqual([]);
    });

    test.each([
      ["+", "/CN=\\+"],
      ["#", "/CN=#"],
    ])("a certificate with CN %j (signed by the environment's CA) gets no wildcard out of the %%u pattern", async (cn, subject) => {
      const paths = pkiPaths(fx.pkiDir, fx.config.name);
      const hostile = opensslDeviceCert(fx.work, `cn-${cn === "+" ? "plus" : "hash"}`, subject, {
        cert: paths.issuingCert,
        key: paths.issuingKey,
      });
      expect(
        execFileSync("openssl", ["x509", "-in", hostile.certFile, "-noout", "-subject", "-nameopt", "RFC2253"], {
          encoding: "utf8",
        }).trim(),
      ).toBe(`subject=CN=${cn === "+" ? "\\+" : "#"}`);
      const attacker = track(await openSession({ port: fx.port, tls: { ...hostile, ca: fx.chain } }));
      const a = track(await fx.connectAs("sensor-a"));
      const op = track(await fx.connectAs("op"));
      const stolen = collect(attacker.client);
      const toA = collect(a.client);
      await a.client.subscribeAsync("devices/sensor-a/commands", { qos: 1 });
      // With %u = "+", `pattern read devices/%u/commands` would read every device's commands.
      await attacker.client.subscribeAsync(["devices/+/commands", "#"], { qos: 1 });
      await op.client.publishAsync("devices/sensor-a/commands", "secret", { qos: 1 });
      await waitFor(() => toA.length > 0, DELIVERY_MS);
      expect(toA.map((m) => m.payload)).toEqual(["secret"]);
      await sleep(QUIET_MS);
      expect(stolen).toEqual([]);
      // Nor may it write through the pattern: its "own" telemetry topic does not exist for it.
      await expect(attacker.client.publishAsync("devices/sensor-a/telemetry", "spoof", { qos: 1 })).rejects.toMatchObject({ code: 135 });
    });

    test("a client id naming another device neither takes over its session nor gains its topics", async () => {
      // Devices use their thing name as client id, as IoT Core requires.
      const a = track(await fx.connectAs("sensor-a", "sensor-a"));
      let aClosed = false;
      a.client.on("close", () => (aClosed = true));
      const toA = collect(a.client);
      await a.client.subscribeAsync("devices/sensor-a/commands", { qos: 1 });
      const b = track(await fx.connectAs("sensor-b", "sensor-a"));
      await expect(b.client.publishAsync("devices/sensor-a/telemetry", "spoof", { qos: 1 })).rejects.toMatchObject({ code: 135 });
      const op = track(await fx.connectAs("op"));
      await op.client.publishAsync("devices/sensor-a/commands", "still-mine", { qos: 1 });
      await waitFor(() => toA.length > 0, DELIVERY_MS);
      expect(aClosed).toBe(false);
      expect(toA.map((m) => m.payload)).toEqual(["still-mine"]);
    });
  });

  describe("nothing else listens", () => {
    test("the broker process is bound to exactly one socket: TCP 127.0.0.1:<port>", () => {
      expect(boundSockets(fx.broker.pid)).toEqual([{ protocol: "tcp", address: "127.0.0.1", port: fx.port }]);
    });

    // About our broker's sockets only: a developer's machine may run another broker on 1883.
    test("ss agrees: the broker pid listens on the one port, and not on 1883", () => {
      const ss = execFileSync("ss", ["-H", "-lntup"], { encoding: "utf8" });
      const brokerLines = ss.split("\n").filter((l) => l.includes(`pid=${fx.broker.pid},`));
      expect(brokerLines).toHaveLength(1);
      expect(brokerLines[0]).toContain(`127.0.0.1:${fx.port} `);
      expect(brokerLines[0]).not.toMatch(/:1883\s/);
    });
  });
});
