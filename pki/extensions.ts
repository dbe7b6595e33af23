import { isIP } from "node:net";
import { Asn1, bitString, boolean, encode, implicitPrimitive, integer, octetString, oid, sequence } from "./asn1";
import { OID } from "./oids";

/** An Extension: critical extensions are ones a relying party must understand to accept the certificate. */
export function extension(extnId: string, critical: boolean, value: Asn1): Asn1 {
  const fields = [oid(extnId)];
  if (critical) fields.push(boolean(true)); // DER omits the DEFAULT FALSE
  fields.push(octetString(encode(value)));
  return sequence(...fields);
}

/** basicConstraints, always critical (RFC 5280 requires it for CAs; moat marks leaves too). */
export function basicConstraints(ca: boolean, pathLength?: number): Asn1 {
  const fields = ca ? [boolean(true)] : [];
  if (ca && pathLength !== undefined) fields.push(integer(pathLength));
  return extension(OID.basicConstraints, true, sequence(...fields));
}

/** keyUsage bit positions of RFC 5280 4.2.1.3. */
export const KeyUsage = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** keyUsage, critical, as a DER named-bit list (trailing zero bits dropped). */
export function keyUsage(...bits: number[]): Asn1 {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  return extension(OID.keyUsage, true, bitString(bytes, 7 - (highest & 7)));
}

/** extKeyUsage (not critical, as the CA/Browser and IoT profiles write it). */
export const extendedKeyUsage = (...purposes: string[]): Asn1 => extension(OID.extKeyUsage, false, sequence(...purposes.map(oid)));

/** subjectKeyIdentifier. */
export const subjectKeyIdentifier = (keyId: Buffer): Asn1 => extension(OID.subjectKeyIdentifier, false, octetString(keyId));

/**
 * authorityKeyIdentifier with the ISSUER's key id. (forge's `{keyIdentifier: true}` writes the
 * subject's own id, which breaks chain building for every non-self-signed certificate.)
 */
export const authorityKeyIdentifier = (issuerKeyId: Buffer): Asn1 =>
  extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, issuerKeyId)));

/** subjectAltName with dNSName [2] and iPAddress [7] entries. */
export function subjectAltName(dnsNames: readonly string[], ipAddresses: readonly string[]): Asn1 {
  const names = [
    ...dnsNames.map((name) => implicitPrimitive(2, Buffer.from(name, "ascii"))),
    ...ipAddresses.map((ip) => implicitPrimitive(7, ipBytes(ip))),
  ];
  return extension(OID.subjectAltName, false, sequence(...names));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  // IPv6: expand '::' then write eight 16-bit groups.
  const [head, tail = ""] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
