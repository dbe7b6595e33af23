/**
 * npm run bench:lab [-- --devices N --messages M --rounds R --max-seconds S]
 *
 * The cost of mutual TLS on the lab broker: N devices connect with their own certificates and
 * each publishes M QoS 1 messages to its own topic; the same workload then runs against a
 * throwaway Mosquitto with a plaintext listener and the same ACL (the anchor), in the same run.
 * Prints connections/s, publish round trips/s, p50/p99 latencies and the TLS/plaintext ratios.
 * Loopback only; bounded in device count, message count and wall time.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadEnvironment } from "../config";
import {
  brokerUser,
  closeSession,
  enrollLabDevice,
  findMosquitto,
  freeLoopbackPort,
  LAB_HOST,
  labDown,
  labPaths,
  LabPaths,
  labUp,
  openSession,
  Session,
  SessionOptions,
  spawnBroker,
  stopBroker,
} from "../lab";
import { initCa, pkiPaths } from "../pki";

const LIMITS = { devices: 5000, messages: 1000 };
const CONNECT_CONCURRENCY = 32;

interface Workload {
  readonly devices: number;
  readonly messages: number;
  readonly deadline: number;
}

interface Figures {
  readonly connectionsPerSecond: number;
  readonly connectP50: number;
  readonly connectP99: number;
  readonly roundTripsPerSecond: number;
  readonly publishP50: number;
  readonly publishP99: number;
  readonly protocol: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { devices: { type: "string" }, messages: { type: "string" }, rounds: { type: "string" }, "max-seconds": { type: "string" } },
  });
  const devices = bounded("devices", values.devices, 500, LIMITS.devices);
  const messages = bounded("messages", values.messages, 10, LIMITS.messages);
  const rounds = bounded("rounds", values.rounds, 2, 10);
  const maxSeconds = bounded("max-seconds", values["max-seconds"], 180, 1800);
  const deadline = Date.now() + maxSeconds * 1000;
  findMosquitto();

  const work = mkdtempSync(join(tmpdir(), "moat-bench-lab-"));
  const pkiDir = join(work, "pki");
  const config = loadEnvironment("dev");
  let plain: { paths: LabPaths; port: number } | undefined;
  try {
    // Setup, not timed: a CA, one certificate per device, both brokers.
    const setupStart = Date.now();
    initCa({ pkiDir, env: config.name, unencryptedDevKey: true });
    const ids = Array.from({ length: devices }, (_, i) => `bench-${String(i).padStart(5, "0")}`);
    const material = ids.map((id) => {
      const { files } = enrollLabDevice({ pkiDir, config, deviceId: id, deviceClass: "sensor" });
      return { id, cert: readFileSync(files.cert), key: readFileSync(files.key) };
    });
    const chain = readFileSync(pkiPaths(pkiDir, config.name).chain);
    const tlsPort = await freeLoopbackPort();
    const tlsBroker = await labUp({ pkiDir, config, port: tlsPort });
    const anchor = await startPlaintextAnchor(work, tlsBroker.paths.acl);
    plain = anchor;
    console.log(`setup: CA, ${devices} device certificates, two brokers in ${((Date.now() - setupStart) / 1000).toFixed(1)} s (not timed)`);

    const workload = { devices, messages, deadline };
    const plainSession = (i: number): SessionOptions => ({ port: anchor.port, clientId: ids[i], username: ids[i] });
    const tlsSession = (i: number): SessionOptions => ({
      port: tlsPort,
      clientId: ids[i],
      tls: { ca: chain, cert: material[i].cert, key: material[i].key },
    });
    // Warm-up (JIT, broker allocations), then rounds in alternating order so drift hits both alike.
    const warm = { ...workload, devices: Math.min(20, devices), messages: Math.min(5, messages) };
    await run("plaintext warm-up", warm, plainSession);
    await run("mutual TLS warm-up", warm, tlsSession);
    const tlsRuns: Figures[] = [];
    const plainRuns: Figures[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        plainRuns.push(await run("plaintext", workload, plainSession));
        tlsRuns.push(await run("mutual TLS", workload, tlsSession));
      } else {
        tlsRuns.push(await run("mutual TLS", workload, tlsSession));
        plainRuns.push(await run("plaintext", workload, plainSession));
      }
    }
    report(workload, rounds, medianFigures(tlsRuns), medianFigures(plainRuns));
  } finally {
    if (plain) await stopBroker(plain.paths);
    await labDown(pkiDir, config.name);
    rmSync(work, { recursive: true, force: true });
  }
}

/** Connects every device (bounded concurrency), then all publish M QoS 1 messages each, then all disconnect. */
async function run(label: string, workload: Workload, sessionFor: (i: number) => SessionOptions): Promise<Figures> {
  const sessions: Session[] = new Array(workload.devices);
  const connectMs: number[] = [];
  let next = 0;
  const connectStart = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Math.min(CONNECT_CONCURRENCY, workload.devices) }, async () => {
      while (next < workload.devices) {
        const i = next++;
        checkDeadline(workload, `${label} connect`);
        const t0 = process.hrtime.bigint();
        sessions[i] = await openSession({ ...sessionFor(i), timeoutMs: 30_000 });
        connectMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const connectSeconds = Number(process.hrtime.bigint() - connectStart) / 1e9;

  const publishMs: number[] = [];
  const publishStart = process.hrtime.bigint();
  await Promise.all(
    sessions.map(async (session, i) => {
      const topic = `devices/${sessionFor(i).clientId}/telemetry`;
      for (let m = 0; m < workload.messages; m++) {
        checkDeadline(workload, `${label} publish`);
        const t0 = process.hrtime.bigint();
        await session.client.publishAsync(topic, `{"seq":${m},"t":21.5}`, { qos: 1 });
        publishMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const publishSeconds = Number(process.hrtime.bigint() - publishStart) / 1e9;
  const protocol = sessions[0].tls?.protocol ?? "TCP";
  await Promise.all(sessions.map((s) => closeSession(s)));
  return {
    connectionsPerSecond: workload.devices / connectSeconds,
    connectP50: percentile(connectMs, 50),
    connectP99: percentile(connectMs, 99),
    roundTripsPerSecond: publishMs.length / publishSeconds,
    publishP50: percentile(publishMs, 50),
    publishP99: percentile(publishMs, 99),
    protocol,
  };
}

/** A throwaway Mosquitto with a plaintext loopback listener and the lab's ACL: the anchor, never the lab. */
async function startPlaintextAnchor(work: string, aclFile: string) {
  const paths = labPaths(join(work, "anchor"), "plain");
  mkdirSync(paths.brokerDir, { recursive: true, mode: 0o700 });
  const port = await freeLoopbackPort();
  const user = brokerUser();
  writeFileSync(paths.acl, readFileSync(aclFile));
  writeFileSync(
    paths.config,
    [
      `user ${user.name}`,
      "per_listener_settings true",
      "pid_file mosquitto.pid",
      "persistence false",
      "log_dest file mosquitto.log",
      "log_type error",
      `listener ${port} ${LAB_HOST}`,
      // Benchmark anchor only: plaintext and anonymous, same ACL (username = device id).
      "allow_anonymous true",
      "acl_file acl",
      "",
    ].join("\n"),
  );
  writeFileSync(paths.portFile, `${port}\n`);
  await spawnBroker(paths, { mosquitto: findMosquitto(), port, user });
  return { paths, port };
}

/** Each figure's median over the rounds. */
function medianFigures(runs: readonly Figures[]): Figures {
  const med = (pick: (f: Figures) => number) => percentile(runs.map(pick), 50);
  return {
    connectionsPerSecond: med((f) => f.connectionsPerSecond),
    connectP50: med((f) => f.connectP50),
    connectP99: med((f) => f.connectP99),
    roundTripsPerSecond: med((f) => f.roundTripsPerSecond),
    publishP50: med((f) => f.publishP50),
    publishP99: med((f) => f.publishP99),
    protocol: runs[0].protocol,
  };
}

function report(w: Workload, rounds: number, tls: Figures, plain: Figures): void {
  const rows: [string, number, number, string][] = [
    ["connections/s", tls.connectionsPerSecond, plain.connectionsPerSecond, "higher is better"],
    ["connect p50 (ms)", tls.connectP50, plain.connectP50, ""],
    ["connect p99 (ms)", tls.connectP99, plain.connectP99, ""],
    ["publish round trips/s", tls.roundTripsPerSecond, plain.roundTripsPerSecond, "QoS 1 PUBLISH -> PUBACK"],
    ["publish p50 (ms)", tls.publishP50, plain.publishP50, ""],
    ["publish p99 (ms)", tls.publishP99, plain.publishP99, ""],
  ];
  console.log(`\n${w.devices} devices x ${w.messages} QoS 1 publishes each, MQTT 5, loopback, one Mosquitto each, same run`);
  console.log(
    `median of ${rounds} alternating rounds after a warm-up; ${CONNECT_CONCURRENCY} concurrent handshakes; the client (mqtt.js, one Node process) is in both measurements`,
  );
  console.log(
    `${"".padEnd(24)}${`mutual TLS (${tls.protocol})`.padStart(22)}${"plaintext anchor".padStart(20)}${"TLS/plain".padStart(12)}`,
  );
  for (const [name, a, b, note] of rows) {
    console.log(
      `${name.padEnd(24)}${a.toFixed(a < 100 ? 2 : 0).padStart(22)}${b.toFixed(b < 100 ? 2 : 0).padStart(20)}${(a / b).toFixed(2).padStart(12)}  ${note}`,
    );
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function bounded(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} ${text}: use a whole number from 1 to ${max}`);
  return n;
}

function checkDeadline(w: Workload, phase: string): void {
  if (Date.now() > w.deadline)
    throw new Error(`bench:lab stopped in ${phase}: over its --max-seconds budget; use fewer --devices or --messages`);
}

main().then(
  // Sessions left open by a failed phase must not keep the process alive.
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench:lab: ${err.message}`);
    process.exit(1);
  },
);
