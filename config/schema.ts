import { APPLICATION_NAME, AVAILABILITY_ZONE, DEVICE_CLASS, REGION } from "../core/names";
import { cidrProblem } from "../core/cidr";
import { REASON_RULE, reasonProblem } from "../core/reason";
import {
  array,
  boolean,
  Infer,
  integer,
  object,
  oneOf,
  optional,
  record,
  required,
  string,
  withDefault,
  withFieldDefaults,
} from "./schema-dsl";
import { DEFAULT_IOT_TLS_POLICY, IOT_TLS_POLICIES } from "./tls-policy";

/** Every reason key: the one rule of core/reason.ts, stated in the description editors show. */
function reason(description: string) {
  return string({ description: `${description} ${REASON_RULE[0].toUpperCase()}${REASON_RULE.slice(1)}.`, check: reasonProblem });
}

/**
 * The environment file: the single source for the validator, the `EnvironmentConfig` type
 * and environments/environment.schema.json (`npm run schema` regenerates it).
 */

const cidr = (description: string) => string({ description, check: cidrProblem });

const subnet = object(
  {
    az: required(
      string({
        description: "Availability zone of the subnet; must be listed in network.availabilityZones.",
        pattern: AVAILABILITY_ZONE,
        patternHint: "an availability zone name such as eu-west-1a",
      }),
    ),
    cidr: required(cidr("IPv4 CIDR of the subnet; inside network.vpcCidr and overlapping no other subnet.")),
  },
  { description: "A private subnet." },
);

const network = object(
  {
    vpcCidr: required(cidr("IPv4 CIDR of the isolated IoT VPC; must be private (RFC 1918).")),
    availabilityZones: required(
      array(
        string({
          description: "Availability zone name.",
          pattern: AVAILABILITY_ZONE,
          patternHint: "an availability zone name such as eu-west-1a",
        }),
        {
          description: "Availability zones the segment spans.",
          minItems: 2,
          minItemsReason: "the broker endpoint must survive the loss of one zone",
        },
      ),
    ),
    deviceSubnets: required(
      array(subnet, { description: "Subnets where devices (or their gateways) live: one per availability zone at least.", minItems: 1 }),
    ),
    endpointSubnets: required(
      array(subnet, { description: "Subnets for the broker's interface VPC endpoint: one per availability zone at least.", minItems: 1 }),
    ),
    officeCidrs: withDefault(
      array(cidr("An office or corporate network range."), {
        description: "Office networks that must stay unreachable from the IoT segment: denied in every network ACL and never routed.",
      }),
      [],
    ),
  },
  { description: "The isolated IoT network segment." },
);

const s3Backend = object(
  {
    bucket: required(
      string({ description: "State bucket name.", pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, patternHint: "an S3 bucket name" }),
    ),
    key: required(string({ description: "State object key, e.g. moat/prod.tfstate.", minLength: 1, maxLength: 1024 })),
    region: optional(
      string({
        description: "Region of the state bucket; defaults to the environment's region.",
        pattern: REGION,
        patternHint: "an AWS region name such as eu-west-1",
      }),
    ),
    kmsKeyId: optional(
      string({
        description: "KMS key ARN or alias for state encryption; the bucket's default encryption is used when absent.",
        minLength: 1,
      }),
    ),
  },
  { description: "S3 state backend: encrypted, locked with an S3 lock file (use_lockfile)." },
);

const backend = object(
  {
    type: required(
      oneOf(["local", "s3"] as const, {
        description: "local: state in terraform.<stack>.tfstate (no AWS account needed to synthesize); s3: remote encrypted state.",
      }),
    ),
    s3: optional(s3Backend),
  },
  { description: "Where Terraform keeps this environment's state." },
);

const logs = object(
  {
    store: withDefault(oneOf(["cloudwatch", "s3", "both"] as const, { description: "Where VPC flow logs go." }), "cloudwatch"),
    retentionDays: withDefault(
      integer({
        description: "Days flow logs are kept (CloudWatch retention, S3 expiration).",
        minimum: 365,
        minimumReason: "connection logs must cover at least a year",
        maximum: 3653,
      }),
      365,
    ),
    archiveAfterDays: withDefault(
      integer({ description: "S3 store: days before flow-log objects move to Glacier storage.", minimum: 30, maximum: 3653 }),
      90,
    ),
  },
  { description: "VPC flow-log store." },
);

