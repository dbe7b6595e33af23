import { loadEnvironment } from "../../config";
import { MoatError } from "../../errors";
import { review } from "../../review/engine";
import { contextFromEnvironment, suppressionsFromEnvironment } from "../../review/environment-context";
import { parseStackText } from "../../review/load";
import { isBrokerGroup, isDevice, isDeviceAcl, isEndpoint, shippedStacks } from "./closed-world-support";
import { Json } from "./fixture-stack";

/**
 * Fuzzing the review with the shipped stacks: seeded random additions of AWS networking and IoT
 * resources and random attribute edits. Every addition and every "widening" edit is built to add
 * a path, a permission or a key, so the review must never pass it (exit 0); no edit at all, junk
 * included, may crash it (anything but a refusal of the input, exit 1 or 2).
 */

const SEED = 0x13_13_2026;
const ADDITIONS = 150;
const WIDENINGS = 100;
const JUNK = 80;

/** mulberry32: small, seeded, good enough to pick mutations reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (from: number, to: number) => from + Math.floor(random() * (to - from + 1));
const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(0, 15)]).join("");

const stacks = shippedStacks();
const environments = { dev: loadEnvironment("dev"), prod: loadEnvironment("prod") };

/** Stands for a value nested 20,000 levels deep in the text a stack is reviewed from. */
const DEEP = "\u0001deep\u0001";
const DEEP_TEXT = "[".repeat(20_000) + "]".repeat(20_000);

/** What the review does with a stack text: "pass" (exit 0), "block" (exit 1 or a refusal) or "crash". */
function verdict(stack: Json, env: "dev" | "prod"): { outcome: "pass" | "block" | "crash"; detail: string } {
  const name = `iot-${env}`;
  try {
    const text = JSON.stringify(stack).split(JSON.stringify(DEEP)).join(DEEP_TEXT);
    const model = parseStackText(text, `${name}/cdk.tf.json`, name);
    const config = environments[env];
    const result = review([{ model, context: contextFromEnvironment(config) }], suppressionsFromEnvironment(config, name));
    const ruleErrors = result.stacks[0].findings.filter((f) => f.status === "rule-error");
    if (ruleErrors.length > 0) return { outcome: "crash", detail: ruleErrors[0].message };
    return result.blocking.length > 0
      ? { outcome: "block", detail: result.blocking.map((f) => `${f.rule} ${f.resource}`).join(", ") }
      : { outcome: "pass", detail: "" };
  } catch (err) {
    if (err instanceof MoatError) return { outcome: "block", detail: err.message };
    return { outcome: "crash", detail: (err as Error).stack ?? String(err) };
  }
}

const names = (stack: Json, type: string, where: (b: Json) => boolean = () => true) =>
  Object.entries((stack.resource[type] ?? {}) as Record<string, Json>)
    .filter(([, b]) => where(b))
    .map(([n]) => n);
const refOf = (stack: Json, type: string, where?: (b: Json) => boolean, attribute = "id") =>
  `\${${type}.${pick(names(stack, type, where))}.${attribute}}`;
/** A CIDR no device subnet contains: an Internet range, the office, the whole VPC, or a union half. */
const foreignCidr = () =>
  pick([
    "0.0.0.0/0",
    "0.0.0.0/1",
    "128.0.0.0/1",
    "10.0.0.0/8",
    "10.42.0.0/16",
    "192.168.0.0/16",
    `${int(11, 223)}.${int(0, 255)}.0.0/16`,
    `172.${int(16, 31)}.0.0/12`.replace(/\.\d+\.0\.0\/12$/, ".16.0.0/12"),
  ]);
const otherPort = () => pick([22, 80, 443, 1883, 3389, 8080, int(1, 65535)].filter((p) => p !== 8883));
const truthy = () => pick<boolean | string>([true, "true"]);

