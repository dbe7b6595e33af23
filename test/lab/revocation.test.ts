import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { main } from "../../bin/moat";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { closeSession, labDeviceFiles, labStatus, openSession, reloadLabBroker, runningBroker, Session, SessionRefused } from "../../lab";
import { pkiPaths, revoke, writeCrl } from "../../pki";
import { LabFixture, labPrerequisites, startLab, waitFor } from "./lab-harness";

const lab = labPrerequisites();

lab.describe("lab broker: revocation reaches the running broker", () => {
  let fx: LabFixture;
  const open: Session[] = [];

  beforeAll(async () => {
    fx = await startLab({ "sensor-r": "sensor", "sensor-k": "sensor", "sensor-s": "sensor" });
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((s) => closeSession(s)));
    await fx?.stop();
  });

  const serialOf = (deviceId: string) =>
    new X509Certificate(readFileSync(labDeviceFiles(fx.pkiDir, fx.config.name, deviceId).cert)).serialNumber;
  const connect = async (deviceId: string) => {
    const session = await openSession({ port: fx.port, tls: fx.tlsOf(deviceId), clientId: deviceId });
    open.push(session);
    return session;
  };
  const refusal = (deviceId: string) =>
    openSession({ port: fx.port, tls: fx.tlsOf(deviceId), clientId: deviceId }).then(
      (s) => (open.push(s), "accepted"),
      (err: SessionRefused) => err.reason,
    );
  const crlCheck = (deviceId: string) => {
    const paths = pkiPaths(fx.pkiDir, fx.config.name);
    const result = spawnSync(
      "openssl",
      ["verify", "-crl_check", "-CAfile", paths.chain, "-CRLfile", paths.crl, labDeviceFiles(fx.pkiDir, fx.config.name, deviceId).cert],
      { encoding: "utf8" },
    );
    return result.stdout + result.stderr;
  };

  test("a connected device revoked while the broker only reloads (SIGHUP) is refused new connections, but its open session stays", async () => {
    const before = await connect("sensor-s");
    await expect(before.client.publishAsync("devices/sensor-s/telemetry", "before", { qos: 1 })).resolves.toBeDefined();

    revoke({ pkiDir: fx.pkiDir, env: fx.config.name, serial: serialOf("sensor-s"), reason: "keyCompromise" });
    expect(crlCheck("sensor-s")).toMatch(/certificate revoked/);
    const reload = await reloadLabBroker(fx.pkiDir, fx.config.name, { keepSessions: true });
    expect(reload.action).toBe("reloaded");
    expect(reload.message).toMatch(/stay connected until they reconnect/);

    expect(await refusal("sensor-s")).toMatch(/certificate revoked/i);
    // The measured gap that the default (restart) closes: Mosquitto checks the CRL only in the handshake.
    await expect(before.client.publishAsync("devices/sensor-s/telemetry", "after", { qos: 1 })).resolves.toBeDefined();
  });

  test("a connected device revoked while the broker reloads by default (restart) loses its session and cannot return, while the others reconnect", async () => {
    const revoked = await connect("sensor-r");
    const bystander = await connect("sensor-k");
    let revokedClosed = false;
    let bystanderClosed = false;
    revoked.client.on("close", () => (revokedClosed = true));
    bystander.client.on("close", () => (bystanderClosed = true));
    const pidBefore = fx.broker.pid;

    revoke({ pkiDir: fx.pkiDir, env: fx.config.name, serial: serialOf("sensor-r") });
    const reload = await reloadLabBroker(fx.pkiDir, fx.config.name);
    expect(reload.action).toBe("restarted");
    expect(reload.pid).not.toBe(pidBefore);
    expect(labStatus(fx.pkiDir, fx.config.name).running).toMatchObject({ pid: reload.pid, port: fx.port });

    await waitFor(() => revokedClosed && bystanderClosed, 5000);
    expect(revokedClosed).toBe(true);
    expect(bystanderClosed).toBe(true);
    expect(await refusal("sensor-r")).toMatch(/certificate revoked/i);
    const back = await connect("sensor-k");
    await expect(back.client.publishAsync("devices/sensor-k/telemetry", "back", { qos: 1 })).resolves.toBeDefined();

    // What an operator sees from the simulator: one line with the broker's alert.
    let err = "";
    const code = await main(
      ["lab", "device", "--env", "lab", "--device", "sensor-r", "--pki-dir", fx.pkiDir, "--environments-dir", dirname(fx.config.file)],
      {
        stdout: () => undefined,
        stderr: (t) => (err += t),
      },
    );
    expect(code).toBe(1);
    expect(err).toBe(
      `moat lab: lab device sensor-r: the broker on port ${fx.port} refused the session: TLS alert "certificate revoked" from the broker (ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED)\n`,
    );
  });

  test("an expired CRL is refused before it reaches the broker (Mosquitto would refuse every device)", async () => {
    const day = 24 * 60 * 60 * 1000;
    writeCrl({ pkiDir: fx.pkiDir, env: fx.config.name, now: new Date(Date.now() - 3 * day), crlValidityDays: 1 });
    const running = runningBroker(labStatus(fx.pkiDir, fx.config.name).paths);
    await expect(reloadLabBroker(fx.pkiDir, fx.config.name)).rejects.toThrow(/CRL expired at .*run 'moat pki crl --env lab'/);
    // The running broker kept its last good CRL and still serves.
    expect(runningBroker(labStatus(fx.pkiDir, fx.config.name).paths)?.pid).toBe(running?.pid);
    await expect(connect("sensor-k")).resolves.toBeDefined();
    writeCrl({ pkiDir: fx.pkiDir, env: fx.config.name });
  });

  test("with no lab broker running, reload says so and changes nothing", async () => {
    await expect(reloadLabBroker(fx.pkiDir, "nothing-here")).resolves.toMatchObject({ action: "none" });
  });
});
