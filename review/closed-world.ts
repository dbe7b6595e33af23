import { Resource, ReviewModel } from "./model";
import { serviceRoleProblem } from "./service-roles";
import { isRecord, Unknown, Value } from "./value";

/**
 * The review's closed world: the resource types it understands, and what else in a stack can
 * touch the IoT segment. Anything that can, and that no rule understands, is a blocking unknown
 * (rule CW-1) until a reviewer suppresses it by address with a reason, or a rule learns it.
 */

/**
 * Managed resource types some rule evaluates, or that open no path and grant nothing (with why).
 * A type is listed only when every attribute that could widen access is read by the named rules.
 */
export const UNDERSTOOD_TYPES: ReadonlyMap<string, string> = new Map([
  ["aws_vpc", "NET-1..6, LOG-1"],
  ["aws_subnet", "NET-3, NET-5, NET-6, FW-2, FW-3"],
  ["aws_route_table", "NET-2, NET-6"],
  ["aws_default_route_table", "NET-2, NET-6"],
  ["aws_route", "NET-2, NET-6"],
  ["aws_route_table_association", "NET-2 (edge associations)"],
  ["aws_network_acl", "NET-5, NET-6"],
  ["aws_default_network_acl", "NET-5, NET-6"],
  ["aws_network_acl_rule", "NET-5, NET-6"],
  ["aws_network_acl_association", "NET-5, NET-6"],
  ["aws_security_group", "FW-1..4, NET-6"],
  ["aws_default_security_group", "NET-4"],
  ["aws_security_group_rule", "FW-1..4, NET-4, NET-6"],
  ["aws_vpc_security_group_ingress_rule", "FW-1..4, NET-4, NET-6"],
  ["aws_vpc_security_group_egress_rule", "FW-1..4, NET-4, NET-6"],
  ["aws_vpc_endpoint", "FW-1, FW-2, NET-2 (any endpoint but iot.data fails)"],
  ["aws_vpc_endpoint_security_group_association", "FW-1, FW-2"],
  ["aws_network_interface_sg_attachment", "FW-1, FW-2"],
  ["aws_internet_gateway", "NET-1"],
  ["aws_internet_gateway_attachment", "NET-1"],
  ["aws_egress_only_internet_gateway", "NET-1"],
  ["aws_nat_gateway", "NET-1"],
  ["aws_eip", "NET-3"],
  ["aws_eip_association", "NET-3"],
  ["aws_vpc_peering_connection", "NET-2"],
  ["aws_vpc_peering_connection_accepter", "NET-2"],
  ["aws_ec2_transit_gateway_vpc_attachment", "NET-2"],
  ["aws_vpn_gateway", "NET-2"],
  ["aws_vpn_gateway_attachment", "NET-2"],
  ["aws_vpn_connection", "NET-2"],
  ["aws_vpn_gateway_route_propagation", "NET-2"],
  ["aws_flow_log", "LOG-1"],
  ["aws_mq_broker", "TLS-2, MQ-1, FW-1, FW-2"],
  // Private DNS for the endpoint: names only, no path and no grant.
  ["aws_route53_zone", "inert: a private hosted zone maps names, it opens no path"],
  ["aws_route53_record", "inert: a DNS record opens no path"],
  // IoT and IAM resources of the stack moat writes; their rules belong to the identity checks.
  ["aws_iot_policy", "AUTHZ-1..3"],
  ["aws_iot_policy_attachment", "AUTHZ-1"],
  ["aws_iot_thing_group", "inert: a group grants nothing until a policy is attached"],
  ["aws_iot_ca_certificate", "AUTH-1"],
  ["aws_iot_certificate", "AUTH-1"],
  ["aws_iot_logging_options", "LOG-4"],
  ["aws_iot_domain_configuration", "TLS-1"],
]);

/** aws types that run code when Terraform plans or applies them: the code can create anything. */
const RUNS_CODE = /^aws_lambda_invocation/;

/**
 * Data source types that only read. Any other data source of a non-aws provider may run code
 * (`external`) or fetch from anywhere (`http`) at plan time.
 */
const isReadOnlyData = (type: string) => type.startsWith("aws_") && !RUNS_CODE.test(type);

/** Types whose resources are the segment itself: anything referring to one touches it. */
const SEGMENT_TYPES = new Set([
  "aws_vpc",
  "aws_subnet",
  "aws_route_table",
  "aws_default_route_table",
  "aws_network_acl",
  "aws_default_network_acl",
  "aws_security_group",
  "aws_default_security_group",
  "aws_vpc_endpoint",
  "aws_network_interface",
  "aws_subnets",
  "aws_security_groups",
  "aws_route_tables",
  "aws_network_acls",
  "aws_network_interfaces",
]);

/** Data sources that describe the account and region only: referring to one touches nothing. */
const DESCRIBES_CONTEXT = new Set([
  "aws_caller_identity",
  "aws_partition",
  "aws_region",
  "aws_iot_endpoint",
  "aws_availability_zones",
  "aws_iam_policy_document",
]);