/** Resource additions, each opening a path, granting a permission or creating a key. */
const ADDERS: readonly { type: string; body: (s: Json) => Json }[] = [
  { type: "aws_internet_gateway", body: (s) => ({ vpc_id: refOf(s, "aws_vpc") }) },
  { type: "aws_egress_only_internet_gateway", body: (s) => ({ vpc_id: refOf(s, "aws_vpc") }) },
  { type: "aws_nat_gateway", body: (s) => ({ subnet_id: refOf(s, "aws_subnet"), connectivity_type: pick(["public", "private"]) }) },
  {
    type: "aws_route",
    body: (s) => ({
      route_table_id: refOf(s, "aws_route_table"),
      destination_cidr_block: foreignCidr(),
      [pick([
        "gateway_id",
        "nat_gateway_id",
        "transit_gateway_id",
        "vpc_peering_connection_id",
        "vpc_endpoint_id",
        "network_interface_id",
      ])]: `${pick(["igw", "nat", "tgw", "pcx", "vpce", "eni"])}-${hex(17)}`,
    }),
  },
  { type: "aws_vpc_peering_connection", body: (s) => ({ vpc_id: refOf(s, "aws_vpc"), peer_vpc_id: `vpc-${hex(17)}` }) },
  { type: "aws_vpc_peering_connection_accepter", body: () => ({ vpc_peering_connection_id: `pcx-${hex(17)}`, auto_accept: truthy() }) },
  { type: "aws_vpn_gateway", body: (s) => ({ vpc_id: refOf(s, "aws_vpc") }) },
  {
    type: "aws_vpn_gateway_route_propagation",
    body: (s) => ({ vpn_gateway_id: `vgw-${hex(17)}`, route_table_id: refOf(s, "aws_route_table") }),
  },
  {
    type: "aws_ec2_transit_gateway_vpc_attachment",
    body: (s) => ({ vpc_id: refOf(s, "aws_vpc"), subnet_ids: [refOf(s, "aws_subnet")], transit_gateway_id: `tgw-${hex(17)}` }),
  },
  { type: "aws_eip", body: () => ({ domain: "vpc" }) },
  { type: "aws_eip_association", body: () => ({ allocation_id: `eipalloc-${hex(17)}`, network_interface_id: `eni-${hex(17)}` }) },
  { type: "aws_instance", body: (s) => ({ ami: `ami-${hex(17)}`, instance_type: "t3.micro", subnet_id: refOf(s, "aws_subnet") }) },
  { type: "aws_network_interface", body: (s) => ({ subnet_id: refOf(s, "aws_subnet"), source_dest_check: false }) },
  {
    type: "aws_ec2_client_vpn_network_association",
    body: (s) => ({ client_vpn_endpoint_id: `cvpn-endpoint-${hex(17)}`, subnet_id: refOf(s, "aws_subnet", isDevice) }),
  },
  {
    type: "aws_vpc_endpoint",
    body: (s) => ({
      vpc_id: refOf(s, "aws_vpc"),
      service_name: pick(["com.amazonaws.eu-west-1.s3", "com.amazonaws.eu-west-1.ssm", `com.amazonaws.vpce.eu-west-1.vpce-svc-${hex(17)}`]),
      vpc_endpoint_type: pick(["Interface", "Gateway", "GatewayLoadBalancer"]),
    }),
  },
  {
    type: "aws_vpc_endpoint_route_table_association",
    body: (s) => ({ vpc_endpoint_id: `vpce-${hex(17)}`, route_table_id: refOf(s, "aws_route_table") }),
  },
  { type: "aws_default_subnet", body: () => ({ availability_zone: "eu-west-1a" }) },
  { type: "aws_vpc_ipv4_cidr_block_association", body: (s) => ({ vpc_id: refOf(s, "aws_vpc"), cidr_block: "100.64.0.0/16" }) },
  {
    type: "aws_security_group_rule",
    body: (s) => ({
      type: "ingress",
      security_group_id: refOf(s, "aws_security_group"),
      protocol: pick(["tcp", "-1", "6"]),
      from_port: otherPort(),
      to_port: 65535,
      cidr_blocks: [foreignCidr()],
      description: "fuzz",
    }),
  },
  {
    type: "aws_vpc_security_group_ingress_rule",
    body: (s) => ({
      security_group_id: refOf(s, "aws_security_group", isBrokerGroup),
      ip_protocol: "tcp",
      from_port: 8883,
      to_port: 8883,
      cidr_ipv4: foreignCidr(),
      description: "fuzz",
    }),
  },
  {
    type: "aws_vpc_security_group_egress_rule",
    body: (s) => ({
      security_group_id: refOf(s, "aws_security_group", (b) => !isBrokerGroup(b)),
      ip_protocol: "-1",
      cidr_ipv4: foreignCidr(),
      description: "fuzz",
    }),
  },
  {
    type: "aws_network_acl_rule",
    body: (s) => ({
      network_acl_id: refOf(s, "aws_network_acl"),
      egress: pick([true, false, "true", "false"]),
      rule_number: pick([50, 99, 300, "301"]),
      rule_action: "allow",
      protocol: pick(["-1", "6", "17"]),
      from_port: 0,
      to_port: 65535,
      cidr_block: foreignCidr(),
    }),
  },
  { type: "aws_network_acl_association", body: (s) => ({ network_acl_id: `acl-${hex(17)}`, subnet_id: refOf(s, "aws_subnet") }) },
  { type: "aws_route_table_association", body: (s) => ({ route_table_id: refOf(s, "aws_route_table"), gateway_id: `igw-${hex(17)}` }) },
  {
    type: "aws_ec2_managed_prefix_list",
    body: () => ({ name: "all", address_family: "IPv4", max_entries: 1, entry: [{ cidr: "0.0.0.0/0" }] }),
  },
  {
    type: "aws_lambda_function",
    body: (s) => ({
      function_name: "f",
      role: "arn:aws:iam::123456789012:role/x",
      vpc_config: { subnet_ids: [refOf(s, "aws_subnet")], security_group_ids: [refOf(s, "aws_security_group")] },
    }),
  },
  { type: "aws_lb", body: (s) => ({ internal: false, subnets: [refOf(s, "aws_subnet")] }) },
  {
    type: "aws_cloudformation_stack",
    body: () => ({ name: "x", template_body: '{"Resources":{"G":{"Type":"AWS::EC2::InternetGateway"}}}' }),
  },
  { type: "awscc_ec2_internet_gateway", body: () => ({}) },
  { type: "aws_customer_gateway", body: () => ({ bgp_asn: 65000, ip_address: "203.0.113.1", type: "ipsec.1" }) },
  { type: "aws_dx_gateway_association", body: () => ({ dx_gateway_id: hex(8), associated_gateway_id: `vgw-${hex(17)}` }) },
  // No csr and no certificate_pem: AWS makes the key pair and Terraform keeps the key in state.
  { type: "aws_iot_certificate", body: () => ({ active: true }) },
  {
    type: "aws_iot_authorizer",
    body: () => ({
      name: "open",
      authorizer_function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:ok",
      signing_disabled: truthy(),
      status: "ACTIVE",
    }),
  },
  { type: "aws_iot_role_alias", body: () => ({ alias: "devices", role_arn: "arn:aws:iam::123456789012:role/admin" }) },
  {
    type: "aws_iot_topic_rule",
    body: () => ({
      name: "out",
      enabled: true,
      sql: "SELECT * FROM '#'",
      sql_version: "2016-03-23",
      republish: { role_arn: "arn:aws:iam::123456789012:role/r", topic: "public/all" },
    }),
  },
  {
    type: "aws_iot_provisioning_template",
    body: () => ({
      name: "fleet",
      enabled: true,
      provisioning_role_arn: "arn:aws:iam::123456789012:role/p",
      template_body:
        '{"Resources":{"policy":{"Type":"AWS::IoT::Policy","Properties":{"PolicyDocument":"{\\"Statement\\":[{\\"Effect\\":\\"Allow\\",\\"Action\\":\\"iot:*\\",\\"Resource\\":\\"*\\"}]}"}}}}',
    }),
  },
  {
    type: "aws_iot_policy",
    body: () => ({
      name: "all",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: pick(["iot:*", "iot:Publish"]), Resource: pick(["*", "arn:aws:iot:eu-west-1:123456789012:topic/#"]) },
        ],
      }),
    }),
  },
  {
    type: "aws_iam_role_policy_attachment",
    body: () => ({ role: "iot-dev-logging", policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
  },
  { type: "tls_private_key", body: () => ({ algorithm: "ECDSA", ecdsa_curve: "P256" }) },
];

/** Edits of existing resources, each widening what the stack allows. */
const WIDENERS: readonly ((s: Json) => string | undefined)[] = [
  (s) => {
    const name = pick(names(s, "aws_vpc_security_group_ingress_rule"));
    const rule = s.resource.aws_vpc_security_group_ingress_rule[name];
    const how = pick(["cidr", "port", "protocol"]);
    if (how === "cidr") rule.cidr_ipv4 = foreignCidr();
    else if (how === "port") rule.to_port = rule.from_port = otherPort();
    else rule.ip_protocol = "-1";
    return `broker ingress ${how}`;
  },
  (s) => {
    const name = pick(names(s, "aws_subnet"));
    s.resource.aws_subnet[name].map_public_ip_on_launch = truthy();
    return "public IPs on a subnet";
  },
  (s) => {
    const name = pick(names(s, "aws_network_acl_rule", (b) => b.rule_action === "deny"));
    s.resource.aws_network_acl_rule[name].rule_action = "allow";
    return "office deny turned allow";
  },
  (s) => {
    const name = pick(names(s, "aws_network_acl_rule", (b) => b.rule_action === "allow"));
    const rule = s.resource.aws_network_acl_rule[name];
    const how = pick(["cidr", "ports", "protocol"]);
    if (how === "cidr") rule.cidr_block = foreignCidr();
    else if (how === "ports") Object.assign(rule, { from_port: 0, to_port: 65535 });
    else rule.protocol = "-1";
    return `ACL allow ${how}`;
  },
  (s) => {
    const name = pick(names(s, "aws_route_table"));
    s.resource.aws_route_table[name].route = [
      {
        cidr_block: foreignCidr(),
        [pick(["gateway_id", "nat_gateway_id", "transit_gateway_id"])]: `${pick(["igw", "nat", "tgw"])}-${hex(17)}`,
      },
    ];
    return "a route out";
  },
  (s) => {
    const name = pick(names(s, "aws_default_security_group"));
    s.resource.aws_default_security_group[name].ingress = [{ protocol: "-1", from_port: 0, to_port: 0, self: pick([true, "true"]) }];
    return "default group ingress";
  },
  (s) => {
    const name = pick(names(s, "aws_vpc_security_group_egress_rule"));
    const rule = s.resource.aws_vpc_security_group_egress_rule[name];
    delete rule.referenced_security_group_id;
    Object.assign(rule, pick([{ cidr_ipv4: foreignCidr() }, { cidr_ipv4: "10.42.0.0/16", from_port: 22, to_port: 22 }]));
    return "device egress widened";
  },
  (s) => {
    const name = pick(names(s, "aws_iot_policy"));
    const policy = s.resource.aws_iot_policy[name];
    policy.policy = String(policy.policy).replace(/"iot:(Connect|Publish|Subscribe|Receive)"/, '"iot:*"');
    return String(policy.policy).includes('"iot:*"') ? "IoT policy wildcard" : undefined;
  },
  (s) => {
    s.variable = { open: { type: "bool", default: pick([true, "true"]) } };
    const name = pick(names(s, "aws_subnet", (b) => isDevice(b) || isEndpoint(b)));
    s.resource.aws_subnet[name].map_public_ip_on_launch = "${var.open}";
    return "public IPs through a variable default";
  },
  (s) => {
    const name = pick(names(s, "aws_network_acl_rule", (b) => b.rule_action === "deny"));
    s.resource.aws_network_acl_rule[name].count = pick([0, "0", "${var.n}"]);
    return "office deny counted away";
  },
  (s) => {
    const acl = refOf(s, "aws_network_acl", isDeviceAcl);
    s.resource.aws_network_acl_rule.lateral = {
      network_acl_id: acl,
      egress: true,
      rule_number: 250,
      rule_action: "allow",
      protocol: "-1",
      cidr_block: pick(["10.42.0.0/16", "0.0.0.0/1"]),
    };
    return "lateral ACL allow";
  },
];

/** Junk values for random attributes: the review may refuse them, never crash on them. */
const JUNK_VALUES: readonly (() => unknown)[] = [
  () => null,
  () => int(-5, 70000),
  () => "",
  () => "${",
  () => "${var.x",
  () => "${foo(}",
  () => "${jsonencode([1, {a = 2}])}",
  () => "%{ for x in var.l }${x}%{ endfor }",
  () => "${aws_vpc.nothing.id}",
  () => "${data.aws_vpc.x.cidr_block}",
  () => ({ __proto__: { cidr_block: "0.0.0.0/0" } }),
  () => [[[[["deep"]]]]],
  () => Array.from({ length: 50 }, (_, i) => ({ i })),
  () => "\u0000\uffff\ud800",
  () => "x".repeat(100_000),
  () => ({ "//": { metadata: { path: "iot-dev/network/vpc" } } }),
  () => "${[" + "[".repeat(3000) + "]".repeat(3000) + "]}",
  // Spliced into the text (JSON.stringify itself cannot write this deep a value).
  () => DEEP,
];

function junk(stack: Json): string {
  const where = pick(["resource", "top"]);
  const value = pick(JUNK_VALUES)();
  if (where === "top") {
    const key = pick(["output", "locals", "variable", "provider", "module", "moved", "check", "data"]);
    stack[key] = pick([value, { x: value }, [value]]);
    return `top-level ${key}`;
  }
  const type = pick(Object.keys(stack.resource));
  const name = pick(Object.keys(stack.resource[type]));
  const body = stack.resource[type][name];
  const key = pick([...Object.keys(body), "count", "for_each", "dynamic", "provisioner", "lifecycle", "tags", "ingress", "route"]);
  body[key] = value;
  return `${type}.${key}`;
}

/** The mutations, drawn once up front so the run is reproducible from the seed. */
const mutations: { kind: "addition" | "widening" | "junk"; env: "dev" | "prod"; what: string; stack: Json }[] = [];
for (let i = 0; i < ADDITIONS; i++) {
  const env = pick(["dev", "prod"] as const);
  const stack = stacks[env]();
  const adder = pick(ADDERS);
  stack.resource[adder.type] ??= {};
  stack.resource[adder.type][`fuzz_${i}`] = adder.body(stack);
  mutations.push({ kind: "addition", env, what: adder.type, stack });
}
while (mutations.length < ADDITIONS + WIDENINGS) {
  const env = pick(["dev", "prod"] as const);
  const stack = stacks[env]();
  const what = pick(WIDENERS)(stack);
  if (what) mutations.push({ kind: "widening", env, what, stack });
}
for (let i = 0; i < JUNK; i++) {
  const env = pick(["dev", "prod"] as const);
  const stack = stacks[env]();
  mutations.push({ kind: "junk", env, what: junk(stack), stack });
}

describe(`fuzzing the shipped stacks (seed ${SEED}, ${mutations.length} mutations)`, () => {
  const results = mutations.map((m) => ({ ...m, ...verdict(m.stack, m.env) }));

  test("never passes an addition or edit that adds a path, a permission or a key", () => {
    const passed = results.filter((r) => r.kind !== "junk" && r.outcome === "pass").map((r) => `${r.kind} ${r.what} (${r.env})`);
    expect(passed).toEqual([]);
  });

  test("never crashes, whatever the edit", () => {
    const crashed = results.filter((r) => r.outcome === "crash").map((r) => `${r.kind} ${r.what}: ${r.detail.split("\n")[0]}`);
    expect(crashed).toEqual([]);
  });

  test("drew every kind of mutation", () => {
    expect(new Set(results.filter((r) => r.kind === "addition").map((r) => r.what)).size).toBeGreaterThan(ADDERS.length / 2);
    expect(results.filter((r) => r.kind === "widening")).toHaveLength(WIDENINGS);
    expect(results.filter((r) => r.kind === "junk")).toHaveLength(JUNK);
  });

  test("the unmutated stacks pass: a review that blocked everything would make the checks above vacuous", () => {
    expect(verdict(stacks.dev(), "dev").outcome).toBe("pass");
    expect(verdict(stacks.prod(), "prod").outcome).toBe("pass");
  });
});
