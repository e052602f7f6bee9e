import { Testing } from "cdktf";
// Brings the matchers' types (a global augmentation of jest.Matchers) into the test build.
import "cdktf/lib/testing/adapters/jest";

// CDKTF's Jest matchers: toHaveResourceWithProperties, toHaveProviderWithProperties, ...
Testing.setupJest();
