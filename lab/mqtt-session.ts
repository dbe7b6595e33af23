import { connect, IClientOptions, IConnackPacket, MqttClient } from "mqtt";
import { TLSSocket } from "node:tls";
import { LAB_HOST } from "./mosquitto-config";

/** PEM material for a mutual-TLS session. Omit `cert`/`key` to connect without a client certificate. */
export interface TlsMaterial {
  /** Trust anchors for the broker's certificate (the CA chain). */
  readonly ca: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** @default "TLSv1.2" (Node's default minimum) */
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
}

/** Options of {@link openSession}. */
export interface SessionOptions {
  /** @default 127.0.0.1 */
  readonly host?: string;
  readonly port: number;
  /**
   * TLS material; omitted means plain MQTT over TCP. (mqtt.js upgrades `mqtt://` to TLS when a
   * cert and key are set, so a plaintext session must carry neither.)
   */
  readonly tls?: TlsMaterial;
  /** What the client asks for; the lab broker replaces it with the certificate CN. @default a random id */
  readonly clientId?: string;
  /**
   * MQTT username. The lab listener ignores it (the certificate CN is the username); only a
   * plaintext listener uses it, e.g. the benchmark's anchor broker.
   */
  readonly username?: string;
  /** @default 5 */
  readonly protocolVersion?: 4 | 5;
  /** @default 5000 */
  readonly timeoutMs?: number;
}

/** An accepted session. */
export interface Session {
  readonly client: MqttClient;
  readonly connack: IConnackPacket;
  /** Negotiated TLS version and cipher, when TLS. */
  readonly tls?: { readonly protocol: string; readonly cipher: string };
}

/** The broker did not accept the session; `reason` is what the client saw (TLS alert, CONNACK code, close). */
export class SessionRefused extends Error {
  constructor(public readonly reason: string) {
    super(`session refused: ${reason}`);
    this.name = "SessionRefused";
  }
}

/**
 * Opens one MQTT session with mqtt.js and resolves on CONNACK success, or rejects with
 * {@link SessionRefused} carrying what the client observed. No automatic reconnect: a refusal
 * is reported once, as it happened.
 */
export function openSession(options: SessionOptions): Promise<Session> {
  const base: IClientOptions = {
    host: options.host ?? LAB_HOST,
    port: options.port,
    protocolVersion: options.protocolVersion ?? 5,
    clientId: options.clientId,
    username: options.username,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: options.timeoutMs ?? 5000,
  };
  const tls = options.tls;
  const client = tls
    ? connect({
        ...base,
        protocol: "mqtts",
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        minVersion: tls.minVersion ?? "TLSv1.2",
        rejectUnauthorized: true,
      } as IClientOptions)
    : connect({ ...base, protocol: "mqtt" });
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(`no CONNACK within ${options.timeoutMs ?? 5000} ms`), (options.timeoutMs ?? 5000) + 1000);
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      reject(new SessionRefused(reason));
    };
    client.once("connect", (connack) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const stream = client.stream;
      const details =
        stream instanceof TLSSocket ? { protocol: stream.getProtocol() ?? "unknown", cipher: stream.getCipher().name } : undefined;
      resolve({ client, connack, tls: details });
    });
    client.once("error", (err: Error & { code?: string | number }) => fail(describeError(err)));
    client.once("close", () => fail("connection closed by the broker before CONNACK"));
  });
}

/**
 * One line for what went wrong. A refused TLS handshake reaches Node as OpenSSL's multi-line
 * error text; the alert in it is the broker's reason (unknown ca, certificate revoked, ...).
 */
function describeError(err: Error & { code?: string | number }): string {
  const alert = /alert ([a-z0-9 ]+?)(?::|$)/i.exec(err.message)?.[1];
  const text = alert ? `TLS alert "${alert}" from the broker` : err.message.replace(/\s+/g, " ").trim();
  return err.code !== undefined ? `${text} (${err.code})` : text;
}

/** Closes a session and waits for the DISCONNECT to be sent. */
export function closeSession(session: Session): Promise<void> {
  // A graceful end waits for unacknowledged publishes to drain, which after a lost connection
  // never happens: force the end then.
  return new Promise((resolve) => session.client.end(!session.client.connected, {}, () => resolve()));
}
