import { MIN_REASON_CHARS, MIN_REASON_WORDS, reasonProblem } from "../../core/reason";

describe("reasonProblem: one rule for every reason", () => {
  test.each([
    ["the shared-services stack owns IoT logging", undefined],
    ["  a test CA made here, never deployed  ", undefined],
    [undefined, "is missing; give one line of at least 4 words and 20 characters that says why"],
    ["   ", "is missing; give one line of at least 4 words and 20 characters that says why"],
    ["because", "is under a sentence (1 word, 7 characters); give one line of at least 4 words and 20 characters that says why"],
    [
      "accepted-by-the-security-team",
      "is under a sentence (1 word, 29 characters); give one line of at least 4 words and 20 characters that says why",
    ],
    ["ok it is fine", "is under a sentence (4 words, 13 characters); give one line of at least 4 words and 20 characters that says why"],
    ["first line of it\nsecond line of it", "spans several lines; give one line of at least 4 words and 20 characters that says why"],
  ])("%j -> %j", (text, expected) => {
    expect(reasonProblem(text)).toBe(expected);
  });

  test("the limits are the ones the messages state", () => {
    expect([MIN_REASON_WORDS, MIN_REASON_CHARS]).toEqual([4, 20]);
    expect(reasonProblem("a b c " + "d".repeat(MIN_REASON_CHARS - 6))).toBeUndefined();
    expect(reasonProblem("a b c " + "d".repeat(MIN_REASON_CHARS - 7))).toMatch(/under a sentence \(4 words, 19 characters\)/);
  });
});
