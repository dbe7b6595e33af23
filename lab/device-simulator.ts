import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { THING_PLACEHOLDER } from "../authz";
import { EnvironmentConfig } from "../config";
import { MoatError } from "../errors";
import { labDeviceClass, labDeviceFiles } from "./lab-devices";
import { closeSession, openSession, SessionRefused } from "./mqtt-session";

/** Options of {@link simulateDevice}. */
export interface SimulatorOptions {
  readonly pkiDir: string;
  readonly config: EnvironmentConfig;
  /** An enrolled lab device (see enrollLabDevice). */
  readonly deviceId: string;
  readonly port: number;
  /** Telemetry messages per publish topic. @default 3 */
  readonly messages?: number;
  /** Pause between rounds. @default 500 */
  readonly intervalMs?: number;
  /** How long to wait for incoming messages after the last publish. @default 1000 */
  readonly listenMs?: number;
  /** One more topic to publish to, e.g. another device's, to see the broker's answer. */
  readonly extraTopic?: string;
  /** Receives one line per broker answer. */
  readonly report: (line: string) => void;
}

/** Counts of what the broker answered. */
export interface SimulatorResult {
  readonly accepted: number;
  readonly denied: number;
  readonly received: number;
}

/**
 * A lab device over MQTT 5 with its certificate: subscribes to its class's topics, publishes
 * telemetry (QoS 1) to its own publish topics and reports every answer: CONNACK, SUBACK,
 * PUBACK reason codes (135 = not authorized) and the messages delivered to it.
 */
export async function simulateDevice(options: SimulatorOptions): Promise<SimulatorResult> {
  const { config, deviceId, report } = options;
  const className = labDeviceClass(options.pkiDir, config, deviceId);
  if (className === undefined) throw new MoatError(`lab device ${deviceId} is not enrolled in '${config.name}'; run 'moat lab device --env ${config.name} --device ${deviceId} --class CLASS'`);
  const deviceClass = config.topics.classes[className];
  if (!deviceClass) throw new MoatError(`lab device ${deviceId} has class '${className}', which ${config.file} no longer defines; enroll it again under another name`);
  const own = (topic: string) => topic.split(THING_PLACEHOLDER).join(deviceId);
  const files = labDeviceFiles(options.pkiDir, config.name, deviceId);

  let session;
  try {
    session = await openSession({ port: options.port, tls: { ca: readFileSync(files.chain), cert: readFileSync(files.cert), key: readFileSync(files.key) } });
  } catch (err) {
    if (err instanceof SessionRefused && /ECONNREFUSED/.test(err.reason)) {
      throw new MoatError(`lab device ${deviceId}: nothing listens on 127.0.0.1:${options.port}; start the broker with 'moat lab up --env ${config.name}'`);
    }
    if (err instanceof SessionRefused) throw new MoatError(`lab device ${deviceId}: the broker on port ${options.port} refused the session: ${err.reason}`);
    throw err;
  }
  const { client, connack } = session;
  report(`CONNACK reason ${connack.reasonCode ?? 0} (accepted) over ${session.tls?.protocol} ${session.tls?.cipher}, client id ${connack.properties?.assignedClientIdentifier ?? deviceId}`);
  // mqtt.js resolves a publish without the PUBACK; read its reason code (0, or 16: no subscribers) off the wire.
  const pubackReasons = new Map<number, number>();
  client.on("packetreceive", (packet) => {
    if (packet.cmd === "puback" && packet.messageId !== undefined) pubackReasons.set(packet.messageId, packet.reasonCode ?? 0);
  });
  let received = 0;
  client.on("message", (topic, payload) => {
    received++;
    report(`message on ${topic}: ${payload.toString("utf8").slice(0, 200)}`);
  });
  try {
    for (const filter of deviceClass.subscribe.map(own)) {
      const granted = await client.subscribeAsync(filter, { qos: 1 });
      for (const g of granted) report(`SUBACK ${g.topic}: ${g.qos >= 0x80 ? `reason ${g.qos} (refused)` : `granted QoS ${g.qos}`}`);
    }
    const topics = [...deviceClass.publish.map(own), ...(options.extraTopic ? [options.extraTopic] : [])];
    let accepted = 0;
    let denied = 0;
    for (let seq = 1; seq <= (options.messages ?? 3); seq++) {
      for (const topic of topics) {
        const payload = JSON.stringify({ device: deviceId, seq, at: new Date().toISOString(), temperature: 20 + Math.round(Math.random() * 50) / 10 });
        try {
          const sent = await client.publishAsync(topic, payload, { qos: 1 });
          accepted++;
          const reason = sent?.messageId === undefined ? undefined : pubackReasons.get(sent.messageId);
          report(`PUBACK ${topic} #${seq}: reason ${reason ?? 0} (${reason === 16 ? "accepted, no subscribers" : "accepted"})`);
        } catch (err) {
          denied++;
          const code = (err as { code?: number }).code;
          report(`PUBACK ${topic} #${seq}: reason ${code ?? "?"} (${(err as Error).message.replace(/^Publish error: /, "")})`);
        }
      }
      if (seq < (options.messages ?? 3)) await sleep(options.intervalMs ?? 500);
    }
    await sleep(options.listenMs ?? 1000);
    return { accepted, denied, received };
  } finally {
    await closeSession(session);
  }
}
