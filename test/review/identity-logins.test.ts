/** Class 3 of issue 13: logins that do not go through moat's CA, each added to a clean stack. */
import { describeVariants, findResource } from "./clean-stacks";

const add = (stack: Record<string, any>, type: string, name: string, body: Record<string, unknown>): string => {
  stack.resource[type] = { ...(stack.resource[type] ?? {}), [name]: body };
  return `${type}.${name}`;
};
const FOREIGN_CA = "-----BEGIN CERTIFICATE-----\nMIIBforeign\n-----END CERTIFICATE-----\n";

describeVariants("logins outside moat's CA (AUTH-3)", [
  {
    variant: "a custom authorizer with signing disabled",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_authorizer", "backdoor", {
        name: "backdoor",
        authorizer_function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:allow",
        signing_disabled: true,
        status: "ACTIVE",
      }),
  },
  {
    variant: "an inactive custom authorizer (activated later outside Terraform)",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_authorizer", "dormant", {
        name: "dormant",
        authorizer_function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:allow",
        status: "INACTIVE",
        token_key_name: "t",
        token_signing_public_keys: { k: "x" },
      }),
  },
  {
    variant: "a domain configuration with a default authorizer",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_domain_configuration", "custom", {
        name: "custom",
        service_type: "DATA",
        authorizer_config: { default_authorizer_name: "backdoor", allow_authorizer_override: false },
        tls_config: { security_policy: "IoTSecurityPolicy_TLS13_1_3_2022_10" },
      }),
  },
  {
    variant: "a domain configuration with SigV4 authentication",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_domain_configuration", "sigv4", {
        name: "sigv4",
        authentication_type: "AWS_SIGV4",
        application_protocol: "MQTT_WSS",
        tls_config: { security_policy: "IoTSecurityPolicy_TLS13_1_3_2022_10" },
      }),
  },
  {
    variant: "a second CA with auto-registration",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_ca_certificate", "second", {
        active: true,
        allow_auto_registration: true,
        ca_certificate_pem: FOREIGN_CA,
        certificate_mode: "SNI_ONLY",
      }),
  },
  {
    variant: "the one registered CA swapped for another",
    env: "prod",
    rule: "AUTH-3",
    message: /not the environment's issuing CA/,
    apply: (s) => {
      const [name, ca] = findResource(s, "aws_iot_ca_certificate");
      ca.ca_certificate_pem = FOREIGN_CA;
      return `aws_iot_ca_certificate.${name}`;
    },
  },
  {
    variant: "the registered CA read from a variable",
    env: "dev",
    rule: "AUTH-3",
    status: "unknown",
    message: /whether it is the environment's issuing CA cannot be told/,
    apply: (s) => {
      const [name, ca] = findResource(s, "aws_iot_ca_certificate");
      ca.ca_certificate_pem = "${var.ca_pem}";
      return `aws_iot_ca_certificate.${name}`;
    },
  },
  {
    variant: "a device certificate registered without a CA",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_certificate", "lone", {
        active: true,
        certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIBdevice\n-----END CERTIFICATE-----\n",
      }),
  },
  {
    variant: "a device certificate under a CA that is not the stack's",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_certificate", "foreign", {
        active: true,
        certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIBdevice\n-----END CERTIFICATE-----\n",
        ca_pem: FOREIGN_CA,
      }),
  },
  {
    variant: "a certificate AWS's CA issues from a CSR",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_certificate", "from_csr", {
        active: true,
        csr: "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
      }),
  },
  {
    variant: "a certificate attached to a thing by Terraform",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) =>
      add(s, "aws_iot_thing_principal_attachment", "manual", {
        thing: "sensor-17",
        principal: "arn:aws:iot:eu-west-1:123456789012:cert/0123abcd",
      }),
  },
  {
    variant: "a role alias handing devices an IAM role",
    env: "prod",
    rule: "AUTH-3",
    apply: (s) => {
      const [role] = findResource(s, "aws_iam_role");
      return add(s, "aws_iot_role_alias", "creds", { alias: "device-creds", role_arn: `\${aws_iam_role.${role}.arn}` });
    },
  },
  {
    variant: "a fleet provisioning template (type left to its default)",
    env: "dev",
    rule: "AUTH-3",
    apply: (s) => {
      const [role] = findResource(s, "aws_iam_role");
      return add(s, "aws_iot_provisioning_template", "claim", {
        name: "claim",
        provisioning_role_arn: `\${aws_iam_role.${role}.arn}`,
        enabled: true,
        template_body: '{"Resources":{}}',
      });
    },
  },
]);

describeVariants("AWS-generated key pairs (AUTH-1, class 6)", [
  {
    variant: "csr set to the empty string",
    env: "dev",
    rule: "AUTH-1",
    apply: (s) => add(s, "aws_iot_certificate", "empty_csr", { active: true, csr: "" }),
  },
  {
    variant: "certificate_pem set to the empty string",
    env: "prod",
    rule: "AUTH-1",
    apply: (s) => add(s, "aws_iot_certificate", "empty_pem", { active: true, certificate_pem: "" }),
  },
  {
    variant: "both empty, whitespace only",
    env: "prod",
    rule: "AUTH-1",
    apply: (s) => add(s, "aws_iot_certificate", "blank", { active: true, certificate_pem: "  ", csr: "\n" }),
  },
  {
    variant: "csr from a variable",
    env: "dev",
    rule: "AUTH-1",
    status: "unknown",
    apply: (s) => add(s, "aws_iot_certificate", "var_csr", { active: true, csr: "${var.csr}" }),
  },
]);
