import { resolve } from "node:path";
import { UsageError } from "../errors";
import {
  enrollLabDevice,
  labDown,
  labStatus,
  labUp,
  LAB_HOST,
  MQTT_TLS_PORT,
  refreshLabAcl,
  reloadLabBroker,
  simulateDevice,
  publishTopicProblem,
  sendCommand,
  watchDevices,
} from "../lab";
import { pkiPaths } from "../pki";
import { CliSpec, option } from "./args";
import { environmentCommand, EnvironmentGroup, environmentGroupSpec, runEnvironmentCommand } from "./environment-command";
import { CliIo } from "./moat";

/** --port of the commands that connect to the running broker. */
const PORT = option({ type: "string", value: "N", description: "broker port", defaultNote: "the running lab broker's", parse: portNumber });

const COMMANDS = {
  up: environmentCommand({
    summary: "Starts the lab broker in the background.",
    options: {
      port: {
        type: "string",
        value: "N",
        description: `TLS port on ${LAB_HOST} (never 1883)`,
        default: String(MQTT_TLS_PORT),
        parse: portNumber,
      },
    },
    run: async (ctx) => {
      const port = ctx.values.port;
      const up = await labUp({ pkiDir: ctx.pkiDir, config: ctx.config(), port, passphrase: ctx.passphrase() });
      const chain = pkiPaths(ctx.pkiDir, ctx.env).chain;
      ctx.io.stdout(
        `lab broker '${ctx.env}' ${up.alreadyRunning ? "already running" : "started"}: mqtts://${LAB_HOST}:${up.port} (mutual TLS, TLS 1.2 minimum; pid ${up.pid})\n` +
          `  config  ${up.paths.config}\n  acl     ${up.paths.acl}\n  log     ${up.paths.logFile}\n` +
          `connect a device:\n  moat lab device --env ${ctx.env} --device sensor-1 --class <class>\n` +
          `or with any client, from any directory (after 'moat lab device' enrolled <id>):\n` +
          `  mosquitto_pub -h localhost -p ${up.port} --cafile ${resolve(chain)} --cert ${resolve(up.paths.devicesDir, "<id>", "<id>.pem")} --key ${resolve(up.paths.devicesDir, "<id>", "<id>.key")} -V mqttv5 -q 1 -t devices/<id>/telemetry -m '{}'\n` +
          (ctx.config().lab?.application
            ? `watch what devices publish, and command one, as the application:\n  moat lab watch --env ${ctx.env}\n  moat lab send --env ${ctx.env} --device <id> '{"led":"on"}'\n`
            : ""),
      );
      return 0;
    },
  }),
  down: environmentCommand({
    summary: "Stops the lab broker.",
    options: {},
    run: async (ctx) => {
      const pid = await labDown(ctx.pkiDir, ctx.env);
      ctx.io.stdout(pid === undefined ? `no '${ctx.env}' lab broker was running\n` : `lab broker '${ctx.env}' stopped (pid ${pid})\n`);
      return 0;
    },
  }),
  status: environmentCommand({
    summary: "Says whether the lab broker runs, on what port and sockets; exit 1 when it does not.",
    options: {},
    run: async (ctx) => {
      const { paths, running } = labStatus(ctx.pkiDir, ctx.env);
      if (!running) {
        ctx.io.stdout(`lab broker '${ctx.env}': not running (start it with 'moat lab up --env ${ctx.env}')\n`);
        return 1;
      }
      const sockets = running.sockets.map((s) => `${s.protocol} ${s.address}:${s.port}`).join(", ") || "none";
      ctx.io.stdout(
        `lab broker '${ctx.env}': running, pid ${running.pid}, port ${running.port}\n  listening on  ${sockets}\n  config        ${paths.config}\n  log           ${paths.logFile}\n`,
      );
      return 0;
    },
  }),
  reload: environmentCommand({
    summary: "Loads the current CRL: restarts the broker so open sessions of revoked devices close.",
    options: { "keep-sessions": { type: "boolean", description: "SIGHUP only: the CRL applies to new connections, open sessions stay" } },
    run: async (ctx) => {
      const result = await reloadLabBroker(ctx.pkiDir, ctx.env, { keepSessions: ctx.values["keep-sessions"] });
      ctx.io.stdout(result.message + "\n");
      return 0;
    },
  }),
  device: environmentCommand({
    summary: "A lab device over MQTT 5: enrolls it on first use, publishes telemetry to its own topics, prints the answers.",
    description:
      "On first use its key and certificate come from the environment's CA, with its class C as the OU. With --topic T it also publishes to T, to see a refusal. Exit 1 when a publish is refused or the broker closes the connection mid-run.",
    options: {
      device: { type: "string", value: "ID", required: true, description: "the device (its thing name)" },
      class: { type: "string", value: "C", description: "its device class (required when the environment has several)" },
      messages: { type: "string", value: "N", description: "telemetry messages to publish", default: "3", parse: positiveCount },
      topic: {
        type: "string",
        value: "T",
        description: "one more exact topic to publish to, to see a refusal (no + or #, not $-reserved)",
        parse: publishTopic,
      },
      port: PORT,
    },
    run: async (ctx) => {
      const { device: deviceId, messages, topic } = ctx.values;
      const port = ctx.values.port ?? runningPort(ctx.pkiDir, ctx.env);
      const config = ctx.config();
      const enrollment = enrollLabDevice({
        pkiDir: ctx.pkiDir,
        config,
        deviceId,
        deviceClass: ctx.values.class,
        passphrase: ctx.passphrase(),
      });
      if (enrollment.issued) {
        ctx.io.stdout(
          `enrolled ${deviceId} (class ${enrollment.device.deviceClass}, serial ${enrollment.serial}); key and certificate in ${enrollment.files.cert.replace(/\/[^/]+$/, "")}\n`,
        );
        if (await refreshLabAcl(ctx.pkiDir, config)) ctx.io.stdout(`the running broker reloaded its ACL\n`);
      }
      const result = await simulateDevice({
        pkiDir: ctx.pkiDir,
        config,
        deviceId,
        port,
        messages,
        extraTopic: topic,
        report: (line) => ctx.io.stdout(`${deviceId}: ${line}\n`),
      });
      ctx.io.stdout(`${deviceId}: ${result.accepted} publishes accepted, ${result.denied} refused, ${result.received} messages received\n`);
      return result.denied > 0 ? 1 : 0;
    },
  }),
  watch: environmentCommand({
    summary:
      "Connects as the application (lab.application.name) and prints what enrolled devices publish: topic and payload, one line each.",
    options: {
      device: { type: "string", value: "ID", description: "only this enrolled device" },
      class: { type: "string", value: "C", description: "only the enrolled devices of this class" },
      count: { type: "string", value: "N", description: "stop after N messages (exit 1 if --timeout comes first)", parse: positiveCount },
      timeout: { type: "string", value: "S", description: "stop after S seconds", defaultNote: "run until interrupted", parse: seconds },
      port: PORT,
    },
    run: async (ctx) => {
      if (ctx.values.device !== undefined && ctx.values.class !== undefined) {
        throw new UsageError(`moat lab watch takes --device or --class, not both; a device's class is its certificate's`);
      }
      const { count, timeout } = ctx.values;
      const timeoutMs = timeout === undefined ? undefined : Math.round(timeout * 1000);
      const port = ctx.values.port ?? runningPort(ctx.pkiDir, ctx.env);
      const result = await watchDevices({
        pkiDir: ctx.pkiDir,
        config: ctx.config(),
        passphrase: ctx.passphrase(),
        port,
        device: ctx.values.device,
        deviceClass: ctx.values.class,
        count,
        timeoutMs,
        onMessage: (topic, payload) => ctx.io.stdout(`${topic} ${payloadText(payload)}\n`),
        status: (line) => ctx.io.stderr(`${line}\n`),
      });
      if (result.timedOut && count !== undefined) {
        ctx.io.stderr(`${result.received} of ${count} messages within ${timeout} s; are the devices publishing ('moat lab device')?\n`);
        return 1;
      }
      ctx.io.stderr(`${result.received} message${result.received === 1 ? "" : "s"} received\n`);
      return 0;
    },
  }),
  send: environmentCommand({
    summary: "As the application, publishes one command (QoS 1) to one enrolled device, on a topic its class receives.",
    description:
      "Exit 1 when the model does not grant the topic, or no subscriber received it (PUBACK reason 16: connect the device first).",
    positional: {
      name: "MESSAGE",
      description: "the command's payload (one argument: quote it)",
      missing: `moat lab send needs a MESSAGE after the options, e.g. '{"led":"on"}'`,
    },
    options: {
      device: { type: "string", value: "ID", required: true, description: "the enrolled device to command" },
      topic: { type: "string", value: "T", description: "a topic the device receives", defaultNote: "its own, e.g. devices/ID/commands" },
      port: PORT,
    },
    run: async (ctx) => {
      const { device } = ctx.values;
      const message = ctx.positionals[0] ?? ""; // the table requires exactly one
      const port = ctx.values.port ?? runningPort(ctx.pkiDir, ctx.env);
      const result = await sendCommand({
        pkiDir: ctx.pkiDir,
        config: ctx.config(),
        passphrase: ctx.passphrase(),
        port,
        device,
        topic: ctx.values.topic,
        message,
        status: (line) => ctx.io.stderr(`${line}\n`),
      });
      if (result.reasonCode === 16) {
        ctx.io.stderr(
          `sent to ${result.topic}, but no subscriber received it (PUBACK reason 16: no matching subscribers); connect the device first, e.g. 'moat lab device --env ${ctx.env} --device ${device}'\n`,
        );
        return 1;
      }
      ctx.io.stdout(`sent to ${result.topic}: PUBACK reason ${result.reasonCode} (delivered to a subscriber)\n`);
      return 0;
    },
  }),
};

