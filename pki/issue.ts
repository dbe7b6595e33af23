import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic-file";
import { loadIssuingCa } from "./ca";
import { checkApplicationName } from "./application-name";
import { checkCsr } from "./csr";
import { checkDeviceClass } from "./device-class";
import { issueLeaves, LeafRequest } from "./issuance";
import { generateKeyPair, KeyType, spkiOf } from "./signer";
import { checkThingName } from "./thing-name";
import { DEFAULT_LEAF_DAYS, validityWindow, ValidityOptions } from "./validity";
import { MoatError } from "../errors";
import { isIP } from "node:net";

/** Where and with which CA a certificate is issued. */
export interface StoreOptions {
  /** The PKI store directory (`--pki-dir`). */
  readonly pkiDir: string;
  readonly env: string;
  /** Decrypts the issuing CA key; omit only for an unencrypted lab CA. */
  readonly passphrase?: string;
  /** @default the current time */
  readonly now?: Date;
}

/** Options of {@link issueFromCsr}. */
export interface IssueFromCsrOptions extends StoreOptions, ValidityOptions {
  /** The device's PKCS#10 CSR, PEM. */
  readonly csrPem: string;
  /** Names the CSR in error lines, e.g. its file path. @default "CSR" */
  readonly csrName?: string;
  /**
   * The device's class (a `topics.classes` key, see chooseDeviceClass), written by the CA as the
   * subject OU: AWS IoT just-in-time provisioning puts the thing in the group `<broker>-<OU>`.
   */
  readonly deviceClass: string;
}

/** An issued certificate. */
export interface IssuedCertificatePem {
  readonly certPem: string;
  /** Uppercase hex. */
  readonly serial: string;
  /** Issuing CA then root, PEM. */
  readonly chainPem: string;
}

/** A device certificate from the device's CSR: the private key never leaves the device. */
export function issueFromCsr(options: IssueFromCsrOptions): IssuedCertificatePem {
  const csr = checkCsr(options.csrPem, options.csrName ?? "CSR");
  const ca = loadIssuingCa(options.pkiDir, options.env, options.passphrase);
  const now = options.now ?? new Date();
  const [leaf] = issueLeaves(
    ca,
    [
      {
        commonName: csr.thingName,
        subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
        profile: "device",
        deviceClass: options.deviceClass,
        csrSha256: csr.sha256,
        ...validityWindow(options, DEFAULT_LEAF_DAYS, now, ca.identity.notAfter),
      },
    ],
    now,
  );
  return { certPem: leaf.certPem, serial: leaf.serial, chainPem: ca.chainPem };
}

/** Paths of a key pair and certificate written by this module. */
export interface KeyAndCertificatePaths {
  /** Private key, PKCS#8 PEM, mode 0600. */
  readonly key: string;
  readonly cert: string;
  /** Issuing CA then root. */
  readonly chain: string;
  readonly serial: string;
}

/** Options of {@link issueDeviceWithKey}. */
export interface IssueDeviceOptions extends StoreOptions, ValidityOptions {
  /** Thing name: becomes the CN. */
  readonly deviceId: string;
  /** The device's class: becomes the OU (see {@link IssueFromCsrOptions.deviceClass}). */
  readonly deviceClass: string;
  /** Receives `<deviceId>.key`, `<deviceId>.pem` and `chain.pem`. */
  readonly outDir: string;
  /** The device key's type (the CLI passes the environment's pki.keyType). @default "p256" */
  readonly keyType?: KeyType;
}

/**
 * Lab/dev only: makes the device key here and certifies it. Production devices make their
 * own key and send a CSR; the CLI allows this only when the environment sets pki.allowLocalKeys.
 */
export function issueDeviceWithKey(options: IssueDeviceOptions): KeyAndCertificatePaths {
  checkThingName(options.deviceId, "device id");
  checkDeviceClass(options.deviceClass, `device ${options.deviceId}`);
  return issueWithLocalKey(
    options,
    options.deviceId,
    { commonName: options.deviceId, profile: "device", deviceClass: options.deviceClass },
    options.keyType,
  );
}

/** Options of {@link issueApplicationWithKey}. */
export interface IssueApplicationOptions extends StoreOptions, ValidityOptions {
  /** The application's name (lab.application.name): becomes the CN; never a thing name. */
  readonly name: string;
  /** Receives `<name>.key`, `<name>.pem` and `chain.pem`. */
  readonly outDir: string;
  /** @default "p256" */
  readonly keyType?: KeyType;
}

/**
 * Lab only: the application identity's key and certificate (clientAuth, no OU, profile
 * `application` in the journal). Its CN has a dot, which no thing name has, so no device
 * certificate can carry it and IoT Core would never provision it as a thing.
 */
export function issueApplicationWithKey(options: IssueApplicationOptions): KeyAndCertificatePaths {
  checkApplicationName(options.name, "lab.application.name");
  return issueWithLocalKey(options, options.name, { commonName: options.name, profile: "application" }, options.keyType);
}

/** Options of {@link issueServerCert}. */
export interface IssueServerOptions extends StoreOptions, ValidityOptions {
  /** SAN dNSNames, e.g. ["localhost"]. */
  readonly dnsNames: readonly string[];
  /** SAN iPAddresses, e.g. ["127.0.0.1"]. */
  readonly ipAddresses: readonly string[];
  /** Receives `server.key`, `server.pem` and `chain.pem`. */
  readonly outDir: string;
}

/** A TLS server certificate (serverAuth, SANs) for the local lab Mosquitto listener. */
export function issueServerCert(options: IssueServerOptions): KeyAndCertificatePaths {
  if (options.dnsNames.length + options.ipAddresses.length === 0)
    throw new MoatError("server certificate needs at least one DNS name or IP address");
  for (const ip of options.ipAddresses)
    if (isIP(ip) === 0) throw new MoatError(`server certificate IP address '${ip}' is not an IPv4 or IPv6 address`);
  for (const dns of options.dnsNames) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(dns))
      throw new MoatError(`server certificate DNS name '${dns}' is not a host name`);
  }
  const commonName = options.dnsNames[0] ?? options.ipAddresses[0];
  return issueWithLocalKey(options, "server", {
    commonName,
    profile: "server",
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses,
  });
}

function issueWithLocalKey(
  options: StoreOptions & ValidityOptions & { readonly outDir: string },
  fileStem: string,
  request: Pick<LeafRequest, "commonName" | "profile" | "deviceClass" | "dnsNames" | "ipAddresses">,
  keyType: KeyType = "p256",
): KeyAndCertificatePaths {
  const ca = loadIssuingCa(options.pkiDir, options.env, options.passphrase);
  const now = options.now ?? new Date();
  const keys = generateKeyPair(keyType);
  const validity = validityWindow(options, DEFAULT_LEAF_DAYS, now, ca.identity.notAfter);
  mkdirSync(options.outDir, { recursive: true, mode: 0o700 }); // before issuing: a bad --out-dir must not strand a certificate
  const [leaf] = issueLeaves(ca, [{ ...request, subjectPublicKeyInfo: spkiOf(keys.publicKey), ...validity }], now);
  const paths = {
    key: join(options.outDir, `${fileStem}.key`),
    cert: join(options.outDir, `${fileStem}.pem`),
    chain: join(options.outDir, "chain.pem"),
    serial: leaf.serial,
  };
  writeFileAtomic(paths.key, keys.privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  writeFileAtomic(paths.cert, leaf.certPem);
  writeFileAtomic(paths.chain, ca.chainPem);
  return paths;
}
