import { toBeValidSarifLog } from "@microsoft/jest-sarif";

expect.extend({ toBeValidSarifLog });

/** Validates against the official SARIF 2.1.0 JSON Schema shipped by @microsoft/jest-sarif. */
export function expectValidSarif(log: unknown): void {
  (expect(log) as unknown as { toBeValidSarifLog(): void }).toBeValidSarifLog();
}

export function expectInvalidSarif(log: unknown): void {
  (expect(log).not as unknown as { toBeValidSarifLog(): void }).toBeValidSarifLog();
}
