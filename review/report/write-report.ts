import { writeFileAtomic } from "../../core/atomic-file";
import { MoatError } from "../../errors";

/**
 * Writes a report whole or not at all: CI uploads the file even when the review fails, and a
 * half-written SARIF would be refused by code scanning.
 */
export function writeReport(file: string, report: string): void {
  try {
    writeFileAtomic(file, report, { durable: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new MoatError(`--out ${file}: cannot write the report (${code}); give a path in an existing, writable directory`);
  }
}
