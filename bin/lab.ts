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
import { requireOption } from "./args";
import { EnvironmentCommand, runEnvironmentCommand, Values } from "./environment-command";
import { CliIo } from "./moat";

const HELP = `usage: moat lab <command> --env E [options]

A local Mosquitto broker rendered from environments/E.yaml: one mutual-TLS listener on
${LAB_HOST}, the environment's CA and CRL, the ACL compiled from its topic model.

commands:
  up      [--port N]                       start the broker in the background (default port ${MQTT_TLS_PORT})
  down                                     stop it
  status                                   is it running, on what; exit 1 when it is not
  reload  [--keep-sessions]                load the current CRL: restarts the broker so open
                                           sessions of revoked devices close (--keep-sessions: SIGHUP only)
  device  --device ID [--class C] [--messages N] [--topic T] [--port N]
                                           a lab device over MQTT 5: enrolls it on first use (key and
                                           certificate from the environment's CA, OU = its class C;
                                           C is required when the environment has several), publishes telemetry to
                                           its own topics (and to T, to see a refusal), prints the answers;
                                           T is one exact topic: no + or #, not $-reserved; exit 1 if the
                                           broker closes the connection mid-run
  watch   [--device ID|--class C] [--count N] [--timeout S] [--port N]
                                           connect as the application (lab.application.name) and print
                                           what enrolled devices publish, one line per message: topic, payload
  send    --device ID [--topic T] [--port N] MESSAGE
                                           as the application, publish one command (QoS 1) to a topic the
                                           device receives (default its own command topic); exit 1 when the
                                           model does not grant T, or no subscriber received it (reason 16)

options:
  --env E                 environment (environments/E.yaml)
  --pki-dir DIR           PKI store (default $MOAT_PKI_DIR, else .pki/); the lab lives in DIR/E/lab
  --passphrase-file FILE  CA key passphrase (else MOAT_CA_PASSPHRASE)
  --environments-dir DIR  where environment files are (default environments)

Needs Mosquitto 2: 'sudo apt-get install mosquitto'.
`;

