import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../bin/moat";
import { MoatError } from "../../errors";
import { enrollLabDevice, freeLoopbackPort, labDown, labUp, simulateDevice } from "../../lab";
import { publishTopicProblem } from "../../lab/device-simulator";
import { initCa } from "../../pki";
import { labEnvironment, labPrerequisites, LabFixture, startLab } from "./lab-harness";

const lab = labPrerequisites();

/** Runs `moat <argv>` in-process; `onOut` sees every stdout line as it is printed. */
async function moat(argv: string[], onOut: (text: string) => void = () => undefined): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, {
    stdout: (t) => {
      out += t;
      onOut(t);
    },
    stderr: (t) => (err += t),
  });
  return { code, out, err };
}

describe("moat lab: malformed option values are usage errors (exit 2), before anything is written", () => {
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "moat-lab-usage-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  test.each([
    [
      "devices/+/telemetry",
      `--topic "devices/+/telemetry" contains '+', an MQTT wildcard, which a PUBLISH may not carry (the broker would drop the connection); name one exact topic, e.g. devices/sensor-2/telemetry`,
    ],
    ["devices/#", `--topic "devices/#" contains '#', an MQTT wildcard`],
    ["", `--topic "" is empty; name one exact topic`],
    [
      "$SYS/broker/uptime",
      `--topic "$SYS/broker/uptime" starts with '$', a broker-reserved topic ($SYS; IoT Core's $aws/ services, which the lab broker lacks`,
    ],
    ["$aws/things/d1/shadow/update", `--topic "$aws/things/d1/shadow/update" starts with '$', a broker-reserved topic`],
    [
      "devices/d1\ttelemetry",
      `--topic "devices/d1\\ttelemetry" contains U+0009, a control character, noncharacter or lone surrogate, which MQTT forbids in a topic (the broker would drop the connection); remove it`,
    ],
    ["devices/d1\u0085", `--topic "devices/d1\u0085" contains U+0085`],
    ["devices/\uFFFF", `--topic "devices/\uFFFF" contains U+FFFF`],
    ["devices/\uFDD0", `--topic "devices/\uFDD0" contains U+FDD0`],
    ["t".repeat(65536), `--topic "${"t".repeat(80)}..." is 65536 bytes; an MQTT topic is at most 65535: name one exact topic`],
  ])("lab device --topic %#: exit 2, one line, nothing enrolled", async (topic, message) => {
    const pkiDir = join(work, "pki");
    const result = await moat([
      "lab",
      "device",
      "--env",
      "dev",
      "--device",
      "d1",
      "--class",
      "sensor",
      "--topic",
      topic,
      "--pki-dir",
      pkiDir,
    ]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`moat lab: ${message}`);
    expect(result.err.trim().split("\n")).toHaveLength(1);
    expect(result.out).toBe("");
    expect(existsSync(pkiDir)).toBe(false); // refused before enrolment: no key, no certificate
  });

  test.each([
    [["lab", "up", "--env", "dev", "--port", "99999"], "--port '99999' is not a port number (1 to 65535); use e.g. --port 8883"],
    [["lab", "up", "--env", "dev", "--port", "65536"], "--port '65536' is not a port number (1 to 65535)"],
    [["lab", "up", "--env", "dev", "--port", "0"], "--port '0' is not a port number (1 to 65535)"],
    [["lab", "device", "--env", "dev", "--device", "d1", "--port", "99999"], "--port '99999' is not a port number (1 to 65535)"],
    [
      ["lab", "device", "--env", "dev", "--device", "d1", "--messages", "1000000"],
      "--messages '1000000' is not a positive whole number (1 to 999999)",
    ],
    [["lab", "device", "--env", "nope", "--device", "d1", "--messages", "x"], "--messages 'x' is not a positive whole number"], // before the environment file is read
  ])("moat %j exits 2 with one line", async (argv, message) => {
    const result = await moat([...argv, "--pki-dir", join(work, "pki")]);
    expect(result).toMatchObject({ code: 2, out: "", err: expect.stringContaining(`moat lab: ${message}`) });
    expect(result.err.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(work, "pki"))).toBe(false);
  });

  test("a well-formed port the lab refuses (privileged) stays a refusal, exit 1", async () => {
    const result = await moat(["lab", "up", "--env", "dev", "--port", "1", "--pki-dir", join(work, "pki")]);
    expect(result.code).toBe(1);
    expect(result.err).toBe("moat lab: lab port 1 is not valid; use a whole number from 1024 to 65535 (default 8883)\n");
  });

  test("publishTopicProblem accepts every topic the broker answers itself (with a PUBACK code)", () => {
    for (const topic of ["devices/sensor-2/telemetry", "a b", "devices/\u{1F600}", "a/", "/a", "x$", "t".repeat(65535)]) {
      expect({ topic, problem: publishTopicProblem(topic) }).toEqual({ topic, problem: undefined });
    }
  });

  test("the library refuses the same topics, before it connects", async () => {
    const config = labEnvironment();
    const pkiDir = join(work, "pki");
    initCa({ pkiDir, env: config.name, unencryptedDevKey: true });
    enrollLabDevice({ pkiDir, config, deviceId: "d1", deviceClass: "sensor" });
    const nothingListens = await freeLoopbackPort();
    await expect(
      simulateDevice({ pkiDir, config, deviceId: "d1", port: nothingListens, extraTopic: "devices/+/telemetry", report: () => undefined }),
    ).rejects.toThrow(`lab device d1: extra topic "devices/+/telemetry" contains '+', an MQTT wildcard`);
  });
});

