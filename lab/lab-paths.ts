import { join } from "node:path";
import { pkiPaths } from "../pki";

/** Where one environment's lab broker and lab devices live, below its PKI store directory. */
export interface LabPaths {
  /** `<pkiDir>/<env>/lab`. */
  readonly labDir: string;
  /**
   * Everything the broker reads or writes, and nothing else: owned by the broker's user, mode
   * 0700. The broker runs with this as its working directory and the config names files
   * relative to it, so it needs no access to the directories above (the CA store stays 0700).
   */
  readonly brokerDir: string;
  readonly config: string;
  readonly acl: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Copy of the CA chain (issuing then root): the broker cannot read the CA store. */
  readonly chain: string;
  /** Copy of the issuing CA's CRL, refreshed by {@link reloadLabBroker}. */
  readonly crl: string;
  /** Written by Mosquitto itself, removed when it exits. */
  readonly pidFile: string;
  readonly logFile: string;
  /** The port the broker was started on, so `status` and `reload` need no `--port`. */
  readonly portFile: string;
  /** Lab device keys and certificates, one directory per device (not readable by the broker). */
  readonly devicesDir: string;
  /** The application identity's key and certificate (lab.application; not readable by the broker). */
  readonly applicationDir: string;
}

/** File names inside the broker directory, as the rendered config refers to them. */
export const BROKER_FILES = {
  config: "mosquitto.conf",
  acl: "acl",
  serverCert: "server.pem",
  serverKey: "server.key",
  chain: "chain.pem",
  crl: "crl.pem",
  pidFile: "mosquitto.pid",
  logFile: "mosquitto.log",
  portFile: "port",
} as const;

/** The lab layout for one environment; the env name is checked by the PKI layout. */
export function labPaths(pkiDir: string, env: string): LabPaths {
  const labDir = join(pkiPaths(pkiDir, env).envDir, "lab");
  const brokerDir = join(labDir, "broker");
  const inBroker = (name: string) => join(brokerDir, name);
  return {
    labDir,
    brokerDir,
    config: inBroker(BROKER_FILES.config),
    acl: inBroker(BROKER_FILES.acl),
    serverCert: inBroker(BROKER_FILES.serverCert),
    serverKey: inBroker(BROKER_FILES.serverKey),
    chain: inBroker(BROKER_FILES.chain),
    crl: inBroker(BROKER_FILES.crl),
    pidFile: inBroker(BROKER_FILES.pidFile),
    logFile: inBroker(BROKER_FILES.logFile),
    portFile: inBroker(BROKER_FILES.portFile),
    devicesDir: join(labDir, "devices"),
    applicationDir: join(labDir, "application"),
  };
}
