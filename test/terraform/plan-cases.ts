import { NOT_PLANNED, PLAN_PENDING, STACK_ONLY, VARIANTS } from "../review/closed-world-variants";
import { moatStack } from "../review/fixture-stack";

type Json = Record<string, any>;

/** One committed plan: the stack it is a plan of and how it was made. */
export interface PlanCase {
  /** File name under test/fixtures/plans/, without `.json`. */
  readonly name: string;
  /** Where the stack comes from: an environment's synthesized stack, or the review tests' fixture. */
  readonly source: { readonly env: string } | { readonly fixture: true };
  /**
   * Changes to the synthesized JSON before planning (an insecure variant, or the update's change);
   * files it writes into `files` are written beside the stack's configuration.
   */
  readonly mutate?: (stack: Json, files: Record<string, string>) => void;
  /** Committed gzipped (`<name>.json.gz`): the closed-world variants are many and each plan is large. */
  readonly compressed?: true;
  /** Plan this as an update: apply the unchanged stack's first plan, then plan the mutated stack on it. */
  readonly update?: true;
  /** For insecure variants: the rule that must report it, on the fixture's cdk.tf.json and on this plan. */
  readonly rule?: string;
  /** The case of test/review/rules.test.ts it repeats on a real plan. */
  readonly mirrors?: string;
}

const r = (stack: Json) => stack.resource;
const ingress = (stack: Json) => r(stack).aws_vpc_security_group_ingress_rule.broker_mqtt;
const egress = (stack: Json) => r(stack).aws_vpc_security_group_egress_rule.devices_mqtt;
const connectPolicy = (stack: Json, replace: (text: string) => string) => {
  r(stack).aws_iot_policy.connect.policy = replace(r(stack).aws_iot_policy.connect.policy);
};

/** The environments' own plans: first plans, and an update of an applied dev stack. */
const ENVIRONMENT_PLANS: PlanCase[] = [
  { name: "iot-dev.first", source: { env: "dev" } },
  { name: "iot-prod.first", source: { env: "prod" } },
  {
    name: "iot-dev.update",
    source: { env: "dev" },
    update: true,
    // A change a team makes every week: a longer log retention and reworded alarms.
    mutate: (s) => {
      for (const group of Object.values(r(s).aws_cloudwatch_log_group as Record<string, Json>)) group.retention_in_days = 400;
      for (const alarm of Object.values(r(s).aws_cloudwatch_metric_alarm as Record<string, Json>))
        alarm.alarm_description = `${String(alarm.alarm_description)} (runbook: docs/aws-iot.md)`;
    },
  },
];

/**
 * A representative set of the insecure cases of test/review/rules.test.ts, one or two per rule
 * (cases whose point is a value from a variable are left out: a plan knows its variables; so are
 * private keys, which a committed plan would hold as literal PEM armour).
 */
