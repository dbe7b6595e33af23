import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MqttClient } from "mqtt";
import { loadEnvironment } from "../../config";
import type { EnvironmentConfig } from "../../config";
import {
  enrollLabDevice,
  findMosquitto,
  freeLoopbackPort,
  labDeviceFiles,
  labDown,
  labUp,
  LabUpResult,
  openSession,
  Session,
  TlsMaterial,
} from "../../lab";
import { initCa, issueDeviceWithKey, pkiPaths } from "../../pki";
import { devDocument, environmentsDir } from "../support/environment-files";

/**
 * Whether the lab tests can run. With CI=true a missing broker or openssl fails the run (the
 * suite throws while loading); elsewhere the suite is skipped with a loud message saying why.
 */
export function labPrerequisites(searchPath?: readonly string[]): { readonly available: boolean; readonly describe: jest.Describe } {
  const missing: string[] = [];
  try {
    findMosquitto(searchPath);
  } catch (err) {
    missing.push((err as Error).message);
  }
  for (const [tool, args, pkg] of [
    ["openssl", ["version"], "openssl"],
    ["ss", ["-V"], "iproute2"],
  ] as const) {
    try {
      execFileSync(tool, [...args], { stdio: "ignore" });
    } catch {
      missing.push(`${tool} is not installed; install it with 'sudo apt-get install ${pkg}'`);
    }
  }
  if (missing.length === 0) return { available: true, describe };
  const why = `LAB TESTS CANNOT RUN: ${missing.join("; ")}`;
  if (process.env.CI === "true") throw new Error(`${why} (CI=true: a missing broker fails the run, it never skips)`);
  console.warn(
    `\n${"!".repeat(100)}\n${why}\nSKIPPING the end-to-end security proofs of test/lab. They run in CI (.ci/run installs mosquitto).\n${"!".repeat(100)}\n`,
  );
  return { available: false, describe: describe.skip };
}

/** A free TCP port on loopback. */
export const freePort = freeLoopbackPort;

/**
 * The lab environment of the tests: dev.yaml's network and PKI settings with a topic model
 * where every class shares `devices/{thing}/telemetry` (write) and `devices/{thing}/commands`
 * (read), so the ACL has `pattern` lines with %u, and an operator class whose shared topics let
 * a test prove a message WAS delivered to the one device allowed to receive it. `application`
 * declares lab.application.name (then every device's rights are its own `user` block).
 */
export function labEnvironment(broker: Record<string, unknown> = {}, application?: string): EnvironmentConfig {
  const doc = devDocument();
  doc.broker = { ...doc.broker, ...broker };
  // Without an application identity the ACL keeps its `pattern` lines, which the device suites prove.
  if (application === undefined) delete doc.lab;
  else doc.lab = { application: { name: application } };
  doc.pki = { ...doc.pki, allowLocalKeys: true, deviceValidityDays: 30 };
  doc.topics = {
    classes: {
      sensor: {
        publish: ["devices/{thing}/telemetry", "devices/{thing}/status"],
        subscribe: ["devices/{thing}/commands"],
        receive: ["devices/{thing}/commands"],
      },
      gateway: {
        publish: ["devices/{thing}/telemetry"],
        subscribe: ["devices/{thing}/commands", "fleet/firmware"],
        receive: ["devices/{thing}/commands", "fleet/firmware"],
        sharedTopics: [{ topic: "fleet/firmware", reason: "Firmware notices go to every gateway of the lab fleet." }],
      },
      operator: {
        publish: ["devices/{thing}/telemetry", "devices/sensor-a/commands", "fleet/firmware"],
        subscribe: ["devices/{thing}/commands", "devices/sensor-a/telemetry"],
        receive: ["devices/{thing}/commands", "devices/sensor-a/telemetry"],
        sharedTopics: [
          { topic: "devices/sensor-a/commands", reason: "The test operator commands sensor-a to prove delivery." },
          { topic: "fleet/firmware", reason: "The test operator announces firmware to the gateways." },
          { topic: "devices/sensor-a/telemetry", reason: "The test operator reads sensor-a telemetry to prove delivery." },
        ],
      },
    },
  };
  return loadEnvironment("lab", { dir: environmentsDir({ lab: doc }) });
}

/** A running lab broker on a free port, a CA for it and one for another environment. */
export interface LabFixture {
  readonly pkiDir: string;
  readonly work: string;
  readonly config: EnvironmentConfig;
  readonly broker: LabUpResult;
  readonly port: number;
  /** The lab CA chain (issuing + root), what every client trusts the broker with. */
  readonly chain: string;
  /** TLS material of an enrolled device. */
  readonly tlsOf: (deviceId: string) => TlsMaterial;
  /** Opens an MQTT 5 session as an enrolled device. */
  readonly connectAs: (deviceId: string, clientId?: string) => Promise<Session>;
  readonly stop: () => Promise<void>;
}

