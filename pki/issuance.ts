import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic-file";
import type { IssuingCa } from "./ca";
import { IssuerIdentity, signCertificate } from "./certificate";
import { checkApplicationName, checkDeviceName } from "./application-name";
import { checkDeviceClass } from "./device-class";
import { distinguishedName } from "./distinguished-name";
import {
  authorityKeyIdentifier,
  basicConstraints,
  extendedKeyUsage,
  keyUsage,
  KeyUsage,
  subjectAltName,
  subjectKeyIdentifier,
} from "./extensions";
import { appendIndex, CertificateProfile, IssuedEvent, readIndex } from "./index-journal";
import { OID } from "./oids";
import { toPem } from "./pem";
import { newSerial } from "./serial";
import { keyIdentifier, Signer } from "./signer";
import { withStoreLock } from "./store-lock";
import { Asn1, encode, preEncoded } from "./asn1";

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
    const extensions = extensionsFor(ca.identity.keyId);
    const leaves = requests.map((request) => {
      const serial = newSerial(taken);
      taken.add(serial);
      const der = leafCertificate(ca.identity, ca.signer, extensions, request, serial);
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

/** The DER of one leaf certificate: the same bytes whichever thread builds it. */
export function leafCertificate(
  issuer: Pick<IssuerIdentity, "subjectName">,
  signer: Signer,
  extensions: (request: LeafRequest) => Asn1[],
  request: LeafRequest,
  serial: string,
): Buffer {
  return signCertificate(
    {
      serial: Buffer.from(serial, "hex"),
      issuerName: issuer.subjectName,
      subjectName: distinguishedName({ organizationalUnit: request.deviceClass, commonName: request.commonName }),
      subjectPublicKeyInfo: request.subjectPublicKeyInfo,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      extensions: extensions(request),
    },
    signer,
  );
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

/**
 * The extensions of each profile. Those that do not depend on the subject are encoded once per
 * batch and spliced as bytes: rebuilding them with forge for every certificate was ~100 us of
 * the ~500 us bulk spends per certificate.
 */
export function extensionsFor(issuerKeyId: Buffer): (request: LeafRequest) => Asn1[] {
  const fixed = (...extensions: Asn1[]) => extensions.map((e) => preEncoded(encode(e)));
  const common = fixed(basicConstraints(false), authorityKeyIdentifier(issuerKeyId));
  const byProfile: Record<CertificateProfile, Asn1[]> = {
    device: [...common, ...fixed(keyUsage(KeyUsage.digitalSignature), extendedKeyUsage(OID.clientAuth))],
    server: [...common, ...fixed(keyUsage(KeyUsage.digitalSignature), extendedKeyUsage(OID.serverAuth))],
    verification: [...common, ...fixed(keyUsage(KeyUsage.digitalSignature))],
    application: [...common, ...fixed(keyUsage(KeyUsage.digitalSignature), extendedKeyUsage(OID.clientAuth))],
  };
  return (request) => {
    const own = [subjectKeyIdentifier(keyIdentifier(request.subjectPublicKeyInfo))];
    if (request.profile === "server") own.push(subjectAltName(request.dnsNames ?? [], request.ipAddresses ?? []));
    return [...byProfile[request.profile], ...own];
  };
}
