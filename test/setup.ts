// Brings the matchers' type declarations (the global jest.Matchers augmentation) into the program.
import "cdktf/lib/testing/adapters/jest";
import * as path from "node:path";
import { Testing } from "cdktf";

// Environment stacks read the broker CA's public PEM from the PKI store: tests use the
// committed test CA (public certificates only, see test/fixtures/pki/README.md).
process.env.MOAT_PKI_DIR ??= path.join(__dirname, "fixtures", "pki");

// Registers cdktf's matchers (toHaveResource, toHaveResourceWithProperties, ...).
Testing.setupJest();
