import { LineIndex } from "../../review/line-index";

/** The line of an offset by counting, the way an editor numbers lines. */
function naiveLine(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

describe("LineIndex", () => {
  // Lines of varied length, long enough to span many checkpoints.
  const text = Array.from({ length: 20_000 }, (_, i) => "x".repeat((i * 7919) % 53)).join("\n");

  test("numbers lines as counting does, in any order of lookups, across checkpoints", () => {
    const index = new LineIndex(text);
    const offsets = [
      0,
      1,
      text.length - 1,
      8191,
      8192,
      8193,
      16_384,
      50_000,
      3,
      123_456,
      40_000,
      text.indexOf("\n"),
      text.indexOf("\n") + 1,
    ];
    for (let i = 0; i < 200; i++) offsets.push((i * 104_729) % text.length);
    for (const offset of offsets) expect([offset, index.lineOf(offset)]).toEqual([offset, naiveLine(text, offset)]);
  });

  test("numbers lines as counting does when lookups come in file order, as a type's findings do", () => {
    const index = new LineIndex(text);
    for (let offset = 0; offset < text.length; offset += 997)
      expect([offset, index.lineOf(offset)]).toEqual([offset, naiveLine(text, offset)]);
    expect(index.lineOf(5)).toBe(naiveLine(text, 5));
  });

  test("a newline belongs to the line it ends", () => {
    const index = new LineIndex("a\nb\n\nc");
    expect([0, 1, 2, 3, 4, 5].map((o) => index.lineOf(o))).toEqual([1, 1, 2, 2, 3, 4]);
  });

  test("find returns the first needle present at or after `from`, with its line", () => {
    const index = new LineIndex('{\n  "a": {\n    "b": 1\n  },\n  "b": 2\n}');
    expect(index.find(['"b":'])).toEqual({ line: 3, offset: 15 });
    expect(index.find(['"zz"', '"b":'], 17)).toEqual({ line: 5, offset: 29 });
    expect(index.find(['"zz"'])).toBeUndefined();
  });
});
