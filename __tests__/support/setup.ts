import { Testing } from "cdktf";

// CDKTF's Jest matchers: toHaveResourceWithProperties, toBeValidTerraform, ...
Testing.setupJest();
