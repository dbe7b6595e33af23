import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IsolatedSecurityGroup, Peer, Port } from "../../constructs/security";
import { resourcesOf, synthWith } from "../support/synth";

describe("Port", () => {
  test("MQTT_TLS is TCP 8883 and describes itself", () => {
    expect([Port.MQTT_TLS.protocol, Port.MQTT_TLS.fromPort, Port.MQTT_TLS.toPort]).toEqual(["tcp", 8883, 8883]);
    expect(Port.MQTT_TLS.toString()).toBe("TCP 8883 (MQTT over TLS)");
    expect(Port.MQTT_TLS.protocolNumber).toBe("6");
  });

  test.each([0, 65536, 1.5])("refuses port %p", (port) => {
    expect(() => Port.tcp(port)).toThrow(/is not a port number; use 1-65535/);
  });
});

describe("Peer", () => {
  test.each(["0.0.0.0/0", "0.0.0.0/0 "])("refuses the whole Internet (%p)", (cidr) => {
    expect(() => Peer.ipv4(cidr)).toThrow(/whole Internet|is not a CIDR/);
  });

  test("refuses a malformed block, naming it", () => {
    expect(() => Peer.subnets([{ name: "devices-a", cidr: "10.0.0.300/24" }])).toThrow(/peer devices-a: "10.0.0.300\/24" is not a CIDR/);
  });

  test("refuses an empty subnet list", () => {
    expect(() => Peer.subnets([])).toThrow(/at least one subnet/);
  });

  test("has no factory for any IPv4 address", () => {
    expect(Object.getOwnPropertyNames(Peer).filter((name) => /any/i.test(name))).toEqual([]);
  });
});

describe("IsolatedSecurityGroup", () => {
  test("a group opened to two subnets on 8883 gets one described rule per subnet, nothing else", () => {
    const result = synthWith((stack) => {
      const group = new IsolatedSecurityGroup(stack, "endpoint", { vpcId: "vpc-123", description: "broker endpoint" });
      group.connections.allowFrom(
        Peer.subnets([
          { name: "dev-a", cidr: "10.0.0.0/24" },
          { name: "dev-b", cidr: "10.0.1.0/24" },
        ]),
        Port.MQTT_TLS,
      );
    });
    expect(result.text).toHaveResourceWithProperties(SecurityGroup, { description: "broker endpoint", revoke_rules_on_delete: true });
    const ingress = resourcesOf(result, "aws_vpc_security_group_ingress_rule");
    expect(ingress.map((r) => [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4, r.description])).toEqual([
      ["tcp", 8883, 8883, "10.0.0.0/24", "TCP 8883 (MQTT over TLS) from dev-a"],
      ["tcp", 8883, 8883, "10.0.1.0/24", "TCP 8883 (MQTT over TLS) from dev-b"],
    ]);
    expect(result.text).not.toHaveResource(VpcSecurityGroupEgressRule);
    // No inline rules: Terraform then strips AWS's default allow-all egress.
    expect(resourcesOf(result, "aws_security_group")[0].egress).toBeUndefined();
  });

  test("allowTo a security group writes an egress rule that references it", () => {
    const result = synthWith((stack) => {
      const group = new IsolatedSecurityGroup(stack, "devices", { vpcId: "vpc-123", description: "devices" });
      group.connections.allowTo(Peer.securityGroup("sg-0abc", "broker-endpoint"), Port.MQTT_TLS);
    });
    expect(result.text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      referenced_security_group_id: "sg-0abc",
      from_port: 8883,
      to_port: 8883,
      description: "TCP 8883 (MQTT over TLS) to broker-endpoint",
    });
    expect(result.text).not.toHaveResource(VpcSecurityGroupIngressRule);
  });
});
