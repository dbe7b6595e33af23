import { generateKeyPairSync, verify, X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encode } from "../../pki/asn1";
import { signCertificate } from "../../pki/certificate";
import { childrenOf, readDer } from "../../pki/der-reader";
import { distinguishedName } from "../../pki/distinguished-name";
import {
  authorityKeyIdentifier,
  basicConstraints,
  extendedKeyUsage,
  keyUsage,
  KeyUsage,
  subjectAltName,
  subjectKeyIdentifier,
} from "../../pki/extensions";
import { LeafRequest, leafBuilder } from "../../pki/issuance";
import { OID } from "../../pki/oids";
import { toPem } from "../../pki/pem";
import { generateKeyPair, keyIdentifier, KeyType, signerFor, spkiOf } from "../../pki/signer";
import { cleanup, openssl, scratch } from "./pki-fixtures";

/**
 * A leaf as the general builder writes it (certificate.ts, forge's ASN.1 layer), field by field:
 * the reference the template builder must match byte for byte.
 */
function referenceLeaf(caKeyType: KeyType, request: LeafRequest, serial: string) {
  const ca = caOf(caKeyType);
  const purposes = { device: [OID.clientAuth], application: [OID.clientAuth], server: [OID.serverAuth], verification: [] }[request.profile];
  const extensions = [basicConstraints(false), authorityKeyIdentifier(ca.keyId), keyUsage(KeyUsage.digitalSignature)];
  if (purposes.length > 0) extensions.push(extendedKeyUsage(...purposes));
  extensions.push(subjectKeyIdentifier(keyIdentifier(request.subjectPublicKeyInfo)));
  if (request.profile === "server") extensions.push(subjectAltName(request.dnsNames ?? [], request.ipAddresses ?? []));
  return signCertificate(
    {
      serial: Buffer.from(serial, "hex"),
      issuerName: ca.subjectName,
      subjectName: distinguishedName({ organizationalUnit: request.deviceClass, commonName: request.commonName }),
      subjectPublicKeyInfo: request.subjectPublicKeyInfo,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      extensions,
    },
    ca.signer,
  );
}

const cas = new Map<KeyType, ReturnType<typeof makeCa>>();
function makeCa(keyType: KeyType) {
  const keys = generateKeyPair(keyType);
  const subjectName = encode(distinguishedName({ organization: "moat", commonName: `moat test issuing CA ${keyType}` }));
  return { keys, signer: signerFor(keys.privateKey), subjectName, keyId: keyIdentifier(spkiOf(keys.publicKey)) };
}
function caOf(keyType: KeyType) {
  if (!cas.has(keyType)) cas.set(keyType, makeCa(keyType));
  return cas.get(keyType)!;
}

const tbsOf = (der: Buffer) => childrenOf(readDer(der, "leaf"), "leaf")[0].bytes;

const p256 = spkiOf(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey);
const p384 = spkiOf(generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey);
const rsa4096 = spkiOf(generateKeyPairSync("rsa", { modulusLength: 4096 }).publicKey);
const validity = { notBefore: new Date("2026-12-05T07:55:00Z"), notAfter: new Date("2027-12-05T08:00:00Z") };

const requests: [string, LeafRequest, string][] = [
  [
    "a device of class sensor",
    { profile: "device", deviceClass: "sensor", commonName: "sensor-0001", subjectPublicKeyInfo: p256, ...validity },
    "4A0102030405060708090A0B0C0D0E0F",
  ],
  [
    "a device with a 128-character thing name and a P-384 key",
    { profile: "device", deviceClass: "gate-controller", commonName: "d".repeat(128), subjectPublicKeyInfo: p384, ...validity },
    "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
  ],
  [
    "a device with an RSA-4096 key (multi-byte lengths) and a serial whose top bit is set",
    { profile: "device", deviceClass: "meter", commonName: "meter:9_x-1", subjectPublicKeyInfo: rsa4096, ...validity },
    "80000000000000000000000000000001",
  ],
  [
    "a device valid past 2049 (GeneralizedTime) with a serial that has leading zero bytes",
    {
      profile: "device",
      deviceClass: "sensor",
      commonName: "long-lived",
      subjectPublicKeyInfo: p256,
      notBefore: new Date("2049-06-01T00:00:00Z"),
      notAfter: new Date("2051-01-01T00:00:00Z"),
    },
    "00007F01",
  ],
  [
    "a server with DNS and IP names",
    {
      profile: "server",
      commonName: "broker.lab",
      subjectPublicKeyInfo: p256,
      dnsNames: ["localhost", "broker.lab"],
      ipAddresses: ["127.0.0.1", "::1"],
      ...validity,
    },
    "1234",
  ],
  ["an application identity", { profile: "application", commonName: "backend.app", subjectPublicKeyInfo: p256, ...validity }, "0A0B"],
  ["a verification certificate", { profile: "verification", commonName: "a1b2c3d4e5f6", subjectPublicKeyInfo: p256, ...validity }, "7E"],
];

describe.each(["p256", "rsa2048"] as const)("leaves from a template, %s issuing CA", (caKeyType) => {
  test.each(requests)("%s has the general builder's TBS bytes, and its signature verifies", (_label, request, serial) => {
    const ca = caOf(caKeyType);
    const fast = leafBuilder(ca, ca.signer)(request, serial);
    const reference = referenceLeaf(caKeyType, request, serial);
    expect(tbsOf(fast).toString("hex")).toBe(tbsOf(reference).toString("hex"));
    const [tbs, algorithm, signature] = childrenOf(readDer(fast, "leaf"), "leaf");
    expect(algorithm.bytes).toEqual(childrenOf(readDer(reference, "leaf"), "leaf")[1].bytes);
    expect(verify("sha256", tbs.bytes, ca.keys.publicKey, signature.contents.subarray(1))).toBe(true);
    // RSA PKCS#1 v1.5 signatures are deterministic: the whole certificate is the same.
    if (caKeyType === "rsa2048") expect(fast.toString("hex")).toBe(reference.toString("hex"));
  });

  test("openssl prints the same certificate text for both builders, but for the signature", () => {
    const dir = scratch();
    try {
      const [, request, serial] = requests[0];
      const ca = caOf(caKeyType);
      const text = (der: Buffer, name: string) => {
        writeFileSync(join(dir, name), toPem("CERTIFICATE", der));
        return openssl(["x509", "-in", join(dir, name), "-noout", "-text", "-certopt", "no_sigdump"]);
      };
      const fast = leafBuilder(ca, ca.signer)(request, serial);
      expect(text(fast, "fast.pem")).toBe(text(referenceLeaf(caKeyType, request, serial), "reference.pem"));
      expect(new X509Certificate(fast).subject).toBe("OU=sensor\nCN=sensor-0001");
    } finally {
      cleanup(dir);
    }
  });
});
