import { findingsOf, moatStack } from "./fixture-stack";

describe("the hand-written compliant fixture", () => {
  it("reviews clean under every rule", () => {
    expect(findingsOf(moatStack()).map((f) => `${f.rule} ${f.resource}: ${f.message}`)).toEqual([]);
  });
});