/** Enrolls `devices` (id -> class), then starts the broker; `broker` overrides dev.yaml's broker settings. */
export async function startLab(
  devices: Record<string, string>,
  brokerSettings: Record<string, unknown> = {},
  application?: string,
): Promise<LabFixture> {
  const work = mkdtempSync(join(tmpdir(), "moat-lab-"));
  const pkiDir = join(work, "pki");
  const config = labEnvironment(brokerSettings, application);
  initCa({ pkiDir, env: config.name, unencryptedDevKey: true });
  for (const [deviceId, deviceClass] of Object.entries(devices)) enrollLabDevice({ pkiDir, config, deviceId, deviceClass });
  const port = await freePort();
  const broker = await labUp({ pkiDir, config, port });
  const chain = readFileSync(pkiPaths(pkiDir, config.name).chain, "utf8");
  const tlsOf = (deviceId: string): TlsMaterial => {
    const files = labDeviceFiles(pkiDir, config.name, deviceId);
    return { ca: chain, cert: readFileSync(files.cert), key: readFileSync(files.key) };
  };
  return {
    pkiDir,
    work,
    config,
    broker,
    port,
    chain,
    tlsOf,
    connectAs: (deviceId, clientId) => openSession({ port, tls: tlsOf(deviceId), clientId }),
    stop: async () => {
      await labDown(pkiDir, config.name);
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export type TlsVersion = "1.1" | "1.2" | "1.3";

/**
 * One real handshake with `openssl s_client` pinned to one TLS version, as an enrolled device.
 * SECLEVEL=0 keeps OpenSSL 3 from refusing TLS 1.1 itself: the refusal must come from the broker.
 */
export function handshake(
  fx: LabFixture,
  version: TlsVersion,
  deviceId = "sensor-a",
): { protocol?: string; accepted: boolean; status: number | null; output: string } {
  const files = labDeviceFiles(fx.pkiDir, fx.config.name, deviceId);
  const flag = { "1.1": "-tls1_1", "1.2": "-tls1_2", "1.3": "-tls1_3" }[version];
  const cipher = version === "1.3" ? [] : ["-cipher", "DEFAULT@SECLEVEL=0"];
  const run = spawnSync(
    "openssl",
    [
      "s_client",
      "-connect",
      `127.0.0.1:${fx.port}`,
      "-CAfile",
      pkiPaths(fx.pkiDir, fx.config.name).chain,
      "-cert",
      files.cert,
      "-key",
      files.key,
      flag,
      ...cipher,
    ],
    { input: "", encoding: "utf8", timeout: 10_000 },
  );
  const output = run.stdout + run.stderr;
  // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" after a handshake; "New, (NONE), Cipher is (NONE)" after a refusal.
  const session = /^New, (\S+), Cipher is (\S+)$/m.exec(output);
  const accepted = run.status === 0 && session !== null && session[2] !== "(NONE)";
  return { protocol: session?.[1], accepted, status: run.status, output };
}

/** A certificate made outside moat's issuance (self-signed, or a CN the PKI would refuse) with openssl. */
export function opensslDeviceCert(
  work: string,
  name: string,
  subject: string,
  signer?: { cert: string; key: string },
): TlsMaterial & { certFile: string; keyFile: string } {
  const keyFile = join(work, `${name}.key`);
  const certFile = join(work, `${name}.pem`);
  const ext = join(work, `${name}.ext`);
  writeFileSync(ext, "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-subj", subject];
  if (signer === undefined) {
    execFileSync("openssl", ["req", "-x509", ...newKey, "-days", "30", "-out", certFile, "-addext", "extendedKeyUsage=clientAuth"], {
      stdio: "pipe",
    });
  } else {
    const csr = join(work, `${name}.csr`);
    execFileSync("openssl", ["req", "-new", ...newKey, "-out", csr], { stdio: "pipe" });
    execFileSync(
      "openssl",
      [
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        signer.cert,
        "-CAkey",
        signer.key,
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        ext,
        "-out",
        certFile,
      ],
      { stdio: "pipe" },
    );
  }
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile), ca: "" };
}

/** A device certificate from another environment's CA (same CN as a lab device). */
export function foreignCaDevice(work: string, deviceId: string): TlsMaterial {
  const pkiDir = join(work, "other-pki");
  initCa({ pkiDir, env: "other", unencryptedDevKey: true });
  const files = issueDeviceWithKey({ pkiDir, env: "other", deviceId, deviceClass: "sensor", outDir: join(work, "other-device") });
  return { ca: "", cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

/** Collects every message a client receives, by topic. */
export function collect(client: MqttClient): { topic: string; payload: string }[] {
  const seen: { topic: string; payload: string }[] = [];
  client.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString("utf8") }));
  return seen;
}

/** Resolves once `predicate` holds, or after `ms` (the caller asserts). */
export async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

export { setTimeout as sleep } from "node:timers/promises";
