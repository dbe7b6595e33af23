import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { main } from "../../bin/moat";
import { BROKER_USER_NAME, brokerUser, findMosquitto, labDown, labPaths, labUp, runningBroker, spawnBroker } from "../../lab";
import { initCa, writeCrl } from "../../pki";
import { devDocument, environmentsDir } from "../support/environment-files";
import { builtCli, TSX_NODE } from "../support/run-moat";
import { freePort, labEnvironment, labPrerequisites, waitFor } from "./lab-harness";

const lab = labPrerequisites();

/** Runs `moat <argv>` in-process and captures what it prints. */
async function moat(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe("moat lab: command line errors (no broker needed)", () => {
  test("prints help with exit 0, and usage with exit 2 when no command is given", async () => {
    expect(await moat("lab", "--help")).toMatchObject({ code: 0, out: expect.stringContaining("moat lab <command> --env E") });
    expect(await moat("lab")).toMatchObject({ code: 2, err: expect.stringContaining("usage: moat lab") });
  });

  test.each([
    [["lab", "start", "--env", "dev"], /unknown command 'start'; expected one of up, down, status, reload, device/],
    [["lab", "up"], /--env is required; run 'moat lab up --help'/],
    [["lab", "up", "--env", "dev", "--port", "eighty"], /--port 'eighty' is not a port number/],
    [["lab", "up", "--env", "dev", "--bogus"], /Unknown option '--bogus'/],
    [["lab", "device", "--env", "dev"], /--device is required/],
    [["lab", "device", "--env", "dev", "--device", "d1", "--messages", "0"], /--messages '0' is not a positive whole number/],
  ])("moat %j exits 2 with one line naming the mistake", async (argv, message) => {
    const result = await moat(...argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err.trim().split("\n")).toHaveLength(1);
  });

  test.each([
    ["1883", /lab port 1883 is the plaintext MQTT port/],
    ["80", /lab port 80 is not valid; use a whole number from 1024 to 65535/],
  ])("--port %s exits 1 and says why", async (port, message) => {
    const result = await moat("lab", "up", "--env", "dev", "--port", port, "--pki-dir", "/nonexistent");
    expect(result).toMatchObject({ code: 1, err: expect.stringMatching(message) });
  });

  test("an unknown environment exits 1 naming the file and the known environments", async () => {
    const result = await moat("lab", "up", "--env", "nope", "--pki-dir", "/nonexistent");
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/environments\/nope.yaml: no such environment file; known environments: .*dev/);
  });

  test("a missing mosquitto binary is one line saying apt-get install mosquitto, and nothing is written", async () => {
    const work = mkdtempSync(join(tmpdir(), "moat-lab-nobin-"));
    const config = labEnvironment();
    initCa({ pkiDir: work, env: config.name, unencryptedDevKey: true });
    expect(() => findMosquitto([])).toThrow(/mosquitto is not installed .*install it with 'sudo apt-get install mosquitto'/);
    await expect(labUp({ pkiDir: work, config, port: 18999, searchPath: [join(work, "bin")] })).rejects.toThrow(
      /apt-get install mosquitto/,
    );
    expect(existsSync(labPaths(work, config.name).labDir)).toBe(false);
    rmSync(work, { recursive: true, force: true });
  });

  describe("a machine without mosquitto", () => {
    const saved = process.env.CI;
    afterEach(() => {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
      jest.restoreAllMocks();
    });

    test("with CI=true, the lab suites fail to load (never a silent skip)", () => {
      process.env.CI = "true";
      expect(() => labPrerequisites([])).toThrow(
        /LAB TESTS CANNOT RUN: mosquitto is not installed .*CI=true: a missing broker fails the run/,
      );
    });

    test("without CI, they are skipped with a loud warning saying why", () => {
      delete process.env.CI;
      const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
      const result = labPrerequisites([]);
      expect(result).toMatchObject({ available: false, describe: describe.skip });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/LAB TESTS CANNOT RUN: mosquitto is not installed[\s\S]*SKIPPING/));
    });
  });

  test("enrolling a device is refused when the environment does not allow local keys", async () => {
    const doc = devDocument();
    doc.pki.allowLocalKeys = false;
    const dir = environmentsDir({ prodlike: doc });
    const result = await moat(
      "lab",
      "device",
      "--env",
      "prodlike",
      "--device",
      "d1",
      "--class",
      "sensor",
      "--environments-dir",
      dir,
      "--pki-dir",
      join(dir, "pki"),
    );
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/pki.allowLocalKeys is false, so moat does not make device keys for 'prodlike'/);
  });
});

