// Brings the matchers' type declarations (the global jest.Matchers augmentation) into the program.
import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";

// Registers cdktf's matchers (toHaveResource, toHaveResourceWithProperties, ...).
Testing.setupJest();