const GROUP: EnvironmentGroup = {
  summary: `A local Mosquitto broker rendered from environments/E.yaml: one mutual-TLS listener on ${LAB_HOST}, the environment's CA and CRL, the ACL compiled from its topic model.`,
  notes: "The lab lives in DIR/E/lab (DIR: --pki-dir). Needs Mosquitto 2: 'sudo apt-get install mosquitto'.",
  commands: COMMANDS,
};

/** The table of `moat lab` and its subcommands: their help and `moat --help` are made from it. */
export const spec: CliSpec = environmentGroupSpec(GROUP);

/** `moat lab <command> ...` */
export async function run(argv: string[], io: CliIo): Promise<number> {
  return runEnvironmentCommand("lab", argv, io, GROUP);
}

/** The port of the running lab broker, else the default: where device, watch and send connect without --port. */
function runningPort(pkiDir: string, env: string): number {
  return labStatus(pkiDir, env).running?.port ?? MQTT_TLS_PORT;
}

function portNumber(text: string, flag: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new UsageError(`${flag} '${text}' is not a port number (1 to 65535); use e.g. ${flag} ${MQTT_TLS_PORT}`);
  }
  return Number(text);
}

function positiveCount(text: string, flag: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} '${text}' is not a positive whole number (1 to 999999)`);
  return Number(text);
}

function seconds(text: string, flag: string): number {
  if (!/^\d{1,5}(\.\d{1,3})?$/.test(text) || Number(text) <= 0 || Number(text) > 86400)
    throw new UsageError(`${flag} '${text}' is not a number of seconds (more than 0, at most 86400); use e.g. ${flag} 30`);
  return Number(text);
}

/** Checked before anything is enrolled: a topic the broker cannot answer must not cost a certificate. */
function publishTopic(text: string, flag: string): string {
  const problem = publishTopicProblem(text);
  if (problem) throw new UsageError(`${flag} ${problem}`);
  return text;
}

/** A payload on one line: UTF-8 text as it is, text with control characters as a JSON string, anything else as hex. */
function payloadText(payload: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(payload);
  } catch {
    return `0x${payload.toString("hex")}`;
  }
  return /[\u0000-\u001f\u007f-\u009f]/.test(text) ? JSON.stringify(text) : text;
}
