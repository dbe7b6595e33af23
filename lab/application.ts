import { MqttClient } from "mqtt";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseTopicModel, THING_PLACEHOLDER } from "../authz";
import { EnvironmentConfig } from "../config";
import { MoatError } from "../errors";
import { checkApplicationName, issueApplicationWithKey, listIssued, pkiPaths } from "../pki";
import { refreshLabAcl } from "./lab-broker";
import { labRoster } from "./lab-devices";
import { labPaths } from "./lab-paths";
import { closeSession, openSession, Session, SessionRefused } from "./mqtt-session";

/** The application identity's key material. */
export interface ApplicationFiles {
  readonly key: string;
  readonly cert: string;
  /** Issuing CA then root. */
  readonly chain: string;
}

/** What {@link ensureLabApplication} found or made. */
export interface LabApplication {
  readonly name: string;
  readonly files: ApplicationFiles;
  /** Set when a certificate was issued now: why (none yet, revoked, expired, another CA). */
  readonly issued?: { readonly serial: string; readonly why: string };
}

/** Options of {@link ensureLabApplication}. */
export interface LabApplicationOptions {
  readonly pkiDir: string;
  readonly config: EnvironmentConfig;
  /** Decrypts the issuing CA key when a certificate must be issued. */
  readonly passphrase?: string;
  /** @default the current time */
  readonly now?: Date;
}

// A certificate this close to its end is replaced before it is used, not during a watch.
const RENEW_MS = 24 * 60 * 60 * 1000;

/** The environment's application name (lab.application.name), or a refusal saying how to declare it. */
export function labApplicationName(config: EnvironmentConfig): string {
  const name = config.lab?.application?.name;
  if (name === undefined) {
    throw new MoatError(
      `${config.file}: lab.application.name is not set, so the lab has no application identity to watch or send as; add 'lab: { application: { name: backend.app } }'`,
    );
  }
  checkApplicationName(name, `${config.file} lab.application.name`);
  return name;
}

/** Where the application's key and certificate live. */
export function labApplicationFiles(pkiDir: string, env: string, name: string): ApplicationFiles {
  const dir = labPaths(pkiDir, env).applicationDir;
  return { key: join(dir, `${name}.key`), cert: join(dir, `${name}.pem`), chain: join(dir, "chain.pem") };
}

/**
 * The application identity, with a certificate the broker accepts: issued from the environment's
 * CA on first use (profile `application` in the journal), and again when the one on disk is
 * revoked, expired or about to, of another name, or from a CA that was re-created.
 */
export function ensureLabApplication(options: LabApplicationOptions): LabApplication {
  const { config, pkiDir } = options;
  const name = labApplicationName(config);
  const files = labApplicationFiles(pkiDir, config.name, name);
  const now = options.now ?? new Date();
  const why = replacementReason(pkiDir, config.name, name, files, now);
  if (why === undefined) return { name, files };
  if (!config.pki.allowLocalKeys) {
    throw new MoatError(
      `${config.file}: pki.allowLocalKeys is false, so moat does not make the lab application's key for '${config.name}'; use a lab/dev environment`,
    );
  }
  const dir = labPaths(pkiDir, config.name).applicationDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const issued = issueApplicationWithKey({
    pkiDir,
    env: config.name,
    name,
    outDir: dir,
    passphrase: options.passphrase,
    validityDays: config.pki.deviceValidityDays,
    keyType: config.pki.keyType,
    now,
  });
  return { name, files, issued: { serial: issued.serial, why } };
}

function replacementReason(pkiDir: string, env: string, name: string, files: ApplicationFiles, now: Date): string | undefined {
  if (!existsSync(files.cert) || !existsSync(files.key)) return "none yet";
  const cert = new X509Certificate(readFileSync(files.cert));
  if (!cert.verify(new X509Certificate(readFileSync(pkiPaths(pkiDir, env).issuingCert)).publicKey)) return "the CA was re-created";
  if (!cert.subject.split("\n").includes(`CN=${name}`)) return "lab.application.name changed";
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_MS) return "the previous one expired or is about to";
  const record = listIssued({ pkiDir, env, now }).find((c) => c.serial === cert.serialNumber.toUpperCase());
  if (record === undefined) return "the previous one is not in the CA's journal";
  if (record.status !== "valid") return `the previous one (serial ${record.serial}) is ${record.status}`;
  return undefined;
}

/** One topic of one device that the application may use. */
export interface DeviceTopic {
  readonly device: string;
  readonly deviceClass: string;
  readonly topic: string;
  /** The topic has no {thing}: every device of the class shares it. */
  readonly shared: boolean;
}

/**
 * The application's side of the topic model for the enrolled devices: what it may read (what
 * each device publishes) and write (what each device receives), as compileMosquittoAcl grants it.
 */
