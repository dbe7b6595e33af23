import { Asn1, oid, sequence, set, utf8String } from "./asn1";
import { childrenOf, expectTag, oidOf, Tag, Tlv } from "./der-reader";
import { OID } from "./oids";
import { MoatError } from "../errors";

/** A Name of one RDN per attribute, O before CN, each a UTF8String. */
export function distinguishedName(attributes: { readonly commonName: string; readonly organization?: string }): Asn1 {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  const rdns = attributes.organization === undefined ? [] : [rdn(OID.organizationName, attributes.organization)];
  rdns.push(rdn(OID.commonName, attributes.commonName));
  return sequence(...rdns);
}

const STRING_TAGS: ReadonlySet<number> = new Set([Tag.UTF8_STRING, Tag.PRINTABLE_STRING, Tag.IA5_STRING]);

/**
 * The commonName values of a DER Name, in order. A value in a string type other than
 * UTF8String, PrintableString or IA5String is refused: T61String and BMPString have no safe
 * mapping to a thing name.
 */
export function commonNamesOf(name: Tlv, what: string): string[] {
  expectTag(name, Tag.SEQUENCE, what);
  const names: string[] = [];
  for (const rdn of childrenOf(name, what)) {
    expectTag(rdn, Tag.SET, what);
    for (const attribute of childrenOf(rdn, what)) {
      const [type, value] = childrenOf(attribute, what);
      if (type === undefined || value === undefined) throw new MoatError(`${what}: malformed subject attribute; regenerate the CSR`);
      if (oidOf(type, what) !== OID.commonName) continue;
      if (!STRING_TAGS.has(value.tag)) {
        throw new MoatError(`${what}: subject CN uses ASN.1 string type 0x${value.tag.toString(16)}; use a UTF8String or PrintableString CN`);
      }
      names.push(value.contents.toString("utf8"));
    }
  }
  return names;
}
