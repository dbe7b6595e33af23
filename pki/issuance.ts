import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic-file";
import type { IssuingCa } from "./ca";
import type { IssuerIdentity } from "./certificate";
import { checkApplicationName, checkDeviceName } from "./application-name";
import { checkDeviceClass } from "./device-class";
import { authorityKeyIdentifier, basicConstraints, extendedKeyUsage, keyUsage, KeyUsage, subjectAltName } from "./extensions";
import { appendIndex, CertificateProfile, IssuedEvent, readIndex } from "./index-journal";
import { OID } from "./oids";
import { toPem } from "./pem";
import { newSerial } from "./serial";
import { Signer } from "./signer";
import { withStoreLock } from "./store-lock";
import { encode, oid, sequence, set, time, utf8String } from "./asn1";
import { leafDer, LeafTemplate } from "./leaf-template";

/** One leaf certificate to issue. */
export interface LeafRequest {
  /** Subject CN (a thing name for devices). */
  readonly commonName: string;
  /** DER SubjectPublicKeyInfo of the subject's key. */
  readonly subjectPublicKeyInfo: Buffer;
  readonly profile: CertificateProfile;
  /** Device profile only, and required there: the class, written as the subject OU. */
  readonly deviceClass?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Server certificates: SAN entries. */
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** SHA-256 of the CSR, recorded so bulk reruns recognise it. */
  readonly csrSha256?: string;
}

/** One issued certificate. */
export interface IssuedLeaf {
  readonly serial: string;
  readonly certPem: string;
  readonly event: IssuedEvent;
}

/**
 * Issues a batch of leaves under the store lock: serials are drawn against every serial in the
 * index, each certificate is copied to issued/<serial>.pem, then the journal lines are appended
 * and fsynced once. Certificates are handed to the caller only after they are on record.
 * `durableCopies: false` (bulk) skips the per-file fsync of the issued/ copies: the journal
 * holds every certificate, so a copy lost in a crash can be recovered from it.
 */
export function issueLeaves(ca: IssuingCa, requests: readonly LeafRequest[], now: Date, durableCopies = true): IssuedLeaf[] {
  // Checked before the lock: nothing is written for a batch that holds one bad request.
  for (const request of requests) {
    if (request.profile === "device") {
      checkDeviceClass(request.deviceClass ?? "", `device ${request.commonName}`);
      checkDeviceName(request.commonName);
    }
    if (request.profile === "application") checkApplicationName(request.commonName, "application certificate");
  }
  return withStoreLock(ca.paths.lock, () => {
    const taken = new Set(readIndex(ca.paths.index).map((e) => e.serial));
    mkdirSync(ca.paths.issuedDir, { recursive: true, mode: 0o700 });
    const issuedAt = now.toISOString();
    const build = leafBuilder(ca.identity, ca.signer);
    const leaves = requests.map((request) => {
      const serial = newSerial(taken);
      taken.add(serial);
      const der = build(request, serial);
      const certPem = toPem("CERTIFICATE", der);
      // Read-only: bulk output files are hard links to these copies.
      writeFileAtomic(issuedCopyPath(ca, serial), certPem, { durable: durableCopies, mode: 0o444 });
      return { serial, certPem, event: issuedEvent(request, serial, der, issuedAt) };
    });
    appendIndex(
      ca.paths.index,
      leaves.map((l) => l.event),
    );
    return leaves;
  });
}

/**
 * Builds leaf certificates for one issuer: a template per profile, class and validity, made on
 * first use, then only the per-certificate fields are written (leaf-template.ts).
 */
export function leafBuilder(
  issuer: Pick<IssuerIdentity, "subjectName" | "keyId">,
  signer: Signer,
): (request: LeafRequest, serial: string) => Buffer {
  const templates = new Map<string, LeafTemplate>();
  const sign = (tbs: Buffer) => signer.sign(tbs);
  return (request, serial) => {
    const key = `${request.profile} ${request.deviceClass ?? ""} ${request.notBefore.getTime()} ${request.notAfter.getTime()}`;
    let template = templates.get(key);
    if (template === undefined) {
      template = leafTemplate(issuer, signer, request);
      templates.set(key, template);
    }
    const moreExtensions =
      request.profile === "server" ? encode(subjectAltName(request.dnsNames ?? [], request.ipAddresses ?? [])) : undefined;
    return leafDer(
      template,
      { serial, commonName: request.commonName, subjectPublicKeyInfo: request.subjectPublicKeyInfo, moreExtensions },
      sign,
    );
  };
}

/**
 * What every leaf of `request`'s profile, class and validity shares, encoded once: the fields a
 * leaf's subject key, CN and serial do not change. The extensions come in the order
 * basicConstraints, AKI, keyUsage, extKeyUsage; the builder adds the SKI (and a server's SAN).
 */
export function leafTemplate(
  issuer: Pick<IssuerIdentity, "subjectName" | "keyId">,
  signer: Signer,
  request: Pick<LeafRequest, "profile" | "deviceClass" | "notBefore" | "notAfter">,
): LeafTemplate {
  const algorithm = encode(signer.algorithm);
  const usage = keyUsage(KeyUsage.digitalSignature);
  const purpose = { device: [OID.clientAuth], application: [OID.clientAuth], server: [OID.serverAuth], verification: [] }[request.profile];
  const extensions = [basicConstraints(false), authorityKeyIdentifier(issuer.keyId), usage];
  if (purpose.length > 0) extensions.push(extendedKeyUsage(...purpose));
  return {
    algorithm,
    middle: Buffer.concat([algorithm, issuer.subjectName, encode(sequence(time(request.notBefore), time(request.notAfter)))]),
    subjectPrefix:
      request.deviceClass === undefined
        ? Buffer.alloc(0)
        : encode(set(sequence(oid(OID.organizationalUnitName), utf8String(request.deviceClass)))),
    extensions: Buffer.concat(extensions.map(encode)),
  };
}

/** The journal line of one issued certificate. */
export function issuedEvent(
  request: Omit<LeafRequest, "subjectPublicKeyInfo">,
  serial: string,
  der: Buffer,
  issuedAt: string,
): IssuedEvent {
  return {
    event: "issued",
    serial,
    subject: request.commonName,
    profile: request.profile,
    ...(request.deviceClass === undefined ? {} : { deviceClass: request.deviceClass }),
    notBefore: request.notBefore.toISOString(),
    notAfter: request.notAfter.toISOString(),
    issuedAt,
    ...(request.csrSha256 === undefined ? {} : { csrSha256: request.csrSha256 }),
    certificate: der.toString("base64"),
  };
}

/** Where the store keeps its copy of an issued certificate. */
export const issuedCopyPath = (ca: IssuingCa, serial: string): string => join(ca.paths.issuedDir, `${serial}.pem`);