const broker = object(
  {
    tlsPolicy: withDefault(
      oneOf(IOT_TLS_POLICIES, {
        description: "IoT Core TLS security policy: TLS 1.3 only, or TLS 1.3 with TLS 1.2 for older devices.",
      }),
      DEFAULT_IOT_TLS_POLICY,
    ),
    logLevel: withDefault(oneOf(["DEBUG", "INFO", "WARN", "ERROR"] as const, { description: "IoT Core logging level." }), "WARN"),
    accountLogging: withDefault(
      object(
        {
          enabled: withDefault(boolean({ description: "Manage the account-wide IoT logging options from this environment." }), true),
          disabledReason: optional(reason("Why logging is managed elsewhere; required when enabled is false.")),
        },
        {
          description: "IoT logging options are account-wide: one stack per account and region should own them.",
          renamed: { reason: "disabledReason" },
        },
      ),
      { enabled: true },
    ),
    alarmEmails: withDefault(
      array(
        string({
          description: "Email address subscribed to the alarm topic.",
          pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
          patternHint: "an email address",
        }),
        {
          description: "Who is told about broker auth failures and rejected MQTT flows.",
        },
      ),
      [],
    ),
    authFailureThreshold: withDefault(
      integer({
        description: "IoT Core auth failures per 5 minutes above which an alarm fires (0: any failure).",
        minimum: 0,
        maximum: 100000,
      }),
      0,
    ),
    certificateMode: withDefault(
      oneOf(["DEFAULT", "SNI_ONLY"] as const, {
        description:
          "How the issuing CA is registered. DEFAULT proves possession of the CA key with a verification certificate (moat pki verification-cert); SNI_ONLY skips the proof and needs sniOnlyReason.",
      }),
      "DEFAULT",
    ),
    sniOnlyReason: optional(reason("Why SNI_ONLY registration (no proof of CA key possession) is acceptable here.")),
    customDomain: optional(
      object(
        {
          domainName: required(
            string({
              description: "Fully qualified domain name devices connect to.",
              pattern: /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/,
              patternHint: "a lowercase domain name",
            }),
          ),
          serverCertificateArn: required(
            string({
              description: "ACM certificate ARN for the domain (serverAuth).",
              pattern: /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/,
              patternHint: "an ACM certificate ARN",
            }),
          ),
        },
        {
          description:
            "A domain you own, served with your ACM certificate; without it the broker's domain configuration is on an AWS-managed domain. Either way it carries broker.tlsPolicy (docs/tls.md).",
        },
      ),
    ),
  },
  {
    description: "The managed broker: AWS IoT Core behind an interface VPC endpoint.",
    renamed: { certificateModeReason: "sniOnlyReason" },
  },
);

const pki = object(
  {
    keyType: withDefault(
      oneOf(["p256", "rsa2048", "rsa3072"] as const, { description: "Key type of the CA keys (and of lab device keys)." }),
      "p256",
    ),
    deviceValidityDays: withDefault(integer({ description: "Validity of device certificates.", minimum: 1, maximum: 3650 }), 365),
    crlValidityDays: withDefault(
      integer({ description: "Days until a CRL's nextUpdate; an expired CRL makes brokers refuse every client.", minimum: 1, maximum: 90 }),
      7,
    ),
    allowLocalKeys: withDefault(
      boolean({
        description:
          "Lab/dev only: allow device keys generated by `moat pki issue --device` and an unencrypted CA key. Never in production.",
      }),
      false,
    ),
    publicDir: optional(
      string({
        description:
          "Directory, relative to this file, holding the CA's public certificates committed to the repository (issuing.pem, and verification.pem for certificateMode DEFAULT; written by `moat pki publish`). Synth and deploy then read them there, so they need no PKI store.",
        pattern: /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9_.][A-Za-z0-9_./-]*$/,
        patternHint: "a relative directory below the environment file's directory, such as prod-ca (no '..', no leading '/')",
      }),
    ),
  },
  { description: "The environment's private CA." },
);

const THING_PLACEHOLDER_TOPIC = string({
  description: "MQTT topic; {thing} stands for the device's thing name.",
  minLength: 1,
  maxLength: 256,
});