lab.describe("moat lab: lifecycle against a real Mosquitto", () => {
  let work: string;
  let envDir: string;
  let port: number;
  const common = () => ["--env", "lab", "--pki-dir", join(work, "pki"), "--environments-dir", envDir];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "moat-lab-cli-"));
    envDir = dirname(labEnvironment().file);
    port = await freePort();
  });
  afterAll(async () => {
    await labDown(join(work, "pki"), "lab");
    rmSync(work, { recursive: true, force: true });
  });

  test("up without a CA exits 1 and says to run moat pki init", async () => {
    const result = await moat("lab", "up", ...common(), "--port", String(port));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/no CA for environment 'lab' .*run 'moat pki init --env lab' first/);
  });

  test("status before up exits 1: not running", async () => {
    initCa({ pkiDir: join(work, "pki"), env: "lab", unencryptedDevKey: true });
    expect(await moat("lab", "status", ...common())).toMatchObject({ code: 1, out: expect.stringContaining("not running") });
  });

  test("up starts the broker, waits until it listens and prints how to connect", async () => {
    const result = await moat("lab", "up", ...common(), "--port", String(port));
    expect(result).toMatchObject({ code: 0, err: "" });
    expect(result.out).toContain(`started: mqtts://127.0.0.1:${port}`);
    expect(result.out).toContain("moat lab device --env lab");
    const status = await moat("lab", "status", ...common());
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`running, pid \\d+, port ${port}\\n  listening on  tcp 127\\.0\\.0\\.1:${port}\\n`));
  });

  test("up again on the same port is a no-op; on another port it is refused", async () => {
    expect(await moat("lab", "up", ...common(), "--port", String(port))).toMatchObject({
      code: 0,
      out: expect.stringContaining("already running"),
    });
    const other = await moat("lab", "up", ...common(), "--port", String(port + 1));
    expect(other.code).toBe(1);
    expect(other.err).toMatch(new RegExp(`already runs on port ${port} .*run 'moat lab down --env lab' first`));
  });

  test("the broker's files belong to the broker's user only (0700/0600), and device keys are not among them", () => {
    const paths = labPaths(join(work, "pki"), "lab");
    const user = brokerUser();
    if (process.getuid?.() === 0) expect(user.name).toBe(BROKER_USER_NAME);
    const entries = [paths.brokerDir, ...readdirSync(paths.brokerDir).map((n) => join(paths.brokerDir, n))];
    for (const path of entries) {
      const st = statSync(path);
      expect({ path, uid: st.uid, mode: st.mode & 0o777 }).toEqual({ path, uid: user.uid, mode: st.isDirectory() ? 0o700 : 0o600 });
    }
    expect(readdirSync(paths.brokerDir).filter((n) => n.endsWith(".key"))).toEqual(["server.key"]);
    // The broker really runs as that user.
    const pid = runningBroker(paths)?.pid;
    const uid = readFileSync(`/proc/${pid}/status`, "utf8").match(/^Uid:\s+(\d+)/m)?.[1];
    expect(Number(uid)).toBe(user.uid);
  });

  test("device enrolls a lab device, publishes telemetry to its own topics and prints the broker's answers", async () => {
    const result = await moat("lab", "device", ...common(), "--device", "sensor-x", "--class", "sensor", "--messages", "2");
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/enrolled sensor-x \(class sensor, serial [0-9A-F]+\)/);
    expect(result.out).toMatch(/sensor-x: CONNACK reason 0 \(accepted\) over TLSv1\.3/);
    expect(result.out).toContain("sensor-x: SUBACK devices/sensor-x/commands: granted QoS 1");
    expect(result.out).toContain("sensor-x: PUBACK devices/sensor-x/telemetry #2: reason 16 (accepted, no subscribers)");
    expect(result.out).toContain("sensor-x: 4 publishes accepted, 0 refused, 0 messages received");
    const keyFile = join(labPaths(join(work, "pki"), "lab").devicesDir, "sensor-x", "sensor-x.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  test("the mosquitto_pub line that up prints names absolute files that exist, so it works from any directory", async () => {
    const up = await moat("lab", "up", ...common(), "--port", String(port));
    const line = up.out.split("\n").find((l) => l.trim().startsWith("mosquitto_pub "));
    expect(line).toBeDefined();
    const command = line!.trim().split("<id>").join("sensor-x");
    const files = [...command.matchAll(/ --(?:cafile|cert|key) (\S+)/g)].map((m) => m[1]);
    expect(files).toHaveLength(3);
    for (const file of files) {
      expect(isAbsolute(file)).toBe(true);
      expect(existsSync(file)).toBe(true);
    }
    // .ci/run installs mosquitto-clients; where it is missing the files above are what can be checked.
    const client = spawnSync("bash", ["-c", "command -v mosquitto_pub"], { encoding: "utf8" });
    if (client.status !== 0 && process.env.CI !== "true") return;
    const run = spawnSync("bash", ["-c", `${command} -d`], { cwd: "/", encoding: "utf8", timeout: 20_000 });
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).not.toMatch(/rc:135|Error|unable/i);
  });

  test("device publishing to another device's topic prints reason 135 and exits 1", async () => {
    const result = await moat(
      "lab",
      "device",
      ...common(),
      "--device",
      "sensor-x",
      "--messages",
      "1",
      "--topic",
      "devices/sensor-y/telemetry",
    );
    expect(result.code).toBe(1);
    expect(result.out).toContain("sensor-x: PUBACK devices/sensor-y/telemetry #1: reason 135 (Not authorized)");
    expect(result.out).toContain("sensor-x: 2 publishes accepted, 1 refused");
  });

  test("a device enrolled while the broker runs gets its class's rights at once (the ACL is reloaded)", async () => {
    // Operators' rights exist only in per-device ACL lines: without the reload this publish gets 135.
    const result = await moat(
      "lab",
      "device",
      ...common(),
      "--device",
      "op-2",
      "--class",
      "operator",
      "--messages",
      "1",
      "--topic",
      "devices/sensor-a/commands",
    );
    expect(result.out).toContain("the running broker reloaded its ACL");
    expect(result.out).toContain("op-2: PUBACK devices/sensor-a/commands #1: reason 16 (accepted, no subscribers)");
    expect(result.code).toBe(0);
  });

  test.each([
    [["--device", "new-one"], /--class is required for a new lab device: .* has classes gateway, operator, sensor/],
    [["--device", "new-one", "--class", "pump"], /--class 'pump' is not in .* topics.classes; use one of gateway, operator, sensor/],
    [["--device", "sensor-x", "--class", "gateway"], /lab device sensor-x is enrolled as class 'sensor', not 'gateway'/],
    [["--device", "bad/name", "--class", "sensor"], /--device: CN "bad\/name" is not a valid thing name/],
  ])("device %j exits 1 with one line", async (args, message) => {
    const result = await moat("lab", "device", ...common(), ...args);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(message);
    expect(result.err.trim().split("\n")).toHaveLength(1);
  });

  test("reload restarts the broker on the same port; --keep-sessions only reloads", async () => {
    const before = runningBroker(labPaths(join(work, "pki"), "lab"))?.pid;
    const kept = await moat("lab", "reload", ...common(), "--keep-sessions");
    expect(kept).toMatchObject({ code: 0, out: expect.stringContaining(`lab broker (pid ${before}) reloaded the CRL`) });
    const restarted = await moat("lab", "reload", ...common());
    expect(restarted).toMatchObject({
      code: 0,
      out: expect.stringMatching(new RegExp(`lab broker restarted with the new CRL \\(pid \\d+, port ${port}\\)`)),
    });
    expect(runningBroker(labPaths(join(work, "pki"), "lab"))?.pid).not.toBe(before);
  });

  test("down ignores a pid file that names another process, and never signals it", async () => {
    const paths = labPaths(join(work, "pki"), "lab");
    const real = readFileSync(paths.pidFile, "utf8");
    writeFileSync(paths.pidFile, `${process.pid}\n`);
    expect(await moat("lab", "status", ...common())).toMatchObject({ code: 1 });
    writeFileSync(paths.pidFile, real);
    expect(await moat("lab", "status", ...common())).toMatchObject({ code: 0 });
  });

  test("down stops only this broker; a second down says nothing was running", async () => {
    const pid = runningBroker(labPaths(join(work, "pki"), "lab"))?.pid;
    expect(await moat("lab", "down", ...common())).toMatchObject({ code: 0, out: `lab broker 'lab' stopped (pid ${pid})\n` });
    // In-process the broker is our child: gone once Node reaps it.
    await waitFor(() => !existsSync(`/proc/${pid}`), 2000);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(await moat("lab", "down", ...common())).toMatchObject({ code: 0, out: "no 'lab' lab broker was running\n" });
    expect(await moat("lab", "reload", ...common())).toMatchObject({
      code: 0,
      out: expect.stringContaining("no 'lab' lab broker is running"),
    });
    const device = await moat("lab", "device", ...common(), "--device", "sensor-x", "--port", String(port));
    expect(device.code).toBe(1);
    expect(device.err).toMatch(new RegExp(`nothing listens on 127.0.0.1:${port}; start the broker with 'moat lab up --env lab'`));
  });

  test("up on a port already in use exits 1 before starting anything", async () => {
    const busy: Server = createServer();
    const busyPort = await freePort();
    await new Promise<void>((resolve) => busy.listen(busyPort, "127.0.0.1", resolve));
    try {
      const result = await moat("lab", "up", ...common(), "--port", String(busyPort));
      expect(result.code).toBe(1);
      expect(result.err).toMatch(new RegExp(`port ${busyPort} on 127.0.0.1 is already in use; choose another with --port`));
      expect(runningBroker(labPaths(join(work, "pki"), "lab"))).toBeUndefined();
    } finally {
      busy.close();
    }
  });

  test("up refuses an expired CRL (Mosquitto would refuse every device) and leaves the broker files as they were", async () => {
    const paths = labPaths(join(work, "pki"), "lab");
    const configBefore = readFileSync(paths.config, "utf8");
    writeCrl({ pkiDir: join(work, "pki"), env: "lab", now: new Date(Date.now() - 3 * 86_400_000), crlValidityDays: 1 });
    const result = await moat("lab", "up", ...common(), "--port", String(port + 2));
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/the 'lab' CRL expired at .* run 'moat pki crl --env lab'/);
    expect(readFileSync(paths.config, "utf8")).toBe(configBefore);
    writeCrl({ pkiDir: join(work, "pki"), env: "lab" });
  });

  test("the real CLI process exits with the same codes (tsx bin/moat.ts)", () => {
    const [node, ...loader] = TSX_NODE;
    const cli = join(__dirname, "..", "..", "bin", "moat.ts");
    const status = spawnSync(node, [...loader, cli, "lab", "status", ...common()], { encoding: "utf8" });
    expect(status.status).toBe(1);
    const usage = spawnSync(node, [...loader, cli, "lab", "up", "--env", "lab", "--port", "x"], { encoding: "utf8" });
    expect(usage.status).toBe(2);
    expect(usage.stderr).not.toMatch(/\n\s+at /);
  });
});

