import { flowLogs } from "../../flow-logs";
import { foreignGrants, keyProblems } from "../../kms-key";
import { Resource, ReviewModel } from "../../model";
import { readPolicy, Statement } from "../../policy-document";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { knownText } from "../../segment";
import { blocks, isRecord, Ref, Unknown, Value } from "../../value";

const PUBLIC_ACCESS_FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
const KMS_ALGORITHMS = ["aws:kms", "aws:kms:dsse"];

/** LOG-3: an S3 flow-log store blocks public access, encrypts with SSE-KMS, keeps versions, refuses plain HTTP and expires by lifecycle. */
export const hardenedLogBucket: RuleCheck = (model, context) => {
  const minimum = context.minRetentionDays ?? 365;
  const violations: Violation[] = [];
  const buckets = new Set<Resource>();
  for (const { log, store, target } of flowLogs(model)) {
    if (store !== "s3") continue;
    if (target?.type === "aws_s3_bucket") buckets.add(target);
    else violations.push(unknown(log.address, `log destination ${String(log.attributes.log_destination)} is not a bucket of this stack`));
  }
  for (const bucket of buckets) {
    const companion = (type: string) =>
      model.ofType(type).filter((r) => r.attributes.bucket instanceof Ref && r.attributes.bucket.address === bucket.address);
    const problems: string[] = [];

    const access = companion("aws_s3_bucket_public_access_block");
    if (!access.some((a) => PUBLIC_ACCESS_FLAGS.every((flag) => a.attributes[flag] === true)))
      problems.push("public access is not fully blocked (aws_s3_bucket_public_access_block with all four flags true)");

    const encryption = companion("aws_s3_bucket_server_side_encryption_configuration");
    if (!encryption.some((e) => blocks(e.attributes.rule).some(isKmsRule))) problems.push("no SSE-KMS default encryption with a KMS key");
    for (const e of encryption) {
      for (const rule of blocks(e.attributes.rule)) {
        for (const d of isRecord(rule) ? blocks(rule.apply_server_side_encryption_by_default) : [])
          if (isRecord(d)) violations.push(...keyProblems(model, e, d.kms_master_key_id, "the flow-log bucket's KMS key"));
      }
    }

    const versioning = companion("aws_s3_bucket_versioning");
    if (!versioning.some((v) => blocks(v.attributes.versioning_configuration).some((c) => isRecord(c) && c.status === "Enabled")))
      problems.push("versioning is not enabled");

    const lifecycle = companion("aws_s3_bucket_lifecycle_configuration");
    if (!lifecycle.some((l) => blocks(l.attributes.rule).some((r) => isRecord(r) && r.status === "Enabled")))
      problems.push("no enabled lifecycle rule");
    for (const l of lifecycle) violations.push(...earlyExpiry(l, minimum));

    for (const copy of companion("aws_s3_bucket_replication_configuration"))
      violations.push(
        fail(copy.address, "replicates the flow-log bucket to another bucket, outside this store's key, retention and access checks"),
      );
    for (const point of companion("aws_s3_access_point"))
      violations.push(
        fail(
          point.address,
          "an access point on the flow-log bucket: its own policy and network origin grant access beside the bucket policy",
        ),
      );
    for (const acl of companion("aws_s3_bucket_acl")) {
      if (acl.attributes.acl !== "private" || blocks(acl.attributes.access_control_policy).length > 0)
        violations.push(
          fail(
            acl.address,
            `a bucket ACL (${String(acl.attributes.acl ?? "access_control_policy grants")}) grants access outside the bucket policy; remove it (BucketOwnerEnforced ownership disables ACLs)`,
          ),
        );
    }

    const policies = companion("aws_s3_bucket_policy");
    for (const p of policies) {
      const reading = readPolicy(model, p.attributes.policy);
      if (!("problem" in reading))
        for (const st of reading.statements.filter((x) => x.effect === "Allow"))
          violations.push(...foreignGrants(model, st, p.address, "the flow-log bucket policy"));
    }
    const tls = policies.map((p) => deniesPlainHttp(model, p.attributes.policy, bucket));
    if (tls.includes("unknown") && !tls.includes(true))
      violations.push(unknown(bucket.address, "the bucket policy is known only at apply time, so TLS-only access cannot be checked"));
    else if (!tls.includes(true)) problems.push('no bucket policy denies requests with "aws:SecureTransport" = false');

    problems.forEach((p) => violations.push(fail(bucket.address, `flow-log bucket: ${p}`)));
  }
  return violations;
};

