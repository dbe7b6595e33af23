import { derived, Resource, ReviewModel } from "./model";
import { readPolicy } from "./policy-document";
import { knownText } from "./segment";
import { isRecord, Value } from "./value";

/**
 * The IAM the review understands: the service roles a moat stack needs (VPC flow-log delivery,
 * IoT logging, just-in-time provisioning) and their inline policies. Anything beyond that shape is
 * IAM the review cannot bound (a role devices could assume through a role alias, a policy with a
 * wildcard, a provisioning role allowed to attach any IoT policy) and so a closed-world unknown.
 */

/** Services allowed to assume a role of the stack, and why each needs to. */
const SERVICES = new Set([
  "vpc-flow-logs.amazonaws.com", // delivers the segment's flow logs
  "iot.amazonaws.com", // IoT logging, and just-in-time provisioning of device certificates
]);

/** Actions the stack's service roles need; `iot:AttachPolicy` only on policies the stack defines. */
const ACTIONS = new Set([
  "logs:CreateLogGroup",
  "logs:CreateLogStream",
  "logs:PutLogEvents",
  "logs:DescribeLogGroups",
  "logs:DescribeLogStreams",
  "logs:PutMetricFilter",
  "logs:PutRetentionPolicy",
  "iot:CreateThing",
  "iot:DescribeThing",
  "iot:AddThingToThingGroup",
  "iot:AttachThingPrincipal",
  "iot:ListThingGroupsForThing",
  "iot:DescribeCertificate",
  "iot:UpdateCertificate",
  "iot:RegisterThing",
  "iot:AttachPolicy",
  "iot:GetPolicy",
]);

/** Why an IAM role or role policy is beyond what the review understands; undefined when it is a service role it knows. */
export function serviceRoleProblem(model: ReviewModel, resource: Resource): string | undefined {
  if (resource.type === "aws_iam_role") return roleProblem(resource);
  if (resource.type === "aws_iam_role_policy") return rolePolicyProblem(model, resource);
  if (resource.type === "aws_iam_role_policy_attachment") return attachmentProblem(model, resource);
  return "no rule evaluates (IoT role aliases, topic rules and provisioning act through IAM)";
}

function roleProblem(role: Resource): string | undefined {
  const a = role.attributes;
  for (const key of ["managed_policy_arns", "inline_policy", "permissions_boundary"]) {
    if (a[key] !== undefined && a[key] !== null && !(Array.isArray(a[key]) && a[key].length === 0))
      return `sets ${key}, whose permissions no rule evaluates`;
  }
  const trust = parseWithHoles(a.assume_role_policy);
  if (!isRecord(trust)) return "has a trust policy the review cannot read";
  const statements = Array.isArray(trust.Statement) ? trust.Statement : [trust.Statement];
  for (const statement of statements) {
    if (!isRecord(statement) || statement.Effect !== "Allow") continue;
    const principal = statement.Principal;
    const services = isRecord(principal) && Object.keys(principal).length === 1 ? principal.Service : undefined;
    const list = Array.isArray(services) ? services : [services];
    if (!list.every((s) => typeof s === "string" && SERVICES.has(s)))
      return `lets ${JSON.stringify(principal)} assume it; only ${[...SERVICES].join(", ")} are understood`;
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    if (!actions.every((x) => x === "sts:AssumeRole"))
      return `grants ${JSON.stringify(statement.Action)} in its trust policy; only sts:AssumeRole is understood`;
  }
  return undefined;
}

/**
 * The one managed policy a stack role may carry: AWSIoTThingsRegistration, which AWS's
 * just-in-time provisioning page requires of the provisioning role, on a role only IoT assumes.
 */
const JITP_MANAGED_POLICY = /^arn:aws(-cn|-us-gov)?:iam::aws:policy\/service-role\/AWSIoTThingsRegistration$/;

function attachmentProblem(model: ReviewModel, attachment: Resource): string | undefined {
  const role = model.target(attachment.attributes.role);
  if (role?.type !== "aws_iam_role") return `is attached to ${String(attachment.attributes.role)}, not a role of this stack`;
  const arn = knownText(attachment.attributes.policy_arn);
  if (arn === undefined || !JITP_MANAGED_POLICY.test(arn))
    return `attaches ${String(attachment.attributes.policy_arn)}; only AWSIoTThingsRegistration (for just-in-time provisioning) is understood`;
  if (!trustedOnlyBy(role, "iot.amazonaws.com"))
    return "attaches AWSIoTThingsRegistration to a role that a principal other than iot.amazonaws.com may assume";
  return roleProblem(role);
}

function trustedOnlyBy(role: Resource, service: string): boolean {
  const trust = parseWithHoles(role.attributes.assume_role_policy);
  if (!isRecord(trust)) return false;
  const statements = (Array.isArray(trust.Statement) ? trust.Statement : [trust.Statement]).filter(
    (s) => isRecord(s) && s.Effect === "Allow",
  );
  return (
    statements.length > 0 &&
    statements.every((s) => isRecord(s) && isRecord(s.Principal) && [s.Principal.Service].flat().every((x) => x === service))
  );
}

/** The names of the stack's IoT policies, once per model: every role policy of a large stack asks. */
const iotPolicyNames = derived(
  (model: ReviewModel): ReadonlySet<Value> =>
    new Set(
      model
        .ofType("aws_iot_policy")
        .map((p) => p.attributes.name)
        .filter((n) => typeof n === "string"),
    ),
);

function rolePolicyProblem(model: ReviewModel, policy: Resource): string | undefined {
  const role = model.target(policy.attributes.role);
  if (role?.type !== "aws_iam_role") return `is attached to ${String(policy.attributes.role)}, not a role of this stack`;
  const reading = readPolicy(model, policy.attributes.policy);
  if ("problem" in reading) return reading.problem;
  const policyNames = iotPolicyNames(model);
  for (const statement of reading.statements) {
    if (statement.effect !== "Allow") continue;
    if (statement.notAction || statement.notResource) return "uses NotAction or NotResource, which no rule can bound";
    for (const action of statement.actions) {
      if (typeof action !== "string" || !ACTIONS.has(action)) return `grants ${String(action)}, beyond what the stack's service roles need`;
    }
    if (statement.actions.includes("iot:AttachPolicy")) {
      for (const resource of statement.resources) {
        const text = knownText(resource);
        const name = text === undefined ? undefined : /:policy\/(.+)$/.exec(text)?.[1];
        if (text !== undefined && !text.includes(":policy/")) continue;
        if (name === undefined || !policyNames.has(name))
          return `lets its role attach ${String(resource)}, not an IoT policy this stack defines`;
      }
    }
  }
  return undefined;
}

/** A JSON policy text with apply-time holes (as a placeholder), parsed; undefined when it is not JSON. */
function parseWithHoles(value: Value | undefined): Value | undefined {
  const text = knownText(value);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text.replace(/\u0000/g, "HOLE")) as Value;
  } catch {
    return undefined;
  }
}
