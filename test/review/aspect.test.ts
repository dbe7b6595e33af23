import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Aspects, TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { loadEnvironment } from "../../config";
import { IsolatedIotNetwork } from "../../constructs/network";
import { contextFromEnvironment } from "../../review";
import { ReviewAspect } from "../../constructs/review/review-aspect";
import { scratchDir } from "../support/scratch";

/** A stack with the real isolated network of dev.yaml, reviewed by the aspect. */
function devNetworkStack(app: App, aspect: ReviewAspect) {
  const env = loadEnvironment("dev");
  const stack = new TerraformStack(app, "iot-aspect");
  new AwsProvider(stack, "aws", { region: env.region });
  const network = new IsolatedIotNetwork(stack, "network", {
    vpcCidr: env.network.vpcCidr,
    deviceSubnets: env.network.deviceSubnets,
    endpointSubnets: env.network.endpointSubnets,
    officeCidrs: env.network.officeCidrs,
  });
  Aspects.of(stack).add(aspect);
  return { stack, network, env };
}

/**
 * dev.yaml without its review.suppressions: they accept findings on the shipped dev stack's
 * broker endpoint, which the network-only stack here does not have.
 */
const devNetworkOnly = () => ({ ...loadEnvironment("dev"), review: { suppressions: [] } });

const outdir = () => scratchDir("moat-aspect-");
const messages = (stack: TerraformStack, level: string) =>
  stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === level).map((m) => `${c.node.path} ${String(m.data)}`));

