import { IsolatedIotNetwork, IsolatedIotNetworkProps } from "../../constructs/network";
import { resourcesOf, synthWith } from "../support/synth";

/** Issue 18 item 2 and 9: flow-log delivery exactly as the VPC and CloudWatch Logs guides document it. */
const PLAN: IsolatedIotNetworkProps = {
  vpcCidr: "10.10.0.0/16",
  deviceSubnets: [{ az: "eu-west-1a", cidr: "10.10.0.0/20" }],
  endpointSubnets: [{ az: "eu-west-1a", cidr: "10.10.240.0/26" }],
};
const ACCOUNT = /^\$\{data\.aws_caller_identity\.[^.]+\.account_id\}$/;
const synth = (store: "s3" | "cloudwatch" | "both") =>
  synthWith((stack) => new IsolatedIotNetwork(stack, "iot", { ...PLAN, flowLogs: { store } }));

describe("flow logs to S3 with Hive-compatible partitions", () => {
  const result = synth("s3");
  const statements = JSON.parse(resourcesOf(result, "aws_s3_bucket_policy")[0].policy).Statement as Array<Record<string, any>>;
  const sid = (id: string) => statements.find((s) => s.Sid === id) as Record<string, any>;

  test("delivery may write under AWSLogs/aws-account-id=<account>/, the prefix AWS uses for Hive partitions", () => {
    const write = sid("FlowLogDeliveryWrite");
    expect(write.Resource).toMatch(
      /^\$\{aws_s3_bucket\.[^.]+\.arn\}\/AWSLogs\/aws-account-id=\$\{data\.aws_caller_identity\.[^.]+\.account_id\}\/\*$/,
    );
    expect(write).toMatchObject({ Effect: "Allow", Principal: { Service: "delivery.logs.amazonaws.com" }, Action: "s3:PutObject" });
    expect(write.Condition).toEqual({
      StringEquals: { "aws:SourceAccount": expect.stringMatching(ACCOUNT), "s3:x-amz-acl": "bucket-owner-full-control" },
      ArnLike: {
        "aws:SourceArn": expect.stringMatching(
          /^arn:\$\{data\.aws_partition\.[^.]+\.partition\}:logs:\$\{data\.aws_region\.[^.]+\.region\}:\$\{data\.aws_caller_identity\.[^.]+\.account_id\}:\*$/,
        ),
      },
    });
  });

  test("the ACL check statement grants both s3:GetBucketAcl and s3:ListBucket on the bucket", () => {
    expect(sid("FlowLogDeliveryAclCheck")).toMatchObject({
      Action: ["s3:GetBucketAcl", "s3:ListBucket"],
      Resource: expect.stringMatching(/^\$\{aws_s3_bucket\.[^.]+\.arn\}$/),
    });
  });

  test("the flow log is created only after the bucket policy, encryption, ownership controls and public access block", () => {
    const flowLog = resourcesOf(result, "aws_flow_log")[0];
    const expected = [
      "aws_s3_bucket_policy",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_public_access_block",
    ];
    for (const type of expected) expect(flowLog.depends_on).toContainEqual(expect.stringMatching(new RegExp(`^${type}\\.`)));
  });

  test("the key lets log delivery use it under the documented account and source-ARN conditions", () => {
    const key = JSON.parse(resourcesOf(result, "aws_kms_key")[0].policy).Statement.find(
      (s: { Sid: string }) => s.Sid === "FlowLogDeliveryToS3",
    );
    expect(key).toEqual({
      Sid: "FlowLogDeliveryToS3",
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": expect.stringMatching(ACCOUNT) },
        ArnLike: { "aws:SourceArn": expect.stringMatching(/:logs:.*:\*$/) },
      },
    });
  });
});

test("with flow logs to CloudWatch, the delivery role may also describe log groups (AWS lists it), read-only", () => {
  const statements = JSON.parse(resourcesOf(synth("cloudwatch"), "aws_iam_role_policy")[0].policy).Statement as Array<Record<string, any>>;
  expect(statements).toContainEqual({
    Effect: "Allow",
    Action: "logs:DescribeLogGroups",
    Resource: expect.stringMatching(
      /:logs:\$\{data\.aws_region\.[^.]+\.region\}:\$\{data\.aws_caller_identity\.[^.]+\.account_id\}:log-group:\*$/,
    ),
  });
  expect(statements.flatMap((s) => ([] as string[]).concat(s.Action)).sort()).toEqual([
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
  ]);
});
