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
          `  mosquitto_pub -h localhost -p ${up.port} --cafile ${resolve(chain)} --cert ${resolve(up.paths.devicesDir, "<id>", "<id>.pem")} --key ${resolve(up.paths.devicesDir, "<id>", "<id>.key")} -V mqttv5 -q 1 -t devices/<id>/telemetry -m '{}'\n`,
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

/** Checked before anything is enrolled: a topic the broker cannot answer must not cost a certificate. */
function topicOption(values: Values): string | undefined {
  const topic = values.topic;
  if (topic === undefined) return undefined;
  const problem = publishTopicProblem(String(topic));
  if (problem) throw new UsageError(`--topic ${problem}`);
  return String(topic);
}
