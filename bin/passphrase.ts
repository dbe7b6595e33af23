import { readFileSync } from "node:fs";
import { MoatError } from "../errors";

/**
 * The CA key passphrase of `moat pki` and `moat lab`: the `--passphrase-file` (one trailing
 * newline dropped, as `echo` writes it), else MOAT_CA_PASSPHRASE, else none (an unencrypted lab CA).
 */
export function readPassphrase(file: string | undefined): string | undefined {
  if (file === undefined) return process.env.MOAT_CA_PASSPHRASE || undefined;
  try {
    return readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch {
    throw new MoatError(`passphrase file ${file} cannot be read; check the path`);
  }
}
