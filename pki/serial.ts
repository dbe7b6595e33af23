import { randomBytes } from "node:crypto";

/**
 * A new serial: 16 CSPRNG bytes (RFC 5280 allows up to 20; CA/B asks for >= 64 random bits),
 * positive (top bit clear) and minimally encoded (first byte not zero), not in `taken`.
 * Returns uppercase hex, the form openssl and Node's X509Certificate print.
 */
export function newSerial(taken: ReadonlySet<string>): string {
  for (;;) {
    const bytes = randomBytes(16);
    bytes[0] &= 0x7f;
    if (bytes[0] === 0) continue;
    const hex = bytes.toString("hex").toUpperCase();
    if (!taken.has(hex)) return hex;
  }
}

/**
 * `count` new serials as {@link newSerial} draws them, each added to `taken`: the random bytes
 * of all of them come from one CSPRNG call (bulk draws a batch at once).
 */
export function newSerials(count: number, taken: Set<string>): string[] {
  const bytes = randomBytes(16 * count);
  const serials: string[] = [];
  for (let i = 0; i < count; i++) {
    bytes[16 * i] &= 0x7f;
    // Each serial a string of its own: slices of one long hex string made Set lookups slow down as the run grew.
    let serial = bytes.toString("hex", 16 * i, 16 * i + 16).toUpperCase();
    if (bytes[16 * i] === 0 || taken.has(serial)) serial = newSerial(taken);
    taken.add(serial);
    serials.push(serial);
  }
  return serials;
}

/** Canonical form of a serial typed by a person: uppercase hex, no colons, no leading zeros beyond one byte. */
export function normalizeSerial(text: string): string | undefined {
  const hex = text.trim().replace(/:/g, "").toUpperCase();
  if (!/^[0-9A-F]{1,40}$/.test(hex)) return undefined;
  return hex.length % 2 === 1 ? "0" + hex : hex;
}