lab.describe("moat lab as a normal user (not root)", () => {
  const isRoot = process.getuid?.() === 0;
  const repo = join(__dirname, "..", "..");
  // uid 65534 must be able to read the checkout (not so under a 0700 home directory).
  const reachable =
    isRoot &&
    spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "test", "-r", join(repo, "package.json")]).status === 0;
  const maybe = reachable ? test : test.skip;
  if (!isRoot)
    test("runs as a normal user already: the lifecycle tests above cover it", () => expect(brokerUser().uid).toBe(process.getuid?.()));
  if (isRoot && !reachable) {
    console.warn(
      `\n!!! SKIPPING the normal-user lab test: uid 65534 cannot read ${repo} (or setpriv is missing); the root path is still tested above\n`,
    );
  }

  maybe(
    "root dropped to uid 65534 runs pki init, lab up and lab device: the broker runs as that user with its files, and serves",
    async () => {
      const work = mkdtempSync(join(tmpdir(), "moat-lab-user-"));
      const envDir = dirname(labEnvironment().file);
      execFileSync("chown", ["-R", "65534:65534", work]);
      execFileSync("chmod", ["755", envDir]);
      for (const f of readdirSync(envDir)) execFileSync("chmod", ["644", join(envDir, f)]);
      const port = await freePort();
      const as = (...args: string[]) =>
        spawnSync(
          "setpriv",
          [
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            // The compiled CLI of this source (test/support/built-package.ts), readable by that user.
            process.execPath,
            builtCli(),
            ...args,
          ],
          {
            cwd: repo,
            encoding: "utf8",
            env: { ...process.env, HOME: work, TMPDIR: work },
            timeout: 60_000,
          },
        );
      const common = ["--env", "lab", "--pki-dir", join(work, "pki"), "--environments-dir", envDir];
      try {
        expect(as("pki", "init", ...common, "--unencrypted-dev-key")).toMatchObject({ status: 0 });
        const up = as("lab", "up", ...common, "--port", String(port));
        expect(up.stderr).toBe("");
        expect(up.status).toBe(0);
        const paths = labPaths(join(work, "pki"), "lab");
        const pid = runningBroker(paths)?.pid;
        expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^Uid:\s+65534\s/m);
        for (const name of readdirSync(paths.brokerDir)) {
          const st = statSync(join(paths.brokerDir, name));
          expect({ name, uid: st.uid, mode: st.mode & 0o777 }).toEqual({ name, uid: 65534, mode: 0o600 });
        }
        const device = as("lab", "device", ...common, "--device", "sensor-u", "--class", "sensor", "--messages", "1");
        expect(device.stdout).toContain("sensor-u: 2 publishes accepted, 0 refused");
        expect(as("lab", "down", ...common)).toMatchObject({ status: 0, stdout: expect.stringContaining("stopped") });
      } finally {
        await labDown(join(work, "pki"), "lab");
        rmSync(work, { recursive: true, force: true });
      }
    },
  );
});

