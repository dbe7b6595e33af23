import { KeyObject } from "node:crypto";
import { Asn1, contextTagged, encode, integer, oid, preEncoded, sequence, set } from "./asn1";
import { signedStructure } from "./certificate";
import { distinguishedName } from "./distinguished-name";
import { OID } from "./oids";
import { toPem } from "./pem";
import { signerFor, spkiOf } from "./signer";

/** What a simulated device puts in its CSR. */
export interface CsrRequest {
  /** Subject CN (the thing name). */
  readonly commonName: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Extensions to request (extensions.ts nodes); the CA ignores all but a CA:TRUE refusal. */
  readonly requestedExtensions?: readonly Asn1[];
}

/**
 * A PKCS#10 CSR signed with the device key, as a device would make it: for lab device
 * simulators, tests and benchmarks that need thousands of CSRs faster than `openssl req`.
 */
export function buildCsr(request: CsrRequest): string {
  const attributes = request.requestedExtensions?.length
    ? [sequence(oid(OID.extensionRequest), set(sequence(...request.requestedExtensions)))]
    : [];
  const info = encode(
    sequence(
      integer(0),
      distinguishedName({ commonName: request.commonName }),
      preEncoded(spkiOf(request.publicKey)),
      contextTagged(0, ...attributes),
    ),
  );
  return toPem("CERTIFICATE REQUEST", signedStructure(info, signerFor(request.privateKey)));
}
