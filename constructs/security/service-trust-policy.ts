/**
 * The trust policy of a role an AWS service assumes on this account's behalf. The
 * `aws:SourceAccount` condition (and `aws:SourceArn`, when given) keeps another account's use of
 * the same service from assuming it: the confused-deputy guard AWS recommends.
 */
export function serviceTrustPolicy(service: string, accountId: string, sourceArnLike?: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ...(sourceArnLike !== undefined && { ArnLike: { "aws:SourceArn": sourceArnLike } }),
        },
      },
    ],
  });
}