export function applicationTopics(pkiDir: string, config: EnvironmentConfig): { read: DeviceTopic[]; write: DeviceTopic[] } {
  const model = parseTopicModel(config.topics, config.file);
  const byName = new Map(model.classes.map((c) => [c.name, c]));
  const read: DeviceTopic[] = [];
  const write: DeviceTopic[] = [];
  for (const device of labRoster(pkiDir, config)) {
    const deviceClass = byName.get(device.deviceClass);
    if (!deviceClass) continue;
    const entry = (topic: string): DeviceTopic => ({
      device: device.thing,
      deviceClass: device.deviceClass,
      topic: topic.split(THING_PLACEHOLDER).join(device.thing),
      shared: !topic.includes(THING_PLACEHOLDER),
    });
    read.push(...deviceClass.publish.filter((t) => !t.startsWith("$")).map(entry));
    write.push(...deviceClass.receive.filter((t) => !t.startsWith("$")).map(entry));
  }
  return { read, write };
}

/** Options of {@link watchDevices}. */
export interface WatchOptions extends LabApplicationOptions {
  readonly port: number;
  /** Only this enrolled device. */
  readonly device?: string;
  /** Only the enrolled devices of this class. */
  readonly deviceClass?: string;
  /** Stop after this many messages. @default no limit */
  readonly count?: number;
  /** Stop after this long. @default no limit */
  readonly timeoutMs?: number;
  /** Receives each message's topic and payload. */
  readonly onMessage: (topic: string, payload: Buffer) => void;
  /** Receives what the watch does besides messages: the certificate issued, the topics, the end. */
  readonly status: (line: string) => void;
}

/**
 * Connects as the application and reports each message devices publish on the topics the model
 * lets it read, until `count` messages or `timeoutMs`. Resolves with how many it got.
 */
export async function watchDevices(options: WatchOptions): Promise<{ readonly received: number; readonly timedOut: boolean }> {
  const { config } = options;
  const name = labApplicationName(config);
  if (options.deviceClass !== undefined && !(options.deviceClass in config.topics.classes)) {
    throw new MoatError(
      `--class '${options.deviceClass}' is not in ${config.file} topics.classes; use one of ${Object.keys(config.topics.classes).sort().join(", ")}`,
    );
  }
  const all = applicationTopics(options.pkiDir, config).read;
  if (options.device !== undefined && !all.some((t) => t.device === options.device)) {
    throw notEnrolled(options.device, config, all);
  }
  const chosen = all.filter(
    (t) =>
      (options.device === undefined || t.device === options.device) &&
      (options.deviceClass === undefined || t.deviceClass === options.deviceClass),
  );
  const topics = [...new Set(chosen.map((t) => t.topic))];
  if (topics.length === 0) {
    const which = options.deviceClass === undefined ? "device" : `device of class ${options.deviceClass}`;
    throw new MoatError(
      `no enrolled ${which} publishes anything the application may read in '${config.name}'; enroll one with 'moat lab device --env ${config.name} --device ID --class CLASS'`,
    );
  }
  const session = await applicationSession(options, name);
  const { client } = session;
  const closed = connectionLoss(client, name, labPaths(options.pkiDir, config.name).logFile);
  try {
    let received = 0;
    let finish: (timedOut: boolean) => void = () => undefined;
    const done = new Promise<boolean>((resolve) => (finish = resolve));
    client.on("message", (topic, payload) => {
      if (options.count !== undefined && received >= options.count) return;
      received++;
      options.onMessage(topic, payload);
      if (received === options.count) finish(false);
    });
    const granted = await Promise.race([client.subscribeAsync(topics, { qos: 1 }), closed]);
    const refused = granted.filter((g) => g.qos >= 0x80);
    if (refused.length > 0) {
      throw new MoatError(
        `${name}: the broker refused the subscription to ${refused.map((g) => g.topic).join(", ")} (reason ${refused[0].qos}); see ${labPaths(options.pkiDir, config.name).logFile}`,
      );
    }
    options.status(
      `${name}: watching ${topics.length} topic${topics.length === 1 ? "" : "s"} of ${new Set(chosen.map((t) => t.device)).size} device(s)`,
    );
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => finish(true), options.timeoutMs);
    try {
      const timedOut = await Promise.race([done, closed]);
      return { received, timedOut };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await closeSession(session);
  }
}

/** Options of {@link sendCommand}. */
export interface SendOptions extends LabApplicationOptions {
  readonly port: number;
  readonly device: string;
  /** @default the device's only per-device command topic */
  readonly topic?: string;
  readonly message: string | Buffer;
  readonly status: (line: string) => void;
}

/** The broker's answer to a command. */
export interface SendResult {
  readonly topic: string;
  /** The PUBACK reason code: 0 delivered to a subscriber, 16 accepted with no subscriber to receive it. */
  readonly reasonCode: number;
}

