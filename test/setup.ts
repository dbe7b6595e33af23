// Brings the matchers' type declarations (the global jest.Matchers augmentation) into the program;
// a type-only import, so no suite loads cdktf for it.
import type {} from "cdktf/lib/testing/adapters/jest";
import * as path from "node:path";
import { removeScratchDirs } from "./support/scratch";

// Environment stacks read the broker CA's public PEM from the PKI store: tests use the
// committed test CA (public certificates only, see test/fixtures/pki/README.md).
// The caller's shell must not change results: a CA operator's MOAT_CA_PASSPHRASE or MOAT_PKI_DIR
// would otherwise reach every in-process command and every child a test spawns with process.env.
process.env.MOAT_PKI_DIR = path.join(__dirname, "fixtures", "pki");
delete process.env.MOAT_CA_PASSPHRASE;
delete process.env.MOAT_REVIEW_AT_SYNTH;

// cdktf's matchers (toHaveResource, toHaveResourceWithProperties, ...), as Testing.setupJest()
// registers them, but loaded on first use: few suites call one, and loading cdktf in every suite
// (this file runs before each) would cost the others that time.
type Matcher = (this: jest.MatcherContext, ...args: unknown[]) => jest.CustomMatcherResult;
const CDKTF_MATCHERS = [
  "toHaveResource",
  "toHaveResourceWithProperties",
  "toHaveDataSource",
  "toHaveDataSourceWithProperties",
  "toHaveProvider",
  "toHaveProviderWithProperties",
  "toBeValidTerraform",
  "toPlanSuccessfully",
] as const;
let cdktfMatchers: Record<string, Matcher> | undefined;

/** The matchers cdktf's setupJest() registers, taken from the object it hands to expect.extend. */
function loadCdktfMatchers(): Record<string, Matcher> {
  if (cdktfMatchers) return cdktfMatchers;
  const extend = expect.extend;
  try {
    expect.extend = (matchers) => {
      cdktfMatchers = matchers as Record<string, Matcher>;
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    (require("cdktf/lib/testing/adapters/jest") as { setupJest(): void }).setupJest();
  } finally {
    expect.extend = extend;
  }
  const missing = CDKTF_MATCHERS.filter((name) => !cdktfMatchers?.[name]);
  if (missing.length > 0) throw new Error(`test/setup.ts: cdktf's setupJest() no longer registers ${missing.join(", ")}`);
  return cdktfMatchers!;
}

expect.extend(
  Object.fromEntries(
    CDKTF_MATCHERS.map((name) => [
      name,
      function (this: jest.MatcherContext, ...args: unknown[]) {
        return loadCdktfMatchers()[name].apply(this, args);
      },
    ]),
  ),
);

// Directories the suite made with scratchDir() go when its last test has run.
afterAll(removeScratchDirs);
