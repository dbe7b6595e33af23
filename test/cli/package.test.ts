import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { sharedBuild } from "../support/built-package";
import { ROOT } from "../support/run-moat";
import { scratchDir } from "../support/scratch";

/**
 * What a platform team does: `import { IsolatedIotNetwork, Peer, Port } from "moat"` in its own
 * cdktf stack. Builds the package as published (tsconfig.build.json + package.json exports) into
 * a temp dir (shared with the other tests that run the build) and synthesizes a consumer stack against it.
 */
test("another stack that imports the built package's constructs by package name synthesizes", () => {
  const tmp = scratchDir("moat-package-");
  // dist/, package.json and the checkout's node_modules: the build the CLI tests run too.
  const pkg = sharedBuild();

  const consumer = path.join(tmp, "consumer");
  fs.mkdirSync(path.join(consumer, "node_modules"), { recursive: true });
  fs.symlinkSync(pkg, path.join(consumer, "node_modules", "moat"));
  fs.writeFileSync(
    path.join(consumer, "main.js"),
    `
const { App, TerraformStack } = require("cdktf");
const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
const { IsolatedIotNetwork, IsolatedSecurityGroup, Peer, Port } = require("moat");
const app = new App({ outdir: ${JSON.stringify(path.join(consumer, "out"))} });
const stack = new TerraformStack(app, "platform");
new AwsProvider(stack, "aws", { region: "eu-west-1" });
const network = new IsolatedIotNetwork(stack, "iot", {
  vpcCidr: "10.9.0.0/16",
  deviceSubnets: [{ az: "eu-west-1a", cidr: "10.9.0.0/24" }, { az: "eu-west-1b", cidr: "10.9.1.0/24" }],
  endpointSubnets: [{ az: "eu-west-1a", cidr: "10.9.9.0/28" }, { az: "eu-west-1b", cidr: "10.9.9.16/28" }],
});
const sg = new IsolatedSecurityGroup(stack, "gateway", { vpcId: network.vpcId, description: "my gateway" });
sg.connections.allowFrom(Peer.subnets(network.deviceSubnets), Port.MQTT_TLS);
app.synth();
`,
  );
  const result = spawnSync("node", ["main.js"], {
    cwd: consumer,
    encoding: "utf8",
    env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") },
  });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(consumer, "out", "stacks", "platform", "cdk.tf.json"), "utf8"));
  expect(Object.keys(json.resource.aws_vpc)).toHaveLength(1);
  expect(Object.values(json.resource.aws_vpc_security_group_ingress_rule).map((r: any) => r.cidr_ipv4)).toEqual([
    "10.9.0.0/24",
    "10.9.1.0/24",
  ]);
});