/** Families of types that touch the segment or device identity whatever they refer to. */
const TOUCHING_FAMILIES: readonly (readonly [RegExp, string])[] = [
  [/^aws_iot/, "an IoT resource"],
  [
    /^aws_(vpc|subnet|route|network_|security_group|default_|eip|instance|launch_template|spot_|nat_|internet_gateway|egress_only|ec2_|ami|ebs_|placement_group|main_route_table|prefix_list)/,
    "an EC2 networking resource",
  ],
  [
    /^aws_(vpn|customer_gateway|dx_|networkfirewall|networkmanager|globalaccelerator|lb|alb|elb|verifiedaccess|vpclattice|ram_|route53_resolver|servicediscovery)/,
    "a VPN, Direct Connect or network resource",
  ],
  [
    /^aws_(cloudformation|servicecatalog|ssm_association|ssm_document|lambda_invocation)/,
    "a resource that builds other resources or runs code at apply time (CloudFormation, Service Catalog, SSM, a Lambda invocation)",
  ],
  [
    /^aws_(lambda_function|ecs_service|eks_|batch_|sagemaker_|emr|msk|mq_|apigatewayv2_vpc_link|api_gateway_vpc_link|elasticache|db_|rds_|redshift|opensearch|elasticsearch|efs_mount|fsx|directory_service|workspaces|apprunner|codebuild|appstream|memorydb|docdb|neptune|dms_|mwaa|transfer_)/,
    "a service that places interfaces in VPC subnets",
  ],
];

/** Literal ids of segment objects that a resource may name without a reference, alone or inside an ARN. */
const LITERAL_ID = /\b(vpc|subnet|rtb|acl|sg|vpce|eni|igw|nat|tgw|tgw-attach|pcx|vgw|eigw|cgw)-[0-9a-f]{8,17}\b/;

/** Why a resource that no rule understands can touch the segment, or undefined when it cannot. */
export function segmentContact(model: ReviewModel, resource: Resource): string | undefined {
  if (resource.mode === "data") {
    return isReadOnlyData(resource.type) ? undefined : "is a data source that runs code or a non-aws provider at plan time";
  }
  if (UNDERSTOOD_TYPES.has(resource.type)) return undefined;
  if (resource.type.startsWith("aws_iam_")) {
    // IAM is understood only in the shape of the stack's own service roles (review/service-roles.ts).
    const problem = serviceRoleProblem(model, resource);
    return problem && `is an IAM resource that ${problem}`;
  }
  if (!resource.type.startsWith("aws_")) return "belongs to a provider other than aws";
  for (const [pattern, what] of TOUCHING_FAMILIES) if (pattern.test(resource.type)) return `is ${what}`;
  for (const address of resource.references) {
    const target = model.get(address);
    if (target && SEGMENT_TYPES.has(target.type)) return `refers to ${address}, part of the segment`;
    // A data source read at plan time can return any id, a segment object's included.
    if (target?.mode === "data" && !DESCRIBES_CONTEXT.has(target.type))
      return `refers to ${address}, which may return the id of a segment object`;
  }
  const literal = literalSegmentId(resource.attributes);
  return literal ? `names ${literal}, the id of a segment object` : undefined;
}

function literalSegmentId(value: Value | undefined): string | undefined {
  if (typeof value === "string") return LITERAL_ID.exec(value)?.[0];
  if (value instanceof Unknown) return literalSegmentId(value.parts);
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = literalSegmentId(item);
      if (found) return found;
    }
    return undefined;
  }
  if (isRecord(value)) {
    for (const key in value) {
      const found = literalSegmentId(value[key]);
      if (found) return found;
    }
  }
  return undefined;
}

const NO_BLOCKS: readonly unknown[] = [];

/**
 * Meta-arguments of a resource body (as written, before evaluation) that make Terraform do what
 * the attributes do not show; read from the raw body so no resource is evaluated to ask.
 */
export function unevaluatedMeta(body: { readonly [key: string]: unknown }): string | undefined {
  if (Object.prototype.hasOwnProperty.call(body, "provisioner"))
    return "has a provisioner: Terraform runs its command (local-exec, remote-exec), which can create anything";
  const lifecycle = body.lifecycle;
  for (const block of lifecycle === undefined ? NO_BLOCKS : Array.isArray(lifecycle) ? lifecycle : [lifecycle]) {
    const ignored = typeof block === "object" && block !== null ? (block as Record<string, unknown>).ignore_changes : undefined;
    if (ignored !== undefined && ignored !== null && !(Array.isArray(ignored) && ignored.length === 0)) {
      return `ignores changes to ${JSON.stringify(ignored)}: Terraform will not undo a change made outside it, so what AWS holds may differ from what is reviewed`;
    }
  }
  if (Object.prototype.hasOwnProperty.call(body, "dynamic")) {
    const dynamic = body.dynamic;
    const names = (Array.isArray(dynamic) ? dynamic : [dynamic]).flatMap((d) =>
      typeof d === "object" && d !== null ? Object.keys(d) : [],
    );
    return `has dynamic blocks (${names.join(", ")}): their content depends on for_each, which the review does not expand`;
  }
  return undefined;
}

/** A part of a stack that Terraform applies and the review does not evaluate. */
export interface Unevaluated {
  /** `module.vpc`, `import`, `file extra.tf`, or a resource address. */
  readonly address: string;
  readonly why: string;
}

const unevaluated = new WeakMap<ReviewModel, readonly Unevaluated[]>();

/** Records, for a loaded model, what its loader read but could not evaluate. */
export function noteUnevaluated(model: ReviewModel, parts: readonly Unevaluated[]): void {
  unevaluated.set(model, [...(unevaluated.get(model) ?? []), ...parts]);
}

export function unevaluatedParts(model: ReviewModel): readonly Unevaluated[] {
  return unevaluated.get(model) ?? [];
}
