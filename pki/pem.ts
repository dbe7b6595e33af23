import { MoatError } from "../errors";

/** PEM armour: base64 in 64-character lines between BEGIN/END labels (RFC 7468). */
export const toPem = (label: string, der: Buffer): string => base64ToPem(label, der.toString("base64"));

/** PEM armour around DER already in base64 (the journal holds each certificate so). */
export function base64ToPem(label: string, b64: string): string {
  let body = "";
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + "\n";
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----/g;

/** Every PEM block in `text`, in order, with its label. */
export function pemBlocks(text: string): { label: string; der: Buffer }[] {
  // Node's base64 decoder skips the line breaks itself; bulk reads every CSR through here.
  const blocks: { label: string; der: Buffer }[] = [];
  BLOCK.lastIndex = 0;
  for (let m = BLOCK.exec(text); m !== null; m = BLOCK.exec(text)) blocks.push({ label: m[1], der: Buffer.from(m[2], "base64") });
  return blocks;
}

/**
 * The DER of the one PEM block in `text` whose label is one of `labels`.
 * `what` names the input (file path) for the error line.
 */
export function fromPem(text: string, labels: readonly string[], what: string): Buffer {
  const blocks = pemBlocks(text).filter((b) => labels.includes(b.label));
  if (blocks.length !== 1) {
    const found = blocks.length === 0 ? "none" : `${blocks.length}`;
    throw new MoatError(
      `${what}: expected exactly one PEM block labelled ${labels.join(" or ")}, found ${found}; supply a PEM file (openssl ... -outform PEM)`,
    );
  }
  return blocks[0].der;
}
