import { MoatError } from "../errors";

/** One DER tag-length-value inside a buffer; `bytes` and `contents` slice without copying. */
export interface Tlv {
  /** The identifier octet (single-byte tags only: X.509 and PKCS#10 use no others). */
  readonly tag: number;
  /** The whole encoding, header included: what a signature covers. */
  readonly bytes: Buffer;
  /** The value octets. */
  readonly contents: Buffer;
}

/** Universal and context tags this package reads. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
  CONTEXT_3: 0xa3,
} as const;

/**
 * A TLV read from `source`: `bytes` and `contents` are views made when asked for, so walking a
 * structure allocates no Buffer for the many TLVs whose bytes nobody reads (bulk reads every CSR).
 */
class DerTlv implements Tlv {
  constructor(
    readonly tag: number,
    readonly source: Buffer,
    readonly start: number,
    readonly valueStart: number,
    readonly end: number,
  ) {}

  get bytes(): Buffer {
    return this.source.subarray(this.start, this.end);
  }

  get contents(): Buffer {
    return this.source.subarray(this.valueStart, this.end);
  }
}

/**
 * A strict DER reader over Buffers. forge's `asn1.fromDer` re-encodes what it parses
 * (so the bytes a signature covers are not the bytes received) and is slow on binary strings;
 * a CSR signature must be checked over the exact bytes the device signed.
 * `what` names the input in every error, e.g. "CSR devices/a.csr".
 */
export function readTlv(buf: Buffer, offset: number, what: string): Tlv & { readonly end: number } {
  return tlvAt(buf, offset, buf.length, 0, what);
}

/**
 * The TLV at `offset` of `source`, which must end by `limit` (the end of the value holding it).
 * Errors give the offset from `base`, the start of that value.
 */
function tlvAt(source: Buffer, offset: number, limit: number, base: number, what: string): DerTlv {
  // No closure here: this runs for every TLV of every CSR in a bulk run.
  if (offset + 2 > limit) invalidDer(what, "truncated header", offset - base);
  const tag = source[offset];
  if ((tag & 0x1f) === 0x1f) invalidDer(what, "multi-byte tag", offset - base);
  let length = source[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) invalidDer(what, "indefinite length", offset - base);
    if (count > 4) invalidDer(what, "length too large", offset - base);
    if (offset + 2 + count > limit) invalidDer(what, "truncated length", offset - base);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + source[offset + 2 + i];
    if (source[offset + 2] === 0 || length < 0x80) invalidDer(what, "non-minimal length", offset - base);
    header += count;
  }
  const end = offset + header + length;
  if (end > limit) invalidDer(what, "truncated value", offset - base);
  return new DerTlv(tag, source, offset, offset + header, end);
}

function invalidDer(what: string, why: string, offset: number): never {
  throw new MoatError(
    `${what}: not valid DER (${why} at byte ${offset}); supply a DER/PEM file written by a standard tool such as openssl`,
  );
}

/** Parses a buffer that must hold exactly one TLV, nothing trailing. */
export function readDer(buf: Buffer, what: string, expectedTag?: number): Tlv {
  const tlv = readTlv(buf, 0, what);
  if (tlv.end !== buf.length) {
    throw new MoatError(`${what}: not valid DER (${buf.length - tlv.end} trailing bytes); supply the file exactly as the tool wrote it`);
  }
  expectTag(tlv, expectedTag, what);
  return tlv;
}

/** The TLVs inside a constructed value, in order. */
export function childrenOf(parent: Tlv, what: string): Tlv[] {
  const { source, valueStart, end } =
    parent instanceof DerTlv ? parent : { source: parent.contents, valueStart: 0, end: parent.contents.length };
  const out: Tlv[] = [];
  for (let offset = valueStart; offset < end;) {
    const child = tlvAt(source, offset, end, valueStart, what);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** Throws unless the TLV has the given tag. */
export function expectTag(tlv: Tlv, tag: number | undefined, what: string): void {
  if (tag !== undefined && tlv.tag !== tag) {
    throw new MoatError(
      `${what}: unexpected ASN.1 tag 0x${tlv.tag.toString(16)} (expected 0x${tag.toString(16)}); the file is not the structure it claims to be`,
    );
  }
}

/** Decodes an OBJECT IDENTIFIER's contents to dotted form. */
export function oidOf(tlv: Tlv, what: string): string {
  expectTag(tlv, Tag.OID, what);
  const c = tlv.contents;
  if (c.length === 0) throw new MoatError(`${what}: empty OBJECT IDENTIFIER; the file is corrupt`);
  let dotted = "";
  let value = 0;
  let first = true;
  for (let i = 0; i < c.length; i++) {
    const byte = c[i];
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (first) {
      const arc = value < 40 ? 0 : value < 80 ? 1 : 2;
      dotted = `${arc}.${value - arc * 40}`;
      first = false;
    } else dotted += `.${value}`;
    value = 0;
  }
  return dotted;
}

/** Decodes a UTCTime (RFC 5280: years 1950-2049) or GeneralizedTime in the Zulu form X.509 uses. */
export function timeOf(tlv: Tlv, what: string): Date {
  const text = tlv.contents.toString("latin1");
  const m =
    tlv.tag === Tag.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m || (tlv.tag !== Tag.UTC_TIME && tlv.tag !== Tag.GENERALIZED_TIME)) {
    throw new MoatError(`${what}: '${text}' is not an X.509 time; the file is corrupt`);
  }
  let year = Number(m[1]);
  if (tlv.tag === Tag.UTC_TIME) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}