lab.describe("lab device: the broker closes the connection mid-run (real Mosquitto)", () => {
  let fx: LabFixture;
  beforeAll(async () => {
    fx = await startLab({ "sensor-k": "sensor" });
  });
  afterAll(() => fx.stop());

  /**
   * Freezes the broker on the device's first PUBACK, so the next publish goes unanswered, then
   * kills it: the connection closes with that publish still pending.
   */
  function killBrokerAfterFirstPuback(pid: number): (line: string) => void {
    let done = false;
    return (line) => {
      if (done || !line.includes("PUBACK")) return;
      done = true;
      process.kill(pid, "SIGSTOP");
      setTimeout(() => process.kill(pid, "SIGKILL"), 300);
    };
  }

  test("simulateDevice rejects with one line naming the unanswered publish (it used to hang, then exit 0)", async () => {
    const lines: string[] = [];
    const kill = killBrokerAfterFirstPuback(fx.broker.pid);
    const started = Date.now();

    const run = simulateDevice({
      pkiDir: fx.pkiDir,
      config: fx.config,
      deviceId: "sensor-k",
      port: fx.port,
      messages: 3,
      intervalMs: 50,
      report: (l) => (lines.push(l), kill(l)),
    });

    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MoatError);
    expect((error as MoatError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(
      /^lab device sensor-k: the broker closed the connection while the device waited for the PUBACK for "devices\/sensor-k\/status" #1: read ECONNRESET; the rest of the run was not sent: see \/.*\/mosquitto\.log$/,
    );
    expect(lines.filter((l) => l.startsWith("PUBACK"))).toEqual([
      "PUBACK devices/sensor-k/telemetry #1: reason 16 (accepted, no subscribers)",
    ]);
    expect(Date.now() - started).toBeLessThan(10000);
  });

  test("moat lab down between two rounds: the run fails saying the broker closed the connection", async () => {
    await labUp({ pkiDir: fx.pkiDir, config: fx.config, port: fx.port });
    let down: Promise<unknown> = Promise.resolve();
    const run = simulateDevice({
      pkiDir: fx.pkiDir,
      config: fx.config,
      deviceId: "sensor-k",
      port: fx.port,
      messages: 3,
      intervalMs: 2000,
      report: (line) => {
        if (line.startsWith("PUBACK devices/sensor-k/status #1")) down = labDown(fx.pkiDir, fx.config.name);
      },
    });

    await expect(run).rejects.toThrow(
      /^lab device sensor-k: the broker closed the connection while the device waited for the next round; the rest of the run was not sent: see \/.*\/mosquitto\.log$/,
    );
    await down;
  });

  test("moat lab device exits 1 with that line on stderr and no summary", async () => {
    const broker = await labUp({ pkiDir: fx.pkiDir, config: fx.config, port: fx.port });
    const argv = [
      "lab",
      "device",
      "--env",
      "lab",
      "--device",
      "sensor-k",
      "--messages",
      "3",
      "--pki-dir",
      fx.pkiDir,
      "--environments-dir",
      dirname(fx.config.file),
    ];

    const result = await moat(argv, killBrokerAfterFirstPuback(broker.pid));

    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /^moat lab: lab device sensor-k: the broker closed the connection while the device waited for the PUBACK for "devices\/sensor-k\/status" #1/,
    );
    expect(result.err.trim().split("\n")).toHaveLength(1);
    expect(result.out).toContain("sensor-k: PUBACK devices/sensor-k/telemetry #1: reason 16");
    expect(result.out).not.toContain("publishes accepted");
  });
});
