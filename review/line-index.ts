/** Line numbers of offsets in a file's text, computed once per file (a review of 10,000 resources asks often). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  /** 1-based line of `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** 1-based line of the first of `needles` found at or after `from`, with the offset found. */
  find(needles: readonly string[], from = 0): { line: number; offset: number } | undefined {
    for (const needle of needles) {
      const offset = this.text.indexOf(needle, from);
      if (offset !== -1) return { line: this.lineOf(offset), offset };
    }
    return undefined;
  }
}
