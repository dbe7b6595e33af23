import * as forge from "node-forge";
import { readDer } from "./der-reader";

/** A node of a forge ASN.1 tree: node-forge builds every structure this package writes. */
export type Asn1 = forge.asn1.Asn1;

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

const oidCache = new Map<string, string>();

/** SEQUENCE of the given nodes. */
export const sequence = (...items: Asn1[]): Asn1 => asn1.create(U, T.SEQUENCE, true, items);

/** SET of the given nodes (callers pass them already in DER order). */
export const set = (...items: Asn1[]): Asn1 => asn1.create(U, T.SET, true, items);

/** OBJECT IDENTIFIER in dotted form; encodings are cached because issuance reuses a handful. */
export function oid(dotted: string): Asn1 {
  let bytes = oidCache.get(dotted);
  if (bytes === undefined) {
    bytes = asn1.oidToDer(dotted).getBytes();
    oidCache.set(dotted, bytes);
  }
  return asn1.create(U, T.OID, false, bytes);
}

/**
 * A non-negative INTEGER from big-endian bytes or a small number. A leading 0x00 is added when the
 * top bit is set: forge would otherwise write a negative number (a serial with the high bit set).
 */
export function integer(value: Buffer | number): Asn1 {
  if (typeof value === "number") return asn1.create(U, T.INTEGER, false, asn1.integerToDer(value).getBytes());
  let start = 0;
  while (start < value.length - 1 && value[start] === 0 && (value[start + 1] & 0x80) === 0) start++;
  const body = value.subarray(start);
  const bytes = body[0] & 0x80 ? "\x00" + body.toString("binary") : body.toString("binary");
  return asn1.create(U, T.INTEGER, false, bytes);
}

/** BOOLEAN (DER: TRUE is 0xFF). */
export const boolean = (value: boolean): Asn1 => asn1.create(U, T.BOOLEAN, false, value ? "\xff" : "\x00");

/** ENUMERATED with a small non-negative value (CRL reason codes). */
export const enumerated = (value: number): Asn1 => asn1.create(U, T.ENUMERATED, false, asn1.integerToDer(value).getBytes());

/** NULL. */
export const nullValue = (): Asn1 => asn1.create(U, T.NULL, false, "");

/** OCTET STRING holding raw bytes. */
export const octetString = (bytes: Buffer): Asn1 => asn1.create(U, T.OCTETSTRING, false, bytes.toString("binary"));

/** BIT STRING with `unusedBits` trailing bits unused in the last byte. */
export const bitString = (bytes: Buffer, unusedBits = 0): Asn1 =>
  asn1.create(U, T.BITSTRING, false, String.fromCharCode(unusedBits) + bytes.toString("binary"));

/** UTF8String. */
export const utf8String = (text: string): Asn1 => asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(text));

/**
 * Time as RFC 5280 requires: UTCTime through 2049, GeneralizedTime from 2050, whole seconds.
 */
export function time(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/** Constructed [n]: an EXPLICIT wrapper of one node, or an IMPLICIT SET/SEQUENCE OF the nodes. */
export const contextTagged = (tagNumber: number, ...items: Asn1[]): Asn1 =>
  asn1.create(asn1.Class.CONTEXT_SPECIFIC, tagNumber, true, items);

/** [n] IMPLICIT primitive value (GeneralName choices such as dNSName and iPAddress). */
export const implicitPrimitive = (tagNumber: number, bytes: Buffer): Asn1 =>
  asn1.create(asn1.Class.CONTEXT_SPECIFIC, tagNumber, false, bytes.toString("binary"));

/**
 * Splices an already DER-encoded structure (a public key from Node, an issuer name read from a
 * certificate) into a tree as it is, so its bytes are copied, never re-encoded.
 */
export function preEncoded(der: Buffer): Asn1 {
  const tlv = readDer(der, "pre-encoded DER");
  // forge writes `tagClass | type` as the identifier octet and a primitive value verbatim.
  return asn1.create(0 as forge.asn1.Class, tlv.tag as forge.asn1.Type, false, tlv.contents.toString("binary"));
}

/** DER encoding of a tree. */
export const encode = (node: Asn1): Buffer => Buffer.from(asn1.toDer(node).getBytes(), "binary");
