import { existsSync } from "node:fs";
import { EnvironmentConfig } from "../config";
import { MoatError } from "../errors";
import { copyCrl, writeAcl, writeBrokerFiles } from "./broker-files";
import { findMosquitto, runningBroker, RunningBroker, signalReload, spawnBroker, stopBroker } from "./broker-process";
import { brokerUser, handOver } from "./broker-user";
import { LabPaths, labPaths } from "./lab-paths";
import { checkLabPort, MQTT_TLS_PORT } from "./mosquitto-config";

/** Options of {@link labUp}. */
export interface LabUpOptions {
  readonly pkiDir: string;
  readonly config: EnvironmentConfig;
  /** @default 8883 */
  readonly port?: number;
  /** Decrypts the issuing CA key the first time, to issue the listener's certificate. */
  readonly passphrase?: string;
  /** Where to look for mosquitto. @default PATH then /usr/sbin, /usr/local/sbin, /sbin */
  readonly searchPath?: readonly string[];
  /** @default the current time */
  readonly now?: Date;
}

/** A lab broker after {@link labUp}. */
export interface LabUpResult extends RunningBroker {
  readonly paths: LabPaths;
  /** It was running already, on the requested port: nothing was changed. */
  readonly alreadyRunning: boolean;
}

/**
 * Renders the environment's broker (config, ACL, chain, CRL, server certificate) and starts
 * Mosquitto on it in the background. Idempotent: a broker already running on the same port is
 * left alone.
 */
export async function labUp(options: LabUpOptions): Promise<LabUpResult> {
  const { config, pkiDir } = options;
  const port = checkLabPort(options.port ?? MQTT_TLS_PORT);
  const paths = labPaths(pkiDir, config.name);
  const running = runningBroker(paths);
  if (running) {
    if (running.port !== port) {
      throw new MoatError(
        `the '${config.name}' lab broker already runs on port ${running.port} (pid ${running.pid}); run 'moat lab down --env ${config.name}' first to move it to ${port}`,
      );
    }
    return { ...running, paths, alreadyRunning: true };
  }
  const mosquitto = findMosquitto(options.searchPath);
  const user = brokerUser();
  writeBrokerFiles({ pkiDir, config, port, user, passphrase: options.passphrase, now: options.now });
  const started = await spawnBroker(paths, { mosquitto, port, user });
  return { ...started, paths, alreadyRunning: false };
}

/** Stops the environment's lab broker; returns its pid, or undefined when none was running. */
export function labDown(pkiDir: string, env: string): Promise<number | undefined> {
  return stopBroker(labPaths(pkiDir, env));
}

/** The environment's lab broker, if it runs. */
export function labStatus(pkiDir: string, env: string): { readonly paths: LabPaths; readonly running?: RunningBroker } {
  const paths = labPaths(pkiDir, env);
  return { paths, running: runningBroker(paths) };
}

/** Options of {@link reloadLabBroker}. */
export interface ReloadOptions {
  /**
   * Keep open sessions: only SIGHUP, which reloads the CRL and ACL for new connections, while a
   * revoked device that is already connected stays connected until it reconnects.
   * @default false (restart the broker: every session is dropped and must reconnect through the new CRL)
   */
  readonly keepSessions?: boolean;
  /** @default PATH then the sbin directories */
  readonly searchPath?: readonly string[];
}

/** What {@link reloadLabBroker} did. */
export interface ReloadResult {
  /** none: no lab broker runs for the environment. */
  readonly action: "none" | "reloaded" | "restarted";
  readonly pid?: number;
  /** One line for the operator. */
  readonly message: string;
}

/**
 * Makes a running lab broker enforce the store's current CRL; `moat pki revoke` and `moat pki crl`
 * call it. Mosquitto checks the CRL only during the TLS handshake, and SIGHUP does not close
 * sessions opened before, so by default the broker is restarted on the same files and port:
 * every device reconnects, and the revoked one is refused. With `keepSessions` it only reloads.
 */
export async function reloadLabBroker(pkiDir: string, env: string, options: ReloadOptions = {}): Promise<ReloadResult> {
  const paths = labPaths(pkiDir, env);
  const running = runningBroker(paths);
  if (!running) return { action: "none", message: `no '${env}' lab broker is running; it will load the new CRL when started` };
  copyCrl(pkiDir, env, paths);
  const user = brokerUser();
  handOver(paths.brokerDir, user);
  if (options.keepSessions) {
    await signalReload(paths, running);
    return {
      action: "reloaded",
      pid: running.pid,
      message: `lab broker (pid ${running.pid}) reloaded the CRL; sessions opened before stay connected until they reconnect`,
    };
  }
  const mosquitto = findMosquitto(options.searchPath);
  await stopBroker(paths);
  const restarted = await spawnBroker(paths, { mosquitto, port: running.port, user });
  return {
    action: "restarted",
    pid: restarted.pid,
    message: `lab broker restarted with the new CRL (pid ${restarted.pid}, port ${restarted.port}): every session was closed, revoked devices can no longer reconnect`,
  };
}

/**
 * Recompiles the ACL after a certificate was issued or revoked (the ACL grants by each valid
 * certificate's class) and makes a running broker load it, only when the text changed: a reload
 * costs a main-loop turn and a log line, and an unchanged ACL needs neither. SIGHUP suffices:
 * Mosquitto checks the ACL on every publish and delivery, not only at connect. Returns whether
 * a running broker reloaded.
 */
export async function refreshLabAcl(pkiDir: string, config: EnvironmentConfig): Promise<boolean> {
  const paths = labPaths(pkiDir, config.name);
  if (!existsSync(paths.brokerDir)) return false;
  if (!writeAcl(pkiDir, config, paths)) return false;
  handOver(paths.brokerDir, brokerUser());
  const running = runningBroker(paths);
  if (running) await signalReload(paths, running);
  return running !== undefined;
}