describe("ReviewAspect", () => {
  test("lets a compliant stack synthesize", () => {
    const app = new App({ outdir: outdir() });
    const { stack } = devNetworkStack(app, ReviewAspect.forEnvironment(devNetworkOnly(), "iot-aspect"));
    expect(() => app.synth()).not.toThrow();
    expect(messages(stack, "@cdktf/error")).toEqual([]);
  });

  test("stops synth on an error finding, on the construct at fault", () => {
    const app = new App({ outdir: outdir() });
    const { stack, network, env } = devNetworkStack(app, new ReviewAspect({ context: contextFromEnvironment(loadEnvironment("dev")) }));
    const broker = new SecurityGroup(stack, "broker-sg", { vpcId: network.vpcId, description: "broker" });
    new VpcSecurityGroupIngressRule(stack, "open-mqtt", {
      securityGroupId: broker.id,
      ipProtocol: "tcp",
      fromPort: 1883,
      toPort: 1883,
      cidrIpv4: "0.0.0.0/0",
      description: "plain MQTT",
    });
    // The broker side is the group on the iot.data endpoint.
    new VpcEndpoint(stack, "endpoint", {
      vpcId: network.vpcId,
      serviceName: `com.amazonaws.${env.region}.iot.data`,
      vpcEndpointType: "Interface",
      securityGroupIds: [broker.id],
    });
    expect(() => app.synth()).toThrow(
      /iot-aspect\/open-mqtt\] moat review FW-1 aws_vpc_security_group_ingress_rule\.open-mqtt: allows TCP port 1883/,
    );
    expect(messages(stack, "@cdktf/error").join("\n")).toMatch(/FW-2 .*0\.0\.0\.0\/0: the whole Internet/);
  });

  test("reports without stopping when not enforcing (MOAT_REVIEW_AT_SYNTH=report, for CI)", () => {
    const app = new App({ outdir: outdir() });
    process.env.MOAT_REVIEW_AT_SYNTH = "report";
    let aspect: ReviewAspect;
    try {
      aspect = ReviewAspect.forEnvironment(devNetworkOnly(), "iot-aspect");
    } finally {
      delete process.env.MOAT_REVIEW_AT_SYNTH;
    }
    const { stack, network } = devNetworkStack(app, aspect);
    new SecurityGroup(stack, "broker-sg", { vpcId: network.vpcId, description: "broker" });
    new VpcEndpoint(stack, "endpoint", {
      vpcId: network.vpcId,
      serviceName: "com.amazonaws.eu-west-1.iot.data",
      vpcEndpointType: "Interface",
    });
    expect(() => app.synth()).not.toThrow();
    expect(messages(stack, "@cdktf/warn").join("\n")).toMatch(
      /moat review FW-1 aws_vpc_endpoint\.endpoint: the iot\.data endpoint has no security group/,
    );
  });

  test("stops synth when the environment is unknown (office CIDRs cannot be checked)", () => {
    const app = new App({ outdir: outdir() });
    const { stack } = devNetworkStack(app, new ReviewAspect());
    expect(() => app.synth()).toThrow(/moat review NET-6 stack: unknown until apply/);
    expect(messages(stack, "@cdktf/error")).toEqual([
      expect.stringMatching(/^iot-aspect moat review NET-6 stack: unknown until apply/),
      "iot-aspect moat review stopped synth of iot-aspect on 1 blocking finding; to synthesize anyway and read the full report, run with MOAT_REVIEW_AT_SYNTH=report, then moat review cdktf.out",
    ]);
  });

  test("turns suppressed findings into info and bad suppressions into an error", () => {
    const env = loadEnvironment("dev");
    const reason = "The lab stack has no office network to protect at all.";
    const suppressed = new App({ outdir: outdir() });
    const ok = devNetworkStack(
      suppressed,
      new ReviewAspect({ suppressions: [{ rule: "NET-6", resource: "stack", reason, source: "test" }] }),
    ).stack;
    suppressed.synth();
    expect(messages(ok, "@cdktf/info")).toEqual([expect.stringContaining(`(suppressed: ${reason})`)]);
    expect(messages(ok, "@cdktf/error")).toEqual([]);

    const unmatched = new App({ outdir: outdir() });
    const bad = devNetworkStack(
      unmatched,
      new ReviewAspect({
        context: contextFromEnvironment(env),
        suppressions: [{ rule: "NET-1", resource: "aws_internet_gateway.x", reason, source: "test" }],
      }),
    ).stack;
    expect(() => unmatched.synth()).toThrow(/suppression matches no finding/);
    expect(messages(bad, "@cdktf/error")).toEqual([
      expect.stringMatching(/suppression matches no finding: NET-1 on aws_internet_gateway\.x/),
    ]);
  });

  test("reviews the stack as written, after every other aspect (one added later too)", () => {
    const app = new App({ outdir: outdir() });
    const { stack, network } = devNetworkStack(app, ReviewAspect.forEnvironment(devNetworkOnly(), "iot-aspect"));
    const broker = new SecurityGroup(stack, "broker-sg", { vpcId: network.vpcId, description: "broker" });
    new VpcSecurityGroupIngressRule(stack, "mqtt", {
      securityGroupId: broker.id,
      ipProtocol: "tcp",
      fromPort: 8883,
      toPort: 8883,
      cidrIpv4: "10.20.0.0/20",
      description: "MQTT over TLS",
    });
    new VpcEndpoint(stack, "endpoint", {
      vpcId: network.vpcId,
      serviceName: "com.amazonaws.eu-west-1.iot.data",
      vpcEndpointType: "Interface",
      securityGroupIds: [broker.id],
    });
    // Added after the review aspect, and acting on a child: the review still sees its change.
    Aspects.of(stack).add({
      visit: (node) => {
        if (node instanceof VpcSecurityGroupIngressRule) node.addOverride("cidr_ipv4", "0.0.0.0/0");
      },
    });
    expect(() => app.synth()).toThrow(/iot-aspect\/mqtt\] moat review FW-2 aws_vpc_security_group_ingress_rule\.mqtt: .*0\.0\.0\.0\/0/);
  });

  test("writes the configuration it reviewed, and leaves the stack as it was", () => {
    const dir = outdir();
    const app = new App({ outdir: dir });
    const { stack } = devNetworkStack(app, ReviewAspect.forEnvironment(devNetworkOnly(), "iot-aspect"));
    // Aspects already visited once (Testing.synth) must not register the review twice.
    Testing.synth(stack);
    app.synth();
    expect(Object.prototype.hasOwnProperty.call(stack, "toTerraform")).toBe(false);
    const written = JSON.parse(readFileSync(join(dir, "stacks", "iot-aspect", "cdk.tf.json"), "utf8"));
    expect(written).toEqual(JSON.parse(JSON.stringify(stack.toTerraform())));
    expect(Object.keys(written.resource).length).toBeGreaterThan(5);
  });
});
