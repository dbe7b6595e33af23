/** Class 6 of issue 13: private keys reaching config or state by means no PEM marker shows. */
import { generateKeyPairSync } from "node:crypto";
import { describeVariants } from "./clean-stacks";
import { Json } from "./fixture-stack";

// Made here and now, never committed: the review must find any private key, however written.
const keyPem = (): string =>
  generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
const add = (s: Json, type: string, name: string, body: Json): string => {
  s.resource[type] = { ...(s.resource[type] ?? {}), [name]: body };
  return `${type}.${name}`;
};
const parameter = (s: Json, name: string, value: string): string =>
  add(s, "aws_ssm_parameter", name, { name, type: "SecureString", value });

describeVariants("keys in the configuration (AUTH-2)", [
  {
    variant: "a CA made with the TLS provider (tls_private_key + tls_self_signed_cert)",
    env: "prod",
    rule: "AUTH-2",
    message: /takes the private key \(private_key_pem\)/,
    apply: (s) => {
      add(s, "tls_private_key", "ca", { algorithm: "ECDSA", ecdsa_curve: "P256" });
      return add(s, "tls_self_signed_cert", "ca", {
        private_key_pem: "${tls_private_key.ca.private_key_pem}",
        is_ca_certificate: true,
        validity_period_hours: 87600,
        allowed_uses: ["cert_signing"],
        subject: { common_name: "ca" },
      });
    },
  },
  {
    variant: "a device certificate signed with a CA key from a variable",
    env: "dev",
    rule: "AUTH-2",
    message: /a CA's key/,
    apply: (s) =>
      add(s, "tls_locally_signed_cert", "device", {
        cert_request_pem: "${var.csr}",
        ca_private_key_pem: "${var.ca_key}",
        ca_cert_pem: "${var.ca_cert}",
        validity_period_hours: 24,
        allowed_uses: ["client_auth"],
      }),
  },
  {
    variant: "a key encoded with base64decode",
    env: "prod",
    rule: "AUTH-2",
    message: /value: a base64-encoded PEM private key, decoded at apply time/,
    apply: (s) => parameter(s, "decoded", `\${base64decode("${Buffer.from(keyPem()).toString("base64")}")}`),
  },
  {
    variant: "a key kept as base64 text in a tag",
    env: "dev",
    rule: "AUTH-2",
    message: /tags\.blob: a base64-encoded PEM private key/,
    apply: (s) => {
      const [name, vpc] = Object.entries(s.resource.aws_vpc as Record<string, Json>)[0];
      vpc.tags = { ...vpc.tags, blob: Buffer.from(`x${keyPem()}`).toString("base64") };
      return `aws_vpc.${name}`;
    },
  },
  {
    variant: "a PEM header split by interpolation",
    env: "prod",
    rule: "AUTH-2",
    message: /assembled by interpolation|completed by interpolation/,
    apply: (s) => {
      // The armour is built at run time, so no file of the repository holds a private-key header.
      const armour = (edge: string) => `-----${edge} ${"PRIVATE"} KEY-----`;
      const body = keyPem().replace(armour("BEGIN"), "-----BEGIN PRI${local.vate}").replace(armour("END"), "-----END PRI${local.vate}");
      s.output.device_key = { value: body, sensitive: true };
      return "output.device_key";
    },
  },
  {
    variant: "a PEM whose fences come from a local",
    env: "dev",
    rule: "AUTH-2",
    message: /completed by interpolation/,
    apply: (s) => parameter(s, "fenced", "${local.begin}\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n${local.end}-----\n"),
  },
  {
    variant: "a PEM joined from pieces by a function",
    env: "dev",
    rule: "AUTH-2",
    message: /built by a function/,
    apply: (s) =>
      parameter(s, "joined", '${join("", ["-----BEGIN EC PRIV", "ATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIV", "ATE KEY-----\n"])}'),
  },
  {
    variant: "a key file read with file()",
    env: "prod",
    rule: "AUTH-2",
    message: /file\("secrets\/ca\.key"\) reads a key file/,
    apply: (s) => parameter(s, "from_file", '${file("secrets/ca.key")}'),
  },
  {
    variant: "a key file read by a local_sensitive_file data source",
    env: "dev",
    rule: "AUTH-2",
    message: /reads \.pki\/dev\/ca\/issuing\.key into Terraform state/,
    apply: (s) => {
      s.data.local_sensitive_file = { ca: { filename: ".pki/dev/ca/issuing.key" } };
      return "data.local_sensitive_file.ca";
    },
  },
]);
