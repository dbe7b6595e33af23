import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { main } from "../../bin/moat";
import { closeSession, labStatus, openSession, Session, SessionRefused, TlsMaterial } from "../../lab";
import { pkiPaths } from "../../pki";
import { collect, LabFixture, labPrerequisites, startLab, waitFor } from "./lab-harness";

const lab = labPrerequisites();

// A delivery that should happen arrives within this; the sensor's silence is checked after the
// gateway's copy of the same message has arrived, so no fixed sleep decides the result.
const DELIVERY_MS = 5000;

lab.describe("lab broker: the device class comes from the certificate's OU, as in the cloud", () => {
  let fx: LabFixture;
  const open: Session[] = [];

  /** `moat pki ...` / `moat lab ...` in-process against the lab's store and environment. */
  async function moat(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await main([...args, "--pki-dir", fx.pkiDir, "--environments-dir", dirname(fx.config.file)], {
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
    });
    return { code, out, err };
  }
  /** TLS material of a device issued by `moat pki issue --device` into DIR. */
  const tlsIn = (dir: string, id: string): TlsMaterial => ({
    ca: fx.chain,
    cert: readFileSync(join(dir, `${id}.pem`)),
    key: readFileSync(join(dir, `${id}.key`)),
  });
  const connect = async (tls: TlsMaterial, clientId: string) => {
    const session = await openSession({ port: fx.port, tls, clientId });
    open.push(session);
    return session;
  };

  beforeAll(async () => {
    // Only the operator is a lab device; the gateway and the sensor are issued by `moat pki`
    // while the broker runs, like field devices: the lab must learn their class from the OU.
    fx = await startLab({ op: "operator" });
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((s) => closeSession(s)));
    await fx?.stop();
  });

  test("of a gateway and a sensor issued by 'moat pki issue --class', only the gateway receives the operator's firmware announcement", async () => {
    const devices = join(fx.work, "field");
    for (const [id, deviceClass] of [
      ["field-gw", "gateway"],
      ["field-sensor", "sensor"],
    ]) {
      const issued = await moat("pki", "issue", "--env", "lab", "--device", id, "--class", deviceClass, "--out-dir", devices);
      expect(issued.code).toBe(0);
      expect(issued.out).toContain(`(class ${deviceClass})`);
      expect(issued.out).toContain("the running 'lab' lab broker reloaded its ACL\n");
      expect(execFileSync("openssl", ["x509", "-noout", "-subject", "-in", join(devices, `${id}.pem`)], { encoding: "utf8" })).toBe(
        `subject=OU = ${deviceClass}, CN = ${id}\n`,
      );
    }
    expect(readFileSync(labStatus(fx.pkiDir, "lab").paths.acl, "utf8")).toContain("user field-gw\ntopic read fleet/firmware\n");

    const gw = await connect(tlsIn(devices, "field-gw"), "field-gw");
    const sensor = await connect(tlsIn(devices, "field-sensor"), "field-sensor");
    const op = await connect(fx.tlsOf("op"), "op");
    const toGateway = collect(gw.client);
    const toSensor = collect(sensor.client);
    // Mosquitto grants every SUBSCRIBE and filters at delivery, so both subscriptions "succeed".
    await gw.client.subscribeAsync("fleet/firmware", { qos: 1 });
    await sensor.client.subscribeAsync("fleet/firmware", { qos: 1 });
    await op.client.publishAsync("fleet/firmware", "v3", { qos: 1 });

    await waitFor(() => toGateway.length > 0, DELIVERY_MS);
    expect(toGateway).toEqual([{ topic: "fleet/firmware", payload: "v3" }]);
    // The sensor's own topic still works for it: its session is alive, only the class is missing.
    await expect(sensor.client.publishAsync("devices/field-sensor/telemetry", "t=1", { qos: 1 })).resolves.toBeDefined();
    expect(toSensor).toEqual([]);
  });

  test("'moat pki revoke' restarts a running lab broker on the new CRL: the revoked device is refused, a valid one reconnects", async () => {
    const devices = join(fx.work, "revocation");
    for (const id of ["rv-bad", "rv-good"])
      expect((await moat("pki", "issue", "--env", "lab", "--device", id, "--class", "sensor", "--out-dir", devices)).code).toBe(0);
    const bad = await connect(tlsIn(devices, "rv-bad"), "rv-bad");
    const good = await connect(tlsIn(devices, "rv-good"), "rv-good");
    let badClosed = false;
    let goodClosed = false;
    bad.client.on("close", () => (badClosed = true));
    good.client.on("close", () => (goodClosed = true));
    const pidBefore = labStatus(fx.pkiDir, "lab").running?.pid;

    const serial = new X509Certificate(readFileSync(join(devices, "rv-bad.pem"))).serialNumber;
    const revoked = await moat("pki", "revoke", "--env", "lab", "--serial", serial, "--reason", "keyCompromise");

    expect(revoked).toMatchObject({ code: 0, err: "" });
    const lines = revoked.out.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^revoked ${serial}; CRL #\\d+ nextUpdate `));
    expect(lines[2]).toMatch(/^  aws iot update-certificate --certificate-id [0-9a-f]{64} --new-status REVOKED$/);
    expect(lines[3]).toMatch(
      /^lab broker restarted with the new CRL \(pid \d+, port \d+\): every session was closed, revoked devices can no longer reconnect$/,
    );
    expect(labStatus(fx.pkiDir, "lab").running?.pid).not.toBe(pidBefore);
    await waitFor(() => badClosed && goodClosed, DELIVERY_MS);
    expect([badClosed, goodClosed]).toEqual([true, true]);

    const refusal = await openSession({ port: fx.port, tls: tlsIn(devices, "rv-bad"), clientId: "rv-bad" }).then(
      (s) => (open.push(s), "accepted"),
      (err: SessionRefused) => err.reason,
    );
    expect(refusal).toMatch(/certificate revoked/i);
    const back = await connect(tlsIn(devices, "rv-good"), "rv-good");
    await expect(back.client.publishAsync("devices/rv-good/telemetry", "back", { qos: 1 })).resolves.toBeDefined();

    // moat pki crl reloads the running broker the same way.
    const crl = await moat("pki", "crl", "--env", "lab");
    expect(crl.code).toBe(0);
    expect(crl.out).toMatch(/\nlab broker restarted with the new CRL/);
  });

  test("a lab broker that cannot restart on the new CRL: the CRL stands, the warning names 'moat lab reload' (exit 1)", async () => {
    const { paths } = labStatus(fx.pkiDir, "lab");
    appendFileSync(paths.config, "no_such_mosquitto_option true\n"); // the restart reads the config again and fails
    const crlNumberBefore = readFileSync(pkiPaths(fx.pkiDir, "lab").crlNumber, "utf8");
    const crl = await moat("pki", "crl", "--env", "lab");
    expect(crl.code).toBe(1);
    expect(crl.out).toMatch(/^CRL #\d+ -> /);
    expect(crl.err).toMatch(
      /^moat pki: WARNING: the store is updated but the 'lab' lab broker did not load the new CRL: .*; then run 'moat lab reload --env lab'\n$/,
    );
    expect(readFileSync(pkiPaths(fx.pkiDir, "lab").crlNumber, "utf8")).not.toBe(crlNumberBefore);
  });

  test("'moat lab device --class' refuses a class other than the one its certificate carries", async () => {
    const result = await moat("lab", "device", "--env", "lab", "--device", "op", "--class", "gateway", "--messages", "1");
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      "moat lab: lab device op is enrolled as class 'operator', not 'gateway'; use another --device name for a gateway\n",
    );
  });
});
