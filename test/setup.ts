// Brings the matchers' type declarations (the global jest.Matchers augmentation) into the program.
import "cdktf/lib/testing/adapters/jest";
import * as path from "node:path";
import { Testing } from "cdktf";

// Environment stacks read the broker CA's public PEM from the PKI store: tests use the
// committed test CA (public certificates only, see test/fixtures/pki/README.md).
// The caller's shell must not change results: a CA operator's MOAT_CA_PASSPHRASE or MOAT_PKI_DIR
// would otherwise reach every in-process command and every child a test spawns with process.env.
process.env.MOAT_PKI_DIR = path.join(__dirname, "fixtures", "pki");
delete process.env.MOAT_CA_PASSPHRASE;
delete process.env.MOAT_REVIEW_AT_SYNTH;

// Registers cdktf's matchers (toHaveResource, toHaveResourceWithProperties, ...).
Testing.setupJest();
