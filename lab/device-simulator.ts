import { MqttClient } from "mqtt";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { THING_PLACEHOLDER } from "../authz";
import { EnvironmentConfig } from "../config";
import { MoatError } from "../errors";
import { labDeviceClass, labDeviceFiles } from "./lab-devices";
import { labPaths } from "./lab-paths";
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
  /** One more topic to publish to, e.g. another device's, to see the broker's answer; see {@link publishTopicProblem}. */
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
  if (className === undefined)
    throw new MoatError(
      `lab device ${deviceId} is not enrolled in '${config.name}'; run 'moat lab device --env ${config.name} --device ${deviceId} --class CLASS'`,
    );
  const deviceClass = config.topics.classes[className];
  if (!deviceClass)
    throw new MoatError(
      `lab device ${deviceId} has class '${className}', which ${config.file} no longer defines; enroll it again under another name`,
    );
  const extraProblem = options.extraTopic === undefined ? undefined : publishTopicProblem(options.extraTopic);
  if (extraProblem) throw new MoatError(`lab device ${deviceId}: extra topic ${extraProblem}`);
  const own = (topic: string) => topic.split(THING_PLACEHOLDER).join(deviceId);
  const files = labDeviceFiles(options.pkiDir, config.name, deviceId);

  let session;
  try {
    session = await openSession({
      port: options.port,
      tls: { ca: readFileSync(files.chain), cert: readFileSync(files.cert), key: readFileSync(files.key) },
    });
  } catch (err) {
    if (err instanceof SessionRefused && /ECONNREFUSED/.test(err.reason)) {
      throw new MoatError(
        `lab device ${deviceId}: nothing listens on 127.0.0.1:${options.port}; start the broker with 'moat lab up --env ${config.name}'`,
      );
    }
    if (err instanceof SessionRefused)
      throw new MoatError(`lab device ${deviceId}: the broker on port ${options.port} refused the session: ${err.reason}`);
    throw err;
  }
  const { client, connack } = session;
  report(
    `CONNACK reason ${connack.reasonCode ?? 0} (accepted) over ${session.tls?.protocol} ${session.tls?.cipher}, client id ${connack.properties?.assignedClientIdentifier ?? deviceId}`,
  );
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
  const connection = watchConnection(client, `lab device ${deviceId}`, labPaths(options.pkiDir, config.name).logFile);
  try {
    for (const filter of deviceClass.subscribe.map(own)) {
      const granted = await connection.answer(client.subscribeAsync(filter, { qos: 1 }), `the SUBACK for ${JSON.stringify(filter)}`);
      for (const g of granted) report(`SUBACK ${g.topic}: ${g.qos >= 0x80 ? `reason ${g.qos} (refused)` : `granted QoS ${g.qos}`}`);
    }
    const topics = [...deviceClass.publish.map(own), ...(options.extraTopic === undefined ? [] : [options.extraTopic])];
    let accepted = 0;
    let denied = 0;
    for (let seq = 1; seq <= (options.messages ?? 3); seq++) {
      for (const topic of topics) {
        const payload = JSON.stringify({
          device: deviceId,
          seq,
          at: new Date().toISOString(),
          temperature: 20 + Math.round(Math.random() * 50) / 10,
        });
        try {
          const sent = await connection.answer(
            client.publishAsync(topic, payload, { qos: 1 }),
            `the PUBACK for ${JSON.stringify(topic)} #${seq}`,
          );
          accepted++;
          const reason = sent?.messageId === undefined ? undefined : pubackReasons.get(sent.messageId);
          report(`PUBACK ${topic} #${seq}: reason ${reason ?? 0} (${reason === 16 ? "accepted, no subscribers" : "accepted"})`);
        } catch (err) {
          if (err instanceof MoatError) throw err;
          denied++;
          const code = (err as { code?: number }).code;
          report(`PUBACK ${topic} #${seq}: reason ${code ?? "?"} (${(err as Error).message.replace(/^Publish error: /, "")})`);
        }
      }
      if (seq < (options.messages ?? 3)) await connection.answer(sleep(options.intervalMs ?? 500), "the next round");
    }
    await connection.answer(sleep(options.listenMs ?? 1000), "messages for the device");
    return { accepted, denied, received };
  } finally {
    await closeSession(session);
  }
}