const INSECURE: PlanCase[] = (
  [
    {
      rule: "NET-1",
      mirrors: "an internet gateway",
      mutate: (s) => (r(s).aws_internet_gateway = { igw: { vpc_id: "${aws_vpc.vpc.id}" } }),
    },
    {
      rule: "NET-2",
      mirrors: "a NAT route",
      mutate: (s) =>
        (r(s).aws_route = {
          nat: { route_table_id: "${aws_route_table.device.id}", destination_cidr_block: "0.0.0.0/0", nat_gateway_id: "nat-123" },
        }),
    },
    { rule: "NET-3", mirrors: "public IPs on launch", mutate: (s) => (r(s).aws_subnet.device.map_public_ip_on_launch = true) },
    {
      rule: "NET-4",
      mirrors: "an inline ingress rule",
      // In JSON, rule blocks are attributes: Terraform wants every field of the object written.
      mutate: (s) =>
        (r(s).aws_default_security_group.default.ingress = [
          {
            protocol: "-1",
            from_port: 0,
            to_port: 0,
            self: true,
            description: "self",
            cidr_blocks: [],
            ipv6_cidr_blocks: [],
            prefix_list_ids: [],
            security_groups: [],
          },
        ]),
    },
    {
      rule: "NET-4",
      mirrors: "a rule resource on the VPC's default group",
      mutate: (s) =>
        (r(s).aws_vpc_security_group_egress_rule.open = {
          security_group_id: "${aws_vpc.vpc.default_security_group_id}",
          ip_protocol: "-1",
          cidr_ipv4: "0.0.0.0/0",
          description: "x",
        }),
    },
    { rule: "NET-5", mirrors: "a subnet without ACL", mutate: (s) => (r(s).aws_network_acl.device.subnet_ids = []) },
    { rule: "NET-6", mirrors: "a missing deny", mutate: (s) => delete r(s).aws_network_acl_rule.device_ingress_office },
    {
      rule: "FW-1",
      mirrors: "a 1883 rule",
      mutate: (s) => (r(s).aws_vpc_security_group_ingress_rule.plain = { ...ingress(s), from_port: 1883, to_port: 1883 }),
    },
    { rule: "FW-1", mirrors: "all protocols", mutate: (s) => (ingress(s).ip_protocol = "-1") },
    { rule: "FW-2", mirrors: "0.0.0.0/0 on 8883", mutate: (s) => (ingress(s).cidr_ipv4 = "0.0.0.0/0") },
    {
      rule: "FW-2",
      mirrors: "a prefix list",
      mutate: (s) => Object.assign(ingress(s), { cidr_ipv4: undefined, prefix_list_id: "pl-123" }),
    },
    {
      rule: "FW-3",
      mirrors: "8883 to anywhere",
      mutate: (s) => Object.assign(egress(s), { referenced_security_group_id: undefined, cidr_ipv4: "0.0.0.0/0" }),
    },
    { rule: "FW-4", mirrors: "a rule without description", mutate: (s) => delete ingress(s).description },
    {
      rule: "TLS-1",
      mirrors: "TLS 1.2 with 1.0",
      mutate: (s) => (r(s).aws_iot_domain_configuration.domain.tls_config.security_policy = "IoTSecurityPolicy_TLS12_1_0_2016_01"),
    },
    { rule: "AUTH-1", mirrors: "an AWS-generated key pair", mutate: (s) => (r(s).aws_iot_certificate = { device: { active: true } }) },
    { rule: "AUTHZ-1", mirrors: "a # topic", mutate: (s) => connectPolicy(s, (p) => p.replace("/telemetry", "/#")) },
    {
      rule: "AUTHZ-2",
      mirrors: "no IsAttached",
      mutate: (s) => connectPolicy(s, (p) => p.replace(', "Bool" = {"iot:Connection.Thing.IsAttached" = "true"}', "")),
    },
    {
      rule: "AUTHZ-3",
      mirrors: "no SourceVpce",
      mutate: (s) => connectPolicy(s, (p) => p.replace('"StringEquals" = {"aws:SourceVpce" = aws_vpc_endpoint.endpoint.id}, ', "")),
    },
    { rule: "LOG-1", mirrors: "rejected traffic only", mutate: (s) => (r(s).aws_flow_log.flow.traffic_type = "REJECT") },
    { rule: "LOG-2", mirrors: "a 30-day retention", mutate: (s) => (r(s).aws_cloudwatch_log_group.flow.retention_in_days = 30) },
    { rule: "LOG-4", mirrors: "DISABLED", mutate: (s) => (r(s).aws_iot_logging_options.logging.default_log_level = "DISABLED") },
    {
      rule: "MON-1",
      mirrors: "an auth alarm that notifies no one",
      mutate: (s) => (r(s).aws_cloudwatch_metric_alarm.connect_authz.alarm_actions = []),
    },
  ] as { rule: string; mirrors: string; mutate: (stack: Json) => void }[]
).map((c) => ({
  ...c,
  name: `fixture.${c.rule.toLowerCase()}.${c.mirrors
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase()}`,
  source: { fixture: true } as const,
}));

/** The plan case of a closed-world variant (test/review/closed-world-variants.ts). */
export const closedWorldPlanName = (v: { cls: number; variant: string }): string =>
  `cw.c${String(v.cls).padStart(2, "0")}.${v.variant
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase()
    .slice(0, 80)
    .replace(/-$/, "")}`;

/** Every closed-world variant that can exist as a plan, planned from the environment's synthesized stack. */
const CLOSED_WORLD: PlanCase[] = VARIANTS.filter(
  (v) => !(v.variant in STACK_ONLY) && !(v.variant in NOT_PLANNED) && !(v.variant in PLAN_PENDING),
).map((v) => ({
  name: closedWorldPlanName(v),
  source: { env: v.env },
  compressed: true,
  mutate: (stack, files) => void v.apply(stack, files),
}));

export const PLAN_CASES: readonly PlanCase[] = [
  ...ENVIRONMENT_PLANS,
  { name: "fixture.clean", source: { fixture: true } },
  ...INSECURE,
  ...CLOSED_WORLD,
];

/** The committed file of a plan case, under test/fixtures/plans/. */
export const planFileName = (c: PlanCase): string => `${c.name}.json${c.compressed ? ".gz" : ""}`;

/**
 * The cdk.tf.json of a fixture case: the review tests' compliant stack, changed as the case says.
 * The fixture is written for the rules and leaves out arguments no rule reads but the provider
 * requires; those are added here, so Terraform can plan it.
 */
export function fixtureStack(c: PlanCase): Json {
  const stack = moatStack();
  r(stack).aws_cloudwatch_log_metric_filter.rejected.name = "rejected-mqtt";
  r(stack).aws_iot_ca_certificate.ca.verification_certificate_pem = r(stack).aws_iot_ca_certificate.ca.ca_certificate_pem;
  c.mutate?.(stack, {});
  return JSON.parse(JSON.stringify(stack));
}
