import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";

// The anchor for bench/synth.ts: the smallest real cdktf app (one provider, one resource).
const app = new App();
const stack = new TerraformStack(app, "one-resource");
new AwsProvider(stack, "aws", { region: "eu-west-1" });
new Vpc(stack, "vpc", { cidrBlock: "10.0.0.0/16" });
app.synth();