/** MQTT strings carry a two-byte length. */
const MAX_MQTT_STRING_BYTES = 65535;

/**
 * Why the simulator cannot publish to `topic`, as `"<topic>" <what is wrong>; <fix>` to follow
 * the option's name in an error line, or undefined when it may be published to.
 * What a PUBLISH may not carry (MQTT 5 sections 1.5.4 and 4.7) is no question for the broker:
 * Mosquitto drops the connection (protocol error or malformed packet) instead of answering.
 * `$` topics are the broker's own: $SYS here, IoT Core's $aws/ services in production, which
 * the lab broker does not have, so its answer would say nothing about production.
 */
export function publishTopicProblem(topic: string): string | undefined {
  const problem = topicProblem(topic);
  if (problem === undefined) return undefined;
  // The line names the topic, but a 64 KiB one would bury the reason.
  return `${JSON.stringify(topic.length > 80 ? `${topic.slice(0, 80)}...` : topic)} ${problem}`;
}

function topicProblem(topic: string): string | undefined {
  const fix = "name one exact topic, e.g. devices/sensor-2/telemetry";
  if (topic === "") return `is empty; ${fix}`;
  const wildcard = /[+#]/.exec(topic)?.[0];
  if (wildcard)
    return `contains '${wildcard}', an MQTT wildcard, which a PUBLISH may not carry (the broker would drop the connection); ${fix}`;
  if (topic.startsWith("$"))
    return `starts with '$', a broker-reserved topic ($SYS; IoT Core's $aws/ services, which the lab broker lacks, so its answer would not be production's); ${fix}`;
  const forbidden = [...topic].map((c) => c.codePointAt(0) ?? 0).find(forbiddenInMqttString);
  if (forbidden !== undefined) {
    return `contains U+${forbidden.toString(16).toUpperCase().padStart(4, "0")}, a control character, noncharacter or lone surrogate, which MQTT forbids in a topic (the broker would drop the connection); remove it`;
  }
  const bytes = Buffer.byteLength(topic, "utf8");
  if (bytes > MAX_MQTT_STRING_BYTES) return `is ${bytes} bytes; an MQTT topic is at most ${MAX_MQTT_STRING_BYTES}: ${fix}`;
  return undefined;
}

function forbiddenInMqttString(code: number): boolean {
  const control = code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  const surrogate = code >= 0xd800 && code <= 0xdfff;
  const noncharacter = (code >= 0xfdd0 && code <= 0xfdef) || (code & 0xfffe) === 0xfffe;
  return control || surrogate || noncharacter;
}

/**
 * A broker that drops the connection (a protocol error, a restart, a crash) never answers what
 * is in flight, and mqtt.js (without reconnect) leaves those promises pending for ever: Node
 * then exits 0 with the run half done. So every wait is raced against the close, which fails
 * the run with one line saying what was awaited and what the socket reported.
 */
function watchConnection(client: MqttClient, who: string, brokerLog: string): { answer<T>(wait: Promise<T>, what: string): Promise<T> } {
  let awaiting = "";
  let said = "";
  // Mosquitto 2.0 closes without a DISCONNECT on shutdown and takeover; a reset shows as an error.
  client.on("error", (err) => (said ||= `: ${err.message}`));
  const closed = new Promise<never>((_, reject) =>
    client.once("close", () => {
      reject(
        new MoatError(
          `${who}: the broker closed the connection while the device waited for ${awaiting}${said}; the rest of the run was not sent: see ${brokerLog}`,
        ),
      );
    }),
  );
  closed.catch(() => undefined); // a close after the run, ours, is no failure
  return {
    answer: (wait, what) => {
      awaiting = what;
      return Promise.race([wait, closed]);
    },
  };
}