const COMMANDS: Record<string, EnvironmentCommand> = {
  up: {
    summary: "Starts the lab broker in the background.",
    options: { port: { type: "string", value: "N", description: `TLS port on ${LAB_HOST} (default ${MQTT_TLS_PORT}; never 1883)` } },
    run: async (ctx) => {
      const port = portOption(ctx.values, MQTT_TLS_PORT);
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
  },
  down: {
    summary: "Stops the lab broker.",
    options: {},
    run: async (ctx) => {
      const pid = await labDown(ctx.pkiDir, ctx.env);
      ctx.io.stdout(pid === undefined ? `no '${ctx.env}' lab broker was running\n` : `lab broker '${ctx.env}' stopped (pid ${pid})\n`);
      return 0;
    },
  },
  status: {
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
  },
  reload: {
    summary: "Loads the current CRL: restarts the broker so open sessions of revoked devices close.",
    options: { "keep-sessions": { type: "boolean", description: "SIGHUP only: the CRL applies to new connections, open sessions stay" } },
    run: async (ctx) => {
      const result = await reloadLabBroker(ctx.pkiDir, ctx.env, { keepSessions: ctx.values["keep-sessions"] === true });
      ctx.io.stdout(result.message + "\n");
      return 0;
    },
  },
  device: {
    summary: "A lab device over MQTT 5: enrolls it on first use, publishes telemetry to its own topics, prints the answers.",
    options: {
      device: { type: "string", value: "ID", description: "the device (its thing name)" },
      class: { type: "string", value: "C", description: "its device class (required when the environment has several)" },
      messages: { type: "string", value: "N", description: "telemetry messages to publish (default 3)" },
      topic: {
        type: "string",
        value: "T",
        description: "one more exact topic to publish to, to see a refusal (no + or #, not $-reserved)",
      },
      port: { type: "string", value: "N", description: "broker port (default the running lab broker's)" },
    },
    run: async (ctx) => {
      const deviceId = requireOption("moat lab device", ctx.values, "device");
      const messages = countOption(ctx.values, "messages", 3);
      const topic = topicOption(ctx.values);
      const port = portOption(ctx.values, labStatus(ctx.pkiDir, ctx.env).running?.port ?? MQTT_TLS_PORT);
      const config = ctx.config();
      const enrollment = enrollLabDevice({
        pkiDir: ctx.pkiDir,
        config,
        deviceId,
        deviceClass: ctx.values.class as string | undefined,
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
  },
  watch: {
    summary:
      "Connects as the application (lab.application.name) and prints what enrolled devices publish: topic and payload, one line each.",
    options: {
      device: { type: "string", value: "ID", description: "only this enrolled device" },
      class: { type: "string", value: "C", description: "only the enrolled devices of this class" },
      count: { type: "string", value: "N", description: "stop after N messages (exit 1 if --timeout comes first)" },
      timeout: { type: "string", value: "S", description: "stop after S seconds (default: run until interrupted)" },
      port: { type: "string", value: "N", description: "broker port (default the running lab broker's)" },
    },
    run: async (ctx) => {
      if (ctx.values.device !== undefined && ctx.values.class !== undefined) {
        throw new UsageError(`moat lab watch takes --device or --class, not both; a device's class is its certificate's`);
      }
      const count = ctx.values.count === undefined ? undefined : countOption(ctx.values, "count", 1);
      const timeoutMs = secondsOption(ctx.values, "timeout");
      const port = portOption(ctx.values, labStatus(ctx.pkiDir, ctx.env).running?.port ?? MQTT_TLS_PORT);
      const result = await watchDevices({
        pkiDir: ctx.pkiDir,
        config: ctx.config(),
        passphrase: ctx.passphrase(),
        port,
        device: ctx.values.device as string | undefined,
        deviceClass: ctx.values.class as string | undefined,
        count,
        timeoutMs,
        onMessage: (topic, payload) => ctx.io.stdout(`${topic} ${payloadText(payload)}\n`),
        status: (line) => ctx.io.stderr(`${line}\n`),
      });
      if (result.timedOut && count !== undefined) {
        ctx.io.stderr(
          `${result.received} of ${count} messages within ${ctx.values.timeout} s; are the devices publishing ('moat lab device')?\n`,
        );
        return 1;
      }
      ctx.io.stderr(`${result.received} message${result.received === 1 ? "" : "s"} received\n`);
      return 0;
    },
  },
  send: {
    summary: "As the application, publishes one command (QoS 1) to one enrolled device, on a topic its class receives.",
    positional: { value: "MESSAGE", description: "the command's payload (one argument: quote it)" },
    options: {
      device: { type: "string", value: "ID", description: "the enrolled device to command" },
      topic: { type: "string", value: "T", description: "a topic the device receives (default its own, e.g. devices/ID/commands)" },
      port: { type: "string", value: "N", description: "broker port (default the running lab broker's)" },
    },
    run: async (ctx) => {
      const device = requireOption("moat lab send", ctx.values, "device");
      const message = ctx.positionals[0];
      if (message === undefined) throw new UsageError(`moat lab send needs a MESSAGE after the options, e.g. '{"led":"on"}'`);
      const port = portOption(ctx.values, labStatus(ctx.pkiDir, ctx.env).running?.port ?? MQTT_TLS_PORT);
      const result = await sendCommand({
        pkiDir: ctx.pkiDir,
        config: ctx.config(),
        passphrase: ctx.passphrase(),
        port,
        device,
        topic: ctx.values.topic as string | undefined,
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
  },
};

/** `moat lab <command> ...` */
export async function run(argv: string[], io: CliIo): Promise<number> {
  return runEnvironmentCommand("lab", argv, io, HELP, COMMANDS);
}

function portOption(values: Values, fallback: number): number {
  const text = values.port;
  if (text === undefined) return fallback;
  if (typeof text !== "string" || !/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new UsageError(`--port '${String(text)}' is not a port number (1 to 65535); use e.g. --port ${MQTT_TLS_PORT}`);
  }
  return Number(text);
}

function countOption(values: Values, name: string, fallback: number): number {
  const text = values[name];
  if (text === undefined) return fallback;
  if (typeof text !== "string" || !/^\d{1,6}$/.test(text) || Number(text) < 1)
    throw new UsageError(`--${name} '${String(text)}' is not a positive whole number (1 to 999999)`);
  return Number(text);
}

function secondsOption(values: Values, name: string): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  if (typeof text !== "string" || !/^\d{1,5}(\.\d{1,3})?$/.test(text) || Number(text) <= 0 || Number(text) > 86400)
    throw new UsageError(`--${name} '${String(text)}' is not a number of seconds (more than 0, at most 86400); use e.g. --${name} 30`);
  return Math.round(Number(text) * 1000);
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

/** Checked before anything is enrolled: a topic the broker cannot answer must not cost a certificate. */
function topicOption(values: Values): string | undefined {
  const topic = values.topic;
  if (topic === undefined) return undefined;
  const problem = publishTopicProblem(String(topic));
  if (problem) throw new UsageError(`--topic ${problem}`);
  return String(topic);
}
