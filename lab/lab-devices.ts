import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LabDevice } from "../authz";
import { EnvironmentConfig } from "../config";
import { MoatError } from "../errors";
import { checkThingName, issueDeviceWithKey } from "../pki";
import { writeFileAtomic } from "../pki/atomic-file";
import { labPaths } from "./lab-paths";

/** A lab device's key material, as written by `moat lab device`. */
export interface LabDeviceFiles {
  /** Private key, PKCS#8 PEM, mode 0600. */
  readonly key: string;
  readonly cert: string;
  /** Issuing CA then root: what the device trusts the broker with. */
  readonly chain: string;
}

/** Options of {@link enrollLabDevice}. */
export interface EnrollOptions {
  readonly pkiDir: string;
  readonly config: EnvironmentConfig;
  /** Thing name: the certificate CN, the MQTT username and client id. */
  readonly deviceId: string;
  /** @default the only class when the environment has one; required otherwise */
  readonly deviceClass?: string;
  /** Decrypts the issuing CA key; omit for an unencrypted lab CA. */
  readonly passphrase?: string;
}

/** What {@link enrollLabDevice} found or made. */
export interface Enrollment {
  readonly device: LabDevice;
  readonly files: LabDeviceFiles;
  /** A certificate was issued now (false: the device was already enrolled). */
  readonly issued: boolean;
  readonly serial?: string;
}

/** Where a lab device's key material lives. */
export function labDeviceFiles(pkiDir: string, env: string, deviceId: string): LabDeviceFiles {
  checkThingName(deviceId, "--device");
  const dir = join(labPaths(pkiDir, env).devicesDir, deviceId);
  return { key: join(dir, `${deviceId}.key`), cert: join(dir, `${deviceId}.pem`), chain: join(dir, "chain.pem") };
}

/** The lab's devices and their classes (empty before the first `moat lab device`). */
export function readRoster(pkiDir: string, env: string): LabDevice[] {
  const path = labPaths(pkiDir, env).roster;
  if (!existsSync(path)) return [];
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { devices?: unknown };
    if (!Array.isArray(parsed.devices)) throw new Error();
    return parsed.devices.map((d: { thing?: unknown; deviceClass?: unknown }) => {
      if (typeof d.thing !== "string" || typeof d.deviceClass !== "string") throw new Error();
      return { thing: d.thing, deviceClass: d.deviceClass };
    });
  } catch {
    throw new MoatError(`lab roster ${path} is not moat's device list; delete it and enroll the devices again with 'moat lab device'`);
  }
}

/**
 * Makes a lab device: a key and a certificate from the environment's CA (lab/dev only: the
 * environment must set pki.allowLocalKeys), and its class in the lab roster so the broker's
 * ACL grants it that class's topics. A device already enrolled is returned as it is.
 */
export function enrollLabDevice(options: EnrollOptions): Enrollment {
  const { config, pkiDir, deviceId } = options;
  const files = labDeviceFiles(pkiDir, config.name, deviceId);
  const roster = readRoster(pkiDir, config.name);
  const known = roster.find((d) => d.thing === deviceId);
  const deviceClass = resolveClass(config, options.deviceClass, known);
  if (known && existsSync(files.key) && existsSync(files.cert)) return { device: known, files, issued: false };
  if (!config.pki.allowLocalKeys) {
    throw new MoatError(`${config.file}: pki.allowLocalKeys is false, so moat does not make device keys for '${config.name}'; use a lab/dev environment, or issue from the device's CSR with 'moat pki issue --csr'`);
  }
  const dir = join(labPaths(pkiDir, config.name).devicesDir, deviceId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const issued = issueDeviceWithKey({ pkiDir, env: config.name, deviceId, outDir: dir, passphrase: options.passphrase, validityDays: config.pki.deviceValidityDays });
  const device = { thing: deviceId, deviceClass };
  const next = [...roster.filter((d) => d.thing !== deviceId), device].sort((a, b) => a.thing.localeCompare(b.thing));
  writeFileAtomic(labPaths(pkiDir, config.name).roster, JSON.stringify({ devices: next }, null, 2) + "\n", { mode: 0o600 });
  return { device, files, issued: true, serial: issued.serial };
}

function resolveClass(config: EnvironmentConfig, requested: string | undefined, known: LabDevice | undefined): string {
  const classes = Object.keys(config.topics.classes).sort();
  if (known) {
    if (requested !== undefined && requested !== known.deviceClass) {
      throw new MoatError(`lab device ${known.thing} is enrolled as class '${known.deviceClass}', not '${requested}'; use another --device name for a ${requested}`);
    }
    return known.deviceClass;
  }
  if (requested === undefined) {
    if (classes.length === 1) return classes[0];
    throw new MoatError(`--class is required for a new lab device: ${config.file} has classes ${classes.join(", ")}`);
  }
  if (!classes.includes(requested)) throw new MoatError(`--class '${requested}' is not in ${config.file} topics.classes; use one of ${classes.join(", ")}`);
  return requested;
}
