import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { compileMosquittoAcl, parseTopicModel } from "../authz";
import { EnvironmentConfig } from "../config";
import { MoatError } from "../errors";
import { crlStatus, issueServerCert, pkiPaths, writeFileAtomic } from "../pki";
import { BrokerUser, handOver } from "./broker-user";
import { labRoster } from "./lab-devices";
import { LabPaths, labPaths } from "./lab-paths";
import { LAB_HOST, renderMosquittoConfig } from "./mosquitto-config";

/** Options of {@link writeBrokerFiles}. */
export interface BrokerFilesOptions {
  readonly pkiDir: string;
  readonly config: EnvironmentConfig;
  readonly port: number;
  readonly user: BrokerUser;
  /** Decrypts the issuing CA key when a server certificate must be issued. */
  readonly passphrase?: string;
  /** @default the current time */
  readonly now?: Date;
}

/** The names the lab listener's certificate is issued for. */
export const SERVER_DNS_NAMES = ["localhost"];
export const SERVER_IP_ADDRESSES = [LAB_HOST];

// A server certificate this close to its end is replaced at the next start.
const SERVER_RENEW_MS = 24 * 60 * 60 * 1000;

/**
 * Writes everything the lab broker reads into its private directory: the config, the ACL
 * compiled from the environment's topic model and its device certificates' classes, the CA chain, the CRL and
 * the listener's certificate (issued by the environment's CA on first use, renewed near its end).
 * Copies, because the broker's user cannot (and must not) read the CA store.
 */
export function writeBrokerFiles(options: BrokerFilesOptions): LabPaths {
  const { config, pkiDir } = options;
  const ca = pkiPaths(pkiDir, config.name);
  if (!existsSync(ca.issuingCert)) {
    throw new MoatError(
      `no CA for environment '${config.name}' in ${ca.envDir}; run 'moat pki init --env ${config.name}' first (or check --pki-dir)`,
    );
  }
  // Everything that can refuse is computed before the first write.
  const acl = aclText(pkiDir, config);
  const mosquittoConf = renderMosquittoConfig({
    env: config.name,
    source: config.file,
    port: options.port,
    user: options.user.name,
    tlsPolicy: config.broker.tlsPolicy,
  });
  checkCrl(pkiDir, config.name, options.now);
  const paths = labPaths(pkiDir, config.name);
  mkdirSync(paths.brokerDir, { recursive: true, mode: 0o700 });
  if (serverCertNeedsIssuing(paths, ca.issuingCert, options.now ?? new Date())) {
    issueServerCert({
      pkiDir,
      env: config.name,
      dnsNames: SERVER_DNS_NAMES,
      ipAddresses: SERVER_IP_ADDRESSES,
      outDir: paths.brokerDir,
      passphrase: options.passphrase,
    });
  }
  writeFileAtomic(paths.chain, readFileSync(ca.chain), { mode: 0o600 });
  writeFileAtomic(paths.crl, readFileSync(ca.crl), { mode: 0o600 });
  writeFileAtomic(paths.acl, acl, { mode: 0o600 });
  writeFileAtomic(paths.config, mosquittoConf, { mode: 0o600 });
  writeFileAtomic(paths.portFile, `${options.port}\n`, { mode: 0o600 });
  handOver(paths.brokerDir, options.user);
  return paths;
}

/** Copies the store's current CRL to the broker (refusing an expired one, see {@link checkCrl}). */
export function copyCrl(pkiDir: string, env: string, paths: LabPaths, now?: Date): void {
  checkCrl(pkiDir, env, now);
  writeFileAtomic(paths.crl, readFileSync(pkiPaths(pkiDir, env).crl), { mode: 0o600 });
}

/**
 * Recompiles the broker's ACL from the environment and its device certificates; writes it only
 * when it differs from the broker's, and says whether it did (a reload is needed only then).
 */
export function writeAcl(pkiDir: string, config: EnvironmentConfig, paths: LabPaths): boolean {
  const text = aclText(pkiDir, config);
  if (existsSync(paths.acl) && readFileSync(paths.acl, "utf8") === text) return false;
  writeFileAtomic(paths.acl, text, { mode: 0o600 });
  return true;
}

/** Mosquitto refuses every client while its CRL is expired, and logs only "certificate verify failed". */
function checkCrl(pkiDir: string, env: string, now?: Date): void {
  const status = crlStatus({ pkiDir, env, now });
  if (status.expired) {
    throw new MoatError(
      `the '${env}' CRL expired at ${status.nextUpdate.toISOString()} and the broker would refuse every device; run 'moat pki crl --env ${env}'`,
    );
  }
}

/**
 * The environment's topic model compiled for its devices (each device certificate's class, see
 * labRoster). With no device certificate yet and classes that grant different rights, no class
 * can be assumed: the ACL grants nothing until the first device is issued.
 */
function aclText(pkiDir: string, config: EnvironmentConfig): string {
  const model = parseTopicModel(config.topics, config.file);
  const devices = labRoster(pkiDir, config);
  const application = config.lab?.application?.name;
  const distinct = new Set(model.classes.map((c) => JSON.stringify([c.publish, c.receive])));
  if (devices.length === 0 && (distinct.size > 1 || application !== undefined)) {
    return `# Generated by moat from ${config.file}. No lab device is enrolled yet, so nothing is granted: run 'moat lab device --env ${config.name} --device ID --class CLASS'.\n`;
  }
  return compileMosquittoAcl(model, { devices, application });
}

function serverCertNeedsIssuing(paths: LabPaths, issuingCertPath: string, now: Date): boolean {
  if (!existsSync(paths.serverCert) || !existsSync(paths.serverKey)) return true;
  const cert = new X509Certificate(readFileSync(paths.serverCert));
  const issuer = new X509Certificate(readFileSync(issuingCertPath));
  // A CA re-created under the same store would leave a certificate no device can verify.
  if (!cert.verify(issuer.publicKey)) return true;
  return new Date(cert.validTo).getTime() - now.getTime() < SERVER_RENEW_MS;
}