lab.describe("spawnBroker: a broker that does not come up is reported, never left behind", () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "moat-lab-spawn-"));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const pathsWith = (config: string) => {
    const paths = labPaths(join(work, "pki"), "broken");
    mkdirSync(paths.brokerDir, { recursive: true });
    writeFileSync(paths.config, config);
    return paths;
  };

  test("mosquitto exiting at start is one line quoting its log", async () => {
    const paths = pathsWith("listener 18999 127.0.0.1\nno_such_option true\n");
    const port = await freePort();
    await expect(spawnBroker(paths, { mosquitto: findMosquitto(), port, user: brokerUser() })).rejects.toThrow(
      /mosquitto exited at start \(\d+\): Error: Unknown configuration variable "no_such_option"\. Error found at mosquitto\.conf:2\.; see .*mosquitto\.log/,
    );
  });

  test("a process that never listens is killed after the timeout", async () => {
    const paths = pathsWith("");
    const fake = join(work, "fake-mosquitto");
    writeFileSync(fake, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
    const port = await freePort();
    const started = Date.now();
    await expect(spawnBroker(paths, { mosquitto: fake, port, user: brokerUser(), timeoutMs: 500 })).rejects.toThrow(
      new RegExp(`did not listen on 127.0.0.1:${port} within 500 ms`),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(fake);
  });
});
