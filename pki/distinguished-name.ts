import { Asn1, oid, sequence, set, utf8String } from "./asn1";
import { OID } from "./oids";

/** The attributes moat writes into a subject. */
export interface NameAttributes {
  readonly commonName: string;
  readonly organization?: string;
  /** A device certificate's class: AWS IoT JITP reads it as `AWS::IoT::Certificate::OrganizationalUnit`. */
  readonly organizationalUnit?: string;
}

/** A Name of one RDN per attribute, in the order O, OU, CN, each a UTF8String. */
export function distinguishedName(attributes: NameAttributes): Asn1 {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  const rdns: Asn1[] = [];
  if (attributes.organization !== undefined) rdns.push(rdn(OID.organizationName, attributes.organization));
  if (attributes.organizationalUnit !== undefined) rdns.push(rdn(OID.organizationalUnitName, attributes.organizationalUnit));
  rdns.push(rdn(OID.commonName, attributes.commonName));
  return sequence(...rdns);
}