function isKmsRule(rule: Value): boolean {
  if (!isRecord(rule)) return false;
  return blocks(rule.apply_server_side_encryption_by_default).some(
    (d) =>
      isRecord(d) &&
      typeof d.sse_algorithm === "string" &&
      KMS_ALGORITHMS.includes(d.sse_algorithm) &&
      d.kms_master_key_id !== undefined &&
      d.kms_master_key_id !== null,
  );
}

/**
 * True when a statement denies every request over plain HTTP: Deny, to every principal, every S3
 * action, on the bucket and its objects, with `aws:SecureTransport = false` as its only condition.
 * A deny narrowed by principal, action, resource or an extra condition lets the rest through.
 */
function deniesPlainHttp(model: ReviewModel, policy: Value | undefined, bucket: Resource): boolean | "unknown" {
  const reading = readPolicy(model, policy);
  if ("problem" in reading) return reading.unknown ? "unknown" : false;
  return reading.statements.some(
    (s) => s.effect === "Deny" && isPlainHttpCondition(s) && everyone(s) && everyS3Action(s) && coversBucket(s, bucket),
  );
}

function isPlainHttpCondition(s: Statement): boolean {
  return (
    s.conditions.length === 1 &&
    s.conditions.every(
      (c) =>
        c.test === "Bool" &&
        c.variable.toLowerCase() === "aws:securetransport" &&
        c.values.length > 0 &&
        c.values.every((v) => v === false || v === "false"),
    )
  );
}

function everyone(s: Statement): boolean {
  return !s.notPrincipal && s.principals.some((p) => (p.kind === "*" || p.kind === "AWS") && p.value === "*");
}

function everyS3Action(s: Statement): boolean {
  return !s.notAction && s.actions.some((a) => a === "*" || (typeof a === "string" && a.toLowerCase() === "s3:*"));
}

/** The statement names the bucket itself and all its objects (`<arn>` and `<arn>/*`, or `*`). */
function coversBucket(s: Statement, bucket: Resource): boolean {
  if (s.notResource) return false;
  const isBucket = (r: Value) => r === "*" || (r instanceof Ref && r.address === bucket.address && r.attribute === "arn");
  const isObjects = (r: Value) => {
    if (r === "*") return true;
    if (!(r instanceof Unknown) || !r.parts || r.parts.length !== 2) return false;
    const [arn, rest] = r.parts;
    return arn instanceof Ref && arn.address === bucket.address && arn.attribute === "arn" && rest === "/*";
  };
  return s.resources.some(isBucket) && s.resources.some(isObjects);
}

/** Lifecycle rules that delete log objects before the retention the environment promises. */
function earlyExpiry(lifecycle: Resource, minimum: number): Violation[] {
  const out: Violation[] = [];
  for (const rule of blocks(lifecycle.attributes.rule)) {
    if (!isRecord(rule) || rule.status === "Disabled") continue;
    for (const expiration of blocks(rule.expiration)) {
      if (!isRecord(expiration)) continue;
      const { days, date } = expiration;
      if (typeof days === "number" && days < minimum)
        out.push(
          fail(lifecycle.address, `rule ${String(rule.id)} expires log objects after ${days} days, before the ${minimum}-day retention`),
        );
      else if (days !== undefined && days !== null && typeof days !== "number")
        out.push(unknown(lifecycle.address, `rule ${String(rule.id)}: expiration days ${String(days)} is known only at apply time`));
      if (date !== undefined && date !== null)
        out.push(
          fail(
            lifecycle.address,
            `rule ${String(rule.id)} expires every log object on ${knownText(date) ?? String(date)}, whatever its age`,
          ),
        );
    }
  }
  return out;
}
