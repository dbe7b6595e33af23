/** Text between checkpoints: a line lookup scans at most this much. */
const STRIDE = 8192;

/**
 * Line numbers of offsets in a file's text. Findings ask for a few hundred lines of a file that
 * may have hundreds of thousands, so no table of every line start is built: the line number at
 * every STRIDE characters is recorded as far as lookups have reached, and a lookup counts the
 * newlines from the checkpoint before its offset.
 */
export class LineIndex {
  /** `checkpoints[k]`: the 1-based line of offset `k * STRIDE`. */
  private readonly checkpoints: number[] = [1];
  /** Offset of the last newline: past it no count needs a search (a plan as Terraform writes it is one line). */
  private readonly lastNewline: number;

  constructor(private readonly text: string) {
    this.lastNewline = text.lastIndexOf("\n");
  }

  /** The last offset looked up and its line: lookups in file order count on from there. */
  private lastOffset = 0;
  private lastLine = 1;

  /** 1-based line of `offset`. */
  lineOf(offset: number): number {
    const at = Math.max(0, Math.min(offset, this.text.length));
    const k = Math.floor(at / STRIDE);
    for (let j = this.checkpoints.length; j <= k; j++) {
      this.checkpoints.push(this.checkpoints[j - 1] + this.newlines((j - 1) * STRIDE, j * STRIDE));
    }
    const line =
      this.lastOffset <= at && this.lastOffset >= k * STRIDE
        ? this.lastLine + this.newlines(this.lastOffset, at)
        : this.checkpoints[k] + this.newlines(k * STRIDE, at);
    this.lastOffset = at;
    this.lastLine = line;
    return line;
  }

  /** 1-based line of the first of `needles` found at or after `from`, with the offset found. */
  find(needles: readonly string[], from = 0): { line: number; offset: number } | undefined {
    const offset = this.offsetOf(needles, from);
    return offset === undefined ? undefined : { line: this.lineOf(offset), offset };
  }

  /** Offset of the first of `needles` found at or after `from`; its line is counted only if asked for. */
  offsetOf(needles: readonly string[], from = 0): number | undefined {
    for (const needle of needles) {
      const offset = this.text.indexOf(needle, from);
      if (offset !== -1) return offset;
    }
    return undefined;
  }

  /** Newlines in `text[from, to)`. */
  private newlines(from: number, to: number): number {
    if (from > this.lastNewline) return 0;
    let count = 0;
    for (let i = this.text.indexOf("\n", from); i !== -1 && i < to; i = this.text.indexOf("\n", i + 1)) count++;
    return count;
  }
}
