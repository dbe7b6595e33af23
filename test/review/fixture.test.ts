import { findingsOf, moatStack } from "./fixture-stack";

describe("the hand-written compliant fixture", () => {
  test("reviews clean under every rule, but for TLS-3's account-level advisory on its endpoint", () => {
    expect(findingsOf(moatStack()).map((f) => `${f.rule} ${f.resource}: ${f.message}`)).toEqual([
      expect.stringMatching(/^TLS-3 aws_vpc_endpoint\.endpoint: the AWS-created iot:Data-ATS/),
    ]);
  });
});
