import { PRIVATE_KEY_HEADER } from "../core/pem";
import { Unknown } from "./value";

/**
 * Private keys the loader's PEM flag does not see: a PEM encoded with a function
 * (`base64decode("LS0tLS1CRUdJTi...")`), read from a file, or assembled by interpolation so that
 * no single string holds `-----BEGIN ... PRIVATE KEY-----`. The review cannot evaluate these
 * functions, so it recognises what they are applied to.
 */

/** The end of a private key's BEGIN or END line: a decoded run or an assembled text may hold only part of the header. */
const KEY_FENCE = /PRIVATE KEY-----/;

/** Base64 of a text at each of the three byte alignments: only the characters its bytes alone decide. */
function base64Markers(text: string): string[] {
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.from("A".repeat(shift) + text).toString("base64");
    return encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + text.length)) / 6));
  });
}

const KEY_MARKERS = base64Markers("PRIVATE KEY-----");
const MARKERS = [...KEY_MARKERS, ...base64Markers("-----BEGIN ")];
const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;
/** `file("…")`, `filebase64("…")`, `templatefile("…", …)`, whose path names a key (or a PEM of any kind). */
const FILE_READ = /\b(file|filebase64|templatefile|filesha256)\s*\(\s*"([^"]*)"/g;
const KEY_PATH = /key|\.p12$|\.pfx$|\.p8$|\.jks$/i;
const PEM_PATH = /\.pem$|\.crt$/i;

/** The base64 of the shortest PEM private key (an EC key) is far longer; shorter text is not read for one. */
const MIN_ENCODED_KEY = 100;

/** Why a string holds an encoded private key, or undefined. */
export function encodedKey(text: string): string | undefined {
  if (text.length < MIN_ENCODED_KEY || !MARKERS.some((m) => text.includes(m))) return undefined;
  for (const run of text.match(BASE64_RUN) ?? []) {
    for (let cut = 0; cut < 4; cut++) {
      const decoded = Buffer.from(run.slice(cut), "base64").toString("latin1");
      if (KEY_FENCE.test(decoded)) return "a base64-encoded PEM private key";
    }
  }
  return KEY_MARKERS.some((m) => text.includes(m)) ? "base64 text holding a PEM private-key marker" : undefined;
}

/**
 * Why an apply-time value may put a private key in the configuration: a function of an encoded
 * key, a key file read in, or a PEM block whose text is completed at apply time. "unknown" when
 * it reads a PEM file whose kind cannot be told.
 */
export function computedKey(value: Unknown): { readonly message: string; readonly unknown: boolean } | undefined {
  const encoded = encodedKey(value.expression);
  if (encoded) return { message: `${encoded}, decoded at apply time`, unknown: false };
  for (const [, fn, path] of value.expression.includes("file") ? value.expression.matchAll(FILE_READ) : []) {
    if (KEY_PATH.test(path)) return { message: `${fn}("${path}") reads a key file into the configuration and state`, unknown: false };
    if (PEM_PATH.test(path))
      return {
        message: `${fn}("${path}") reads a PEM file the review cannot see: if it holds a private key, the key lands in state`,
        unknown: true,
      };
  }
  const parts = value.parts;
  // A function building text (join, format, replace) holds its pieces in the expression itself.
  const expression = value.expression;
  if (!parts && (expression.includes("-----") || expression.includes("PRIV")) && !isKnownPublicPem(expression.replace(/"\s*,\s*"/g, ""))) {
    return { message: "a PEM block built by a function at apply time: the review cannot tell it from a private key", unknown: false };
  }
  // A part that is a whole private-key header is AUTH-2's literal finding already.
  // Only a template with a fence or key label in its literal text can be a PEM completed at apply time.
  if (
    parts &&
    parts.some((p) => typeof p === "string" && (p.includes("-----") || p.includes("PRIVATE"))) &&
    !parts.some((p) => typeof p === "string" && PRIVATE_KEY_HEADER.test(p))
  ) {
    const joined = parts.map((p) => (typeof p === "string" ? p : "\u0000")).join("");
    if (KEY_FENCE.test(joined.replace(/\u0000/g, ""))) return { message: "a PEM private key assembled by interpolation", unknown: false };
    if (joined.includes("-----") && !isKnownPublicPem(joined))
      return {
        message: "a PEM block completed by interpolation at apply time: the review cannot tell it from a private key",
        unknown: false,
      };
  }
  return undefined;
}

/** A template whose PEM fences are all literal public kinds, with holes only in the base64 body. */
function isKnownPublicPem(joined: string): boolean {
  const fences = joined.match(/-----[^-]*-----/g) ?? [];
  const fenceCount = (joined.match(/-----/g) ?? []).length;
  return (
    fences.length > 0 &&
    fences.length * 2 === fenceCount &&
    fences.every((f) => /^-----(BEGIN|END) (CERTIFICATE|CERTIFICATE REQUEST|PUBLIC KEY|X509 CRL)-----$/.test(f))
  );
}
