// Reading names from DER, apart from writing them (distinguished-name.ts): bulk's worker threads
// check CSR subjects and must not load node-forge, which only writing needs.
import { childrenOf, expectTag, oidOf, Tag, Tlv } from "./der-reader";
import { OID } from "./oids";
import { MoatError } from "../errors";

/** One attribute of a DER Name: its type OID and raw value. */
export interface NameAttribute {
  readonly type: string;
  readonly value: Tlv;
}

/** Every attribute of a DER Name, in order, across its RDNs. */
export function nameAttributesOf(name: Tlv, what: string): NameAttribute[] {
  expectTag(name, Tag.SEQUENCE, what);
  const attributes: NameAttribute[] = [];
  for (const rdn of childrenOf(name, what)) {
    expectTag(rdn, Tag.SET, what);
    for (const attribute of childrenOf(rdn, what)) {
      const [type, value] = childrenOf(attribute, what);
      if (type === undefined || value === undefined) throw new MoatError(`${what}: malformed subject attribute; regenerate the CSR`);
      attributes.push({ type: oidOf(type, what), value });
    }
  }
  return attributes;
}

/** Short names of the attributes a refusal may have to name. */
const ATTRIBUTE_NAMES: Record<string, string> = {
  [OID.commonName]: "CN",
  [OID.organizationName]: "O",
  [OID.organizationalUnitName]: "OU",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/** `OU`, `O`, ... or the dotted OID of an attribute without a short name. */
export const attributeName = (type: string): string => ATTRIBUTE_NAMES[type] ?? type;

const STRING_TAGS: ReadonlySet<number> = new Set([Tag.UTF8_STRING, Tag.PRINTABLE_STRING, Tag.IA5_STRING]);

/**
 * The values of one attribute type in a DER Name, in order. A value in a string type other than
 * UTF8String, PrintableString or IA5String is refused: T61String and BMPString have no safe
 * mapping to a thing name or a class name.
 */
export function attributeValuesOf(name: Tlv, type: string, what: string): string[] {
  const values: string[] = [];
  for (const attribute of nameAttributesOf(name, what)) if (attribute.type === type) values.push(stringValueOf(attribute, what));
  return values;
}

/** The text of one attribute's value, refused unless it is a string type moat reads (see {@link attributeValuesOf}). */
export function stringValueOf({ type, value }: NameAttribute, what: string): string {
  if (!STRING_TAGS.has(value.tag)) {
    const short = attributeName(type);
    throw new MoatError(
      `${what}: subject ${short} uses ASN.1 string type 0x${value.tag.toString(16)}; use a UTF8String or PrintableString ${short}`,
    );
  }
  return value.contents.toString("utf8");
}

/** The commonName values of a DER Name, in order (see {@link attributeValuesOf}). */
export const commonNamesOf = (name: Tlv, what: string): string[] => attributeValuesOf(name, OID.commonName, what);