/**
 * Publishes one command (QoS 1, MQTT 5) as the application to one enrolled device, on a topic
 * the device receives; any other topic is refused before connecting. Resolves with the PUBACK
 * reason code.
 */
export async function sendCommand(options: SendOptions): Promise<SendResult> {
  const { config, device } = options;
  const name = labApplicationName(config);
  const all = applicationTopics(options.pkiDir, config).write;
  const own = all.filter((t) => t.device === device);
  if (own.length === 0) {
    if (!all.some((t) => t.device === device) && !labRoster(options.pkiDir, config).some((d) => d.thing === device))
      throw notEnrolled(device, config, all);
    throw new MoatError(
      `device ${device} receives no topic in ${config.file}, so there is nothing to send it; give its class a receive topic`,
    );
  }
  const choices = own.map((t) => t.topic).join(", ");
  let topic = options.topic;
  if (topic === undefined) {
    const perDevice = own.filter((t) => !t.shared);
    if (perDevice.length !== 1) throw new MoatError(`--topic is required: device ${device} receives ${choices}`);
    topic = perDevice[0].topic;
  }
  if (!own.some((t) => t.topic === topic)) {
    throw new MoatError(
      `--topic ${JSON.stringify(topic.slice(0, 120))} is not a topic device ${device} (class ${own[0].deviceClass}) receives in ${config.file}; use one of ${choices}`,
    );
  }
  const session = await applicationSession(options, name);
  const { client } = session;
  const closed = connectionLoss(client, name, labPaths(options.pkiDir, config.name).logFile);
  try {
    // mqtt.js resolves a publish without the PUBACK's reason code; read it off the wire.
    const reasons = new Map<number, number>();
    client.on("packetreceive", (packet) => {
      if (packet.cmd === "puback" && packet.messageId !== undefined) reasons.set(packet.messageId, packet.reasonCode ?? 0);
    });
    let sent;
    try {
      sent = await Promise.race([client.publishAsync(topic, options.message, { qos: 1 }), closed]);
    } catch (err) {
      if (err instanceof MoatError) throw err;
      throw new MoatError(
        `${name}: the broker refused the command to ${topic}: ${(err as Error).message.replace(/^Publish error: /, "")} (reason ${(err as { code?: number }).code ?? "?"}); see ${labPaths(options.pkiDir, config.name).acl}`,
      );
    }
    return { topic, reasonCode: (sent?.messageId === undefined ? undefined : reasons.get(sent.messageId)) ?? 0 };
  } finally {
    await closeSession(session);
  }
}

/** Issues or renews the application's certificate if needed, loads it into the ACL, connects. */
async function applicationSession(
  options: LabApplicationOptions & { port: number; status: (line: string) => void },
  name: string,
): Promise<Session> {
  const { config, pkiDir } = options;
  const application = ensureLabApplication(options);
  if (application.issued) {
    options.status(`issued the application certificate ${name} (serial ${application.issued.serial}; ${application.issued.why})`);
  }
  if (await refreshLabAcl(pkiDir, config)) options.status(`the running broker reloaded its ACL`);
  try {
    return await openSession({
      port: options.port,
      tls: {
        ca: readFileSync(pkiPaths(pkiDir, config.name).chain),
        cert: readFileSync(application.files.cert),
        key: readFileSync(application.files.key),
      },
    });
  } catch (err) {
    if (err instanceof SessionRefused && /ECONNREFUSED/.test(err.reason)) {
      throw new MoatError(
        `${name}: nothing listens on 127.0.0.1:${options.port}; start the broker with 'moat lab up --env ${config.name}'`,
      );
    }
    if (err instanceof SessionRefused)
      throw new MoatError(`${name}: the broker on port ${options.port} refused the session: ${err.reason}`);
    throw err;
  }
}

function notEnrolled(device: string, config: EnvironmentConfig, topics: readonly DeviceTopic[]): MoatError {
  const known = [...new Set(topics.map((t) => t.device))];
  return new MoatError(
    `--device ${JSON.stringify(device.slice(0, 130))} is not an enrolled device of '${config.name}'${known.length > 0 ? ` (enrolled: ${known.slice(0, 10).join(", ")})` : ""}; enroll it with 'moat lab device --env ${config.name} --device ${device} --class CLASS'`,
  );
}

/** A promise that rejects with one line when the broker drops the connection (mqtt.js would wait for ever). */
function connectionLoss(client: MqttClient, who: string, brokerLog: string): Promise<never> {
  let said = "";
  client.on("error", (err) => (said ||= `: ${err.message}`));
  const closed = new Promise<never>((_, reject) =>
    client.once("close", () => reject(new MoatError(`${who}: the broker closed the connection${said}; see ${brokerLog}`))),
  );
  closed.catch(() => undefined); // our own close at the end is no failure
  return closed;
}