const deviceClass = object(
  {
    description: optional(string({ description: "What these devices are.", minLength: 1 })),
    publish: withDefault(array(THING_PLACEHOLDER_TOPIC, { description: "Topics the device may publish to." }), []),
    subscribe: withDefault(array(THING_PLACEHOLDER_TOPIC, { description: "Topic filters the device may subscribe to." }), []),
    receive: withDefault(array(THING_PLACEHOLDER_TOPIC, { description: "Topics the device may receive messages from." }), []),
    sharedTopics: withDefault(
      array(
        object(
          {
            topic: required(THING_PLACEHOLDER_TOPIC),
            reason: required(reason("Why every device of the class may use this topic.")),
          },
          { description: "A topic without {thing}, shared by the whole class on purpose." },
        ),
        { description: "Topics without {thing}: allowed only when listed here with a reason." },
      ),
      [],
    ),
  },
  { description: "A device class and the topics its devices may use." },
);

const topics = object(
  {
    classes: required(
      record(
        string({ description: "Device class name.", pattern: DEVICE_CLASS, patternHint: "a class name (lowercase letters, digits, '-')" }),
        deviceClass,
        {
          description: "Device classes by name.",
        },
      ),
    ),
  },
  { description: "Per-device topic permissions, compiled to IoT policies and the lab broker's ACL." },
);

const lab = object(
  {
    application: optional(
      object(
        {
          name: required(
            string({
              description:
                "The application's certificate CN and MQTT username in the lab: 2-4 dot-separated labels such as backend.app. The dot keeps it apart from every thing name, so no device can hold it.",
              pattern: APPLICATION_NAME,
              patternHint: "an application name: 2-4 dot-separated labels of lowercase letters, digits and '-', such as backend.app",
            }),
          ),
        },
        {
          description:
            "The lab's application identity (moat lab watch/send): reads what enrolled devices publish and sends them commands, exactly the other side of the topic model. Absent: no identity may read telemetry or write commands.",
        },
      ),
    ),
  },
  { description: "The local lab broker (moat lab)." },
);

const suppression = object(
  {
    rule: required(string({ description: "Review rule id, e.g. NET-5.", minLength: 1 })),
    resource: required(
      string({ description: "Terraform address of the resource, e.g. aws_network_acl.iot_network_devices_acl_1234ABCD.", minLength: 1 }),
    ),
    reason: required(reason("Why the finding is accepted.")),
  },
  { description: "An accepted review finding." },
);

export const environmentSchema = object(
  {
    region: required(
      string({ description: "AWS region of the environment.", pattern: REGION, patternHint: "an AWS region name such as eu-west-1" }),
    ),
    backend: withDefault(backend, { type: "local" }),
    network: required(network),
    logs: withFieldDefaults(logs),
    broker: withFieldDefaults(broker),
    pki: withFieldDefaults(pki),
    topics: required(topics),
    lab: optional(lab),
    review: withDefault(
      object(
        { suppressions: withDefault(array(suppression, { description: "Accepted findings." }), []) },
        { description: "moat review settings." },
      ),
      {
        suppressions: [],
      },
    ),
    tags: withDefault(
      record(
        string({
          description: "Tag key (AWS tag characters; the aws: prefix is reserved).",
          pattern: /^(?![aA][wW][sS]:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u,
          patternHint: "a valid AWS tag key (letters, digits, spaces and _ . : / = + - @; not starting with aws:)",
        }),
        string({
          description: "Tag value (AWS tag characters).",
          pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u,
          patternHint: "a valid AWS tag value (letters, digits, spaces and _ . : / = + - @)",
        }),
        {
          description: "Tags applied to every resource.",
        },
      ),
      {},
    ),
  },
  { description: "A moat environment: one file per environment under environments/." },
);

/** The environment file's content, validated. */
export type EnvironmentFile = Infer<typeof environmentSchema>;

/** A loaded environment: the file's content plus where it came from. */
export interface EnvironmentConfig extends EnvironmentFile {
  /** Environment name, from the file name: `prod` for environments/prod.yaml. */
  readonly name: string;
  /** The file it was loaded from, as given (for error messages). */
  readonly file: string;
}

export type SubnetConfig = EnvironmentFile["network"]["deviceSubnets"][number];
export type DeviceClassConfig = EnvironmentFile["topics"]["classes"][string];
