import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LabDevice } from "../authz";
import { EnvironmentConfig } from "../config";
import { MoatError } from "../errors";
import { checkThingName, chooseDeviceClass, DeviceSubject, deviceSubjectOf, issueDeviceWithKey, listIssued } from "../pki";
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
  /**
   * The class, written by the CA as the certificate's OU (as for a cloud device).
   * @default the only class when the environment has one; required otherwise
   */
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

/**
 * Which class each device of the environment belongs to, read where AWS IoT reads it: the OU of
 * every valid device certificate the environment's CA issued (the journal holds each
 * certificate), as {@link provisionedClass} says the cloud's template would. Mosquitto grants by CN, so one thing name with valid certificates of two
 * classes is refused rather than given either class's rights.
 */
export function labRoster(pkiDir: string, config: EnvironmentConfig, now?: Date): LabDevice[] {
  const classes = Object.keys(config.topics.classes);
  const byThing = new Map<string, { deviceClass: string; serial: string }>();
  for (const issued of listIssued({ pkiDir, env: config.name, now })) {
    if (issued.profile !== "device" || issued.status !== "valid") continue;
    const subject = deviceSubjectOf(
      Buffer.from(issued.certificate, "base64"),
      `certificate ${issued.serial} in the '${config.name}' PKI index`,
    );
    const deviceClass = provisionedClass(subject, classes);
    if (deviceClass === undefined) continue;
    const seen = byThing.get(subject.commonName);
    if (seen && seen.deviceClass !== deviceClass) {
      throw new MoatError(
        `thing ${subject.commonName} has valid certificates of two classes ('${seen.deviceClass}' serial ${seen.serial}, '${deviceClass}' serial ${issued.serial}); the lab grants by CN, so revoke the wrong one with 'moat pki revoke --env ${config.name} --serial ...'`,
      );
    }
    byThing.set(subject.commonName, { deviceClass, serial: issued.serial });
  }
  return [...byThing.entries()].map(([thing, { deviceClass }]) => ({ thing, deviceClass })).sort((a, b) => a.thing.localeCompare(b.thing));
}

/**
 * The class of an enrolled lab device, from its certificate's OU; undefined when it is not
 * enrolled (no key or certificate). A certificate without an OU is of the only class of a
 * single-class environment, of none otherwise.
 */
export function labDeviceClass(pkiDir: string, config: EnvironmentConfig, deviceId: string): string | undefined {
  const files = labDeviceFiles(pkiDir, config.name, deviceId);
  if (!existsSync(files.key) || !existsSync(files.cert)) return undefined;
  const subject = deviceSubjectOf(new X509Certificate(readFileSync(files.cert)).raw, files.cert);
  const classes = Object.keys(config.topics.classes);
  if (subject.organizationalUnit === undefined && classes.length > 1) {
    throw new MoatError(
      `lab device ${deviceId}: its certificate ${files.cert} names no class (no OU) and ${config.file} has several; enroll it again under another name`,
    );
  }
  // An OU the environment no longer defines is returned as it is: the simulator names it.
  return provisionedClass(subject, classes) ?? (subject.organizationalUnit as string);
}

/**
 * The class IoT Core's provisioning template gives a certificate (constructs/broker/jitp-template):
 * a single-class environment's template has one fixed group and reads no OU; with several
 * classes the group is the OU's, and an OU that names no class (or none at all) fails provisioning.
 */
function provisionedClass(subject: DeviceSubject, classes: readonly string[]): string | undefined {
  if (classes.length === 1) return classes[0];
  const ou = subject.organizationalUnit;
  return ou !== undefined && classes.includes(ou) ? ou : undefined;
}

/**
 * Makes a lab device: a key and a certificate from the environment's CA (lab/dev only: the
 * environment must set pki.allowLocalKeys) whose OU is the device's class, so the broker's ACL
 * grants it that class's topics as the cloud's thing group would. A device already enrolled is
 * returned as it is; asking for another class than its certificate's is refused.
 */
export function enrollLabDevice(options: EnrollOptions): Enrollment {
  const { config, pkiDir, deviceId } = options;
  const files = labDeviceFiles(pkiDir, config.name, deviceId);
  const enrolledAs = labDeviceClass(pkiDir, config, deviceId);
  if (enrolledAs !== undefined) {
    if (options.deviceClass !== undefined && options.deviceClass !== enrolledAs) {
      throw new MoatError(
        `lab device ${deviceId} is enrolled as class '${enrolledAs}', not '${options.deviceClass}'; use another --device name for a ${options.deviceClass}`,
      );
    }
    return { device: { thing: deviceId, deviceClass: enrolledAs }, files, issued: false };
  }
  const deviceClass = chooseDeviceClass({
    classes: Object.keys(config.topics.classes),
    requested: options.deviceClass,
    source: config.file,
    purpose: "a new lab device",
  });
  if (!config.pki.allowLocalKeys) {
    throw new MoatError(
      `${config.file}: pki.allowLocalKeys is false, so moat does not make device keys for '${config.name}'; use a lab/dev environment, or issue from the device's CSR with 'moat pki issue --csr'`,
    );
  }
  const dir = join(labPaths(pkiDir, config.name).devicesDir, deviceId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const issued = issueDeviceWithKey({
    pkiDir,
    env: config.name,
    deviceId,
    deviceClass,
    outDir: dir,
    passphrase: options.passphrase,
    validityDays: config.pki.deviceValidityDays,
  });
  return { device: { thing: deviceId, deviceClass }, files, issued: true, serial: issued.serial };
}
