// Leaf certificates written as DER bytes around a template: what every leaf of one batch shares
// (issuer, validity, the class's OU, the profile's extensions) is encoded once, by
// issuance.ts with the same encoders as every other structure; only the serial, the CN, the key and its
// SKI are written per certificate. Free of node-forge, so bulk's worker threads load fast.
// test/pki/leaf-template.test.ts holds it to the bytes of the general builder (certificate.ts).
import { keyIdentifier } from "./key-identifier";

/** What every leaf built from it shares, as DER. Plain bytes: it is posted to worker threads as is. */
export interface LeafTemplate {
  /** The signatureAlgorithm AlgorithmIdentifier, in the TBS and after it. */
  readonly algorithm: Uint8Array;
  /** The TBS fields between serial and subject: signature AlgorithmIdentifier, issuer Name, Validity. */
  readonly middle: Uint8Array;
  /** The subject's RDNs before its CN (a device's OU), or none. */
  readonly subjectPrefix: Uint8Array;
  /** The extensions before the SKI, each a whole Extension, in order. */
  readonly extensions: Uint8Array;
}

/** The fields of one leaf that the template does not hold. */
export interface LeafFields {
  /** Serial, uppercase hex of a positive number (serial.ts). */
  readonly serial: string;
  /** Subject CN. */
  readonly commonName: string;
  /** DER SubjectPublicKeyInfo, copied unchanged. */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** Extensions after the SKI (a server's SAN), each a whole Extension, or none. */
  readonly moreExtensions?: Uint8Array;
}

const VERSION_3 = Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]);
/** SEQUENCE { OID commonName } prefix of the CN attribute, up to the UTF8String's header. */
const CN_TYPE = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]);
/** subjectKeyIdentifier Extension up to its 20-byte key id: SEQ { OID 2.5.29.14, OCTET STRING { OCTET STRING (20) } }. */
const SKI_HEAD = Buffer.from([0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14]);

/** Size of a DER length field for `length`. */
const lengthSize = (length: number): number => (length < 0x80 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 4);
/** Size of a whole TLV with `length` content bytes. */
const tlvSize = (length: number): number => 1 + lengthSize(length) + length;

/** Writes a tag and a DER length at `at`; returns where the value starts. */
function header(out: Buffer, at: number, tag: number, length: number): number {
  out[at++] = tag;
  if (length < 0x80) out[at++] = length;
  else if (length < 0x100) {
    out[at++] = 0x81;
    out[at++] = length;
  } else if (length < 0x10000) {
    out[at++] = 0x82;
    out[at++] = length >> 8;
    out[at++] = length & 0xff;
  } else {
    out[at++] = 0x83;
    out[at++] = length >> 16;
    out[at++] = (length >> 8) & 0xff;
    out[at++] = length & 0xff;
  }
  return at;
}

function copy(out: Buffer, at: number, bytes: Uint8Array): number {
  out.set(bytes, at);
  return at + bytes.length;
}

/**
 * The TBSCertificate of one leaf: the bytes the general builder (certificate.ts) writes for the
 * same fields, in one allocation.
 */
export function leafTbs(template: LeafTemplate, fields: LeafFields): Buffer {
  // INTEGER contents: no redundant leading zero bytes, and a zero byte when the top bit is set.
  let serial = Buffer.from(fields.serial, "hex");
  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0 && (serial[start + 1] & 0x80) === 0) start++;
  serial = serial.subarray(start);
  const serialPad = serial[0] & 0x80 ? 1 : 0;
  const serialLength = serialPad + serial.length;
  const cn = Buffer.from(fields.commonName, "utf8");
  const attributeLength = CN_TYPE.length + tlvSize(cn.length);
  const rdnLength = tlvSize(attributeLength);
  const subjectLength = template.subjectPrefix.length + tlvSize(rdnLength);
  const more = fields.moreExtensions;
  const extensionsLength = template.extensions.length + SKI_HEAD.length + 20 + (more?.length ?? 0);
  const spki = fields.subjectPublicKeyInfo;
  const bodyLength =
    VERSION_3.length +
    tlvSize(serialLength) +
    template.middle.length +
    tlvSize(subjectLength) +
    spki.length +
    tlvSize(tlvSize(extensionsLength));

  const out = Buffer.allocUnsafe(tlvSize(bodyLength));
  let at = header(out, 0, 0x30, bodyLength);
  at = copy(out, at, VERSION_3);
  at = header(out, at, 0x02, serialLength);
  if (serialPad) out[at++] = 0;
  at = copy(out, at, serial);
  at = copy(out, at, template.middle);
  at = header(out, at, 0x30, subjectLength);
  at = copy(out, at, template.subjectPrefix);
  at = header(out, at, 0x31, rdnLength);
  at = header(out, at, 0x30, attributeLength);
  at = copy(out, at, CN_TYPE);
  at = header(out, at, 0x0c, cn.length);
  at = copy(out, at, cn);
  at = copy(out, at, spki);
  at = header(out, at, 0xa3, tlvSize(extensionsLength));
  at = header(out, at, 0x30, extensionsLength);
  at = copy(out, at, template.extensions);
  at = copy(out, at, SKI_HEAD);
  at = copy(out, at, keyIdentifier(Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength)));
  if (more !== undefined) at = copy(out, at, more);
  if (at !== out.length) throw new Error(`leaf TBS: wrote ${at} of ${out.length} bytes`);
  return out;
}

/** SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }: the certificate DER. */
export function signedLeaf(template: LeafTemplate, tbs: Buffer, signature: Buffer): Buffer {
  const bitsLength = 1 + signature.length;
  const bodyLength = tbs.length + template.algorithm.length + tlvSize(bitsLength);
  const out = Buffer.allocUnsafe(tlvSize(bodyLength));
  let at = header(out, 0, 0x30, bodyLength);
  at = copy(out, at, tbs);
  at = copy(out, at, template.algorithm);
  at = header(out, at, 0x03, bitsLength);
  out[at++] = 0; // no unused bits
  at = copy(out, at, signature);
  return out;
}

/** The DER of one leaf certificate, its TBS signed with `sign` (the issuing key's SHA-256 signature). */
export function leafDer(template: LeafTemplate, fields: LeafFields, sign: (tbs: Buffer) => Buffer): Buffer {
  const tbs = leafTbs(template, fields);
  return signedLeaf(template, tbs, sign(tbs));
}
