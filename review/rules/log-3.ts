import { flowLogs } from "../flow-logs";
import { Resource, ReviewModel } from "../model";
import { readPolicy } from "../policy-document";
import { fail, RuleCheck, unknown, Violation } from "../rule";
import { blocks, isRecord, Ref, Value } from "../value";

const PUBLIC_ACCESS_FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
const KMS_ALGORITHMS = ["aws:kms", "aws:kms:dsse"];

/** LOG-3: an S3 flow-log store blocks public access, encrypts with SSE-KMS, keeps versions, refuses plain HTTP and expires by lifecycle. */
export const hardenedLogBucket: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const buckets = new Set<Resource>();
  for (const { log, store, target } of flowLogs(model)) {
    if (store !== "s3") continue;
    if (target?.type === "aws_s3_bucket") buckets.add(target);
    else violations.push(unknown(log.address, `log destination ${String(log.attributes.log_destination)} is not a bucket of this stack`));
  }
  for (const bucket of buckets) {
    const companion = (type: string) => model.ofType(type).filter((r) => r.attributes.bucket instanceof Ref && r.attributes.bucket.address === bucket.address);
    const problems: string[] = [];

    const access = companion("aws_s3_bucket_public_access_block");
    if (!access.some((a) => PUBLIC_ACCESS_FLAGS.every((flag) => a.attributes[flag] === true))) problems.push("public access is not fully blocked (aws_s3_bucket_public_access_block with all four flags true)");

    const encryption = companion("aws_s3_bucket_server_side_encryption_configuration");
    if (!encryption.some((e) => blocks(e.attributes.rule).some(isKmsRule))) problems.push("no SSE-KMS default encryption with a KMS key");

    const versioning = companion("aws_s3_bucket_versioning");
    if (!versioning.some((v) => blocks(v.attributes.versioning_configuration).some((c) => isRecord(c) && c.status === "Enabled"))) problems.push("versioning is not enabled");

    const lifecycle = companion("aws_s3_bucket_lifecycle_configuration");
    if (!lifecycle.some((l) => blocks(l.attributes.rule).some((r) => isRecord(r) && r.status === "Enabled"))) problems.push("no enabled lifecycle rule");

    const policies = companion("aws_s3_bucket_policy");
    const tls = policies.map((p) => deniesPlainHttp(model, p.attributes.policy));
    if (tls.includes("unknown") && !tls.includes(true)) violations.push(unknown(bucket.address, "the bucket policy is known only at apply time, so TLS-only access cannot be checked"));
    else if (!tls.includes(true)) problems.push('no bucket policy denies requests with "aws:SecureTransport" = false');

    problems.forEach((p) => violations.push(fail(bucket.address, `flow-log bucket: ${p}`)));
  }
  return violations;
};

function isKmsRule(rule: Value): boolean {
  if (!isRecord(rule)) return false;
  return blocks(rule.apply_server_side_encryption_by_default).some(
    (d) => isRecord(d) && typeof d.sse_algorithm === "string" && KMS_ALGORITHMS.includes(d.sse_algorithm) && d.kms_master_key_id !== undefined && d.kms_master_key_id !== null,
  );
}

function deniesPlainHttp(model: ReviewModel, policy: Value | undefined): boolean | "unknown" {
  const reading = readPolicy(model, policy);
  if ("problem" in reading) return reading.unknown ? "unknown" : false;
  return reading.statements.some(
    (s) => s.effect === "Deny" && s.conditions.some((c) => c.test === "Bool" && c.variable.toLowerCase() === "aws:securetransport" && c.values.every((v) => v === false || v === "false")),
  );
}
