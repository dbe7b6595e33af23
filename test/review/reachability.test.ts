import { join } from "node:path";
import { loadEnvironment } from "../../config";
import { contextFromEnvironment } from "../../review/environment-context";
import { loadCdktfJson } from "../../review/load-cdktf";
import { loadStackFile } from "../../review/load";
import { flowText, GraphEdge, reachability, ReachabilityGraph } from "../../review/reachability";
import { scopeViolations } from "../../review/rules/network/access-scopes";
import { blockingOf, cleanStack, Env } from "./clean-stacks";
import { moat, writeOut } from "./cli-support";
import { add, first, isBrokerGroup, isDevice, isDeviceAcl, ref } from "./closed-world-support";
import { Json } from "./fixture-stack";

/**
 * Issue 13, "reachability, not patterns": the segment's graph of address spaces, and the access
 * scopes (NET-7) over it. The clean stacks draw exactly the devices' TCP 8883 to the broker; each
 * insecure edit draws the edge it opens and blocks the review.
 */

const PLANS = join(__dirname, "..", "fixtures", "plans");

function modelOf(env: Env, stack: Json) {
  const text = JSON.stringify(stack);
  return {
    model: loadCdktfJson(JSON.parse(text), `iot-${env}/cdk.tf.json`, `iot-${env}`, text),
    context: contextFromEnvironment(loadEnvironment(env)),
  };
}

function graphOf(env: Env, stack: Json): ReachabilityGraph {
  const { model, context } = modelOf(env, stack);
  return reachability(model, context);
}

/** Edges as `from -> to flows [layer]`, subnets by role, for comparing whole graphs. */
function edgeLines(graph: ReachabilityGraph): string[] {
  const kinds = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  const name = (id: string) => (kinds.get(id)?.endsWith("subnet") ? kinds.get(id)! : id);
  return graph.edges.map(
    (e) => `${name(e.from)} -> ${name(e.to)} ${e.flows.map(flowText).join(",")} [${e.layer}]${e.unknown ? " unknown" : ""}`,
  );
}

describe("the clean stacks' graph", () => {
  test.each([
    ["dev", 2],
    ["prod", 3],
  ] as const)(
    "the %s stack draws exactly one TCP 8883 edge from each device subnet to the broker and nothing from outside",
    (env, subnets) => {
      const graph = graphOf(env, cleanStack(env));
      expect(edgeLines(graph)).toEqual(Array(subnets).fill("device-subnet -> broker tcp/8883 [path]"));
      expect(graph.nodes.map((n) => n.kind)).toEqual(
        expect.arrayContaining(["internet", "office", "device-subnet", "endpoint-subnet", "broker"]),
      );
    },
  );

  test.each(["iot-dev.first.json", "iot-prod.first.json", "iot-dev.update.json"])(
    "the committed real plan %s draws the same edges",
    (plan) => {
      const env = plan.includes("prod") ? "prod" : "dev";
      const model = loadStackFile(join(PLANS, plan), { env });
      const graph = reachability(model, contextFromEnvironment(loadEnvironment(env)));
      expect(edgeLines(graph)).toEqual(Array(env === "prod" ? 3 : 2).fill("device-subnet -> broker tcp/8883 [path]"));
      expect(scopeViolations(model, contextFromEnvironment(loadEnvironment(env)), false)).toEqual([]);
    },
  );

  test("the scopes find nothing on the clean stacks even without leaving paths to the shape rules", () => {
    for (const env of ["dev", "prod"] as const) {
      const { model, context } = modelOf(env, cleanStack(env));
      expect(scopeViolations(model, context, false)).toEqual([]);
    }
  });
});

const vpc = (s: Json) => ref(s, "aws_vpc");
const deviceSubnet = (s: Json) => ref(s, "aws_subnet", "id", isDevice);
const brokerGroup = (s: Json) => ref(s, "aws_security_group", "id", isBrokerGroup);
const deviceRoutes = (s: Json) => ref(s, "aws_route_table", "id", (b) => String(b.tags?.Name).includes("device"));
const deviceAcl = (s: Json) => ref(s, "aws_network_acl", "id", isDeviceAcl);
const deviceSubnetAddress = (s: Json) => `aws_subnet.${first(s, "aws_subnet", isDevice)}`;

function brokerIngress(s: Json, name: string, source: Json): string {
  return add(s, "aws_vpc_security_group_ingress_rule", name, {
    security_group_id: brokerGroup(s),
    ip_protocol: "tcp",
    from_port: 8883,
    to_port: 8883,
    description: name,
    ...source,
  });
}

interface Variant {
  readonly variant: string;
  /** Edits the stack; returns the edge it must open as [from, to, layer] (a `subnet` end means the first device subnet). */
  readonly edit: (s: Json) => readonly [string, string, GraphEdge["layer"]];
  readonly unknown?: boolean;
}

const VARIANTS: Variant[] = [
  {
    variant: "broker ingress split in halves, 0.0.0.0/1 + 128.0.0.0/1",
    edit: (s) => {
      brokerIngress(s, "low", { cidr_ipv4: "0.0.0.0/1" });
      brokerIngress(s, "high", { cidr_ipv4: "128.0.0.0/1" });
      return ["internet", "broker", "security-group"];
    },
  },
  {
    variant: "a managed prefix list holding 0.0.0.0/0 as broker ingress source",
    edit: (s) => {
      add(s, "aws_ec2_managed_prefix_list", "all", { name: "all", address_family: "IPv4", max_entries: 1, entry: [{ cidr: "0.0.0.0/0" }] });
      brokerIngress(s, "pl", { prefix_list_id: "${aws_ec2_managed_prefix_list.all.id}" });
      return ["internet", "broker", "security-group"];
    },
  },
  {
    variant: "an Internet gateway route in a device route table",
    edit: (s) => {
      add(s, "aws_internet_gateway", "igw", { vpc_id: vpc(s) });
      add(s, "aws_route", "out", {
        route_table_id: deviceRoutes(s),
        destination_cidr_block: "0.0.0.0/0",
        gateway_id: "${aws_internet_gateway.igw.id}",
      });
      return ["internet", "subnet", "route"];
    },
  },
  {
    variant: "a peering route in a device route table",
    edit: (s) => {
      add(s, "aws_route", "peer", {
        route_table_id: deviceRoutes(s),
        destination_cidr_block: "10.99.0.0/16",
        vpc_peering_connection_id: "pcx-0123456789abcdef0",
      });
      return ["network:pcx-0123456789abcdef0", "subnet", "route"];
    },
  },
  {
    variant: "a later ACL association replacing the scoped ACL of a device subnet",
    edit: (s) => {
      add(s, "aws_network_acl", "open", {
        vpc_id: vpc(s),
        ingress: [{ rule_no: 100, action: "allow", protocol: "-1", cidr_block: "0.0.0.0/0", from_port: 0, to_port: 0 }],
        egress: [{ rule_no: 100, action: "allow", protocol: "-1", cidr_block: "0.0.0.0/0", from_port: 0, to_port: 0 }],
      });
      add(s, "aws_network_acl_association", "open", { network_acl_id: "${aws_network_acl.open.id}", subnet_id: deviceSubnet(s) });
      return ["internet", "subnet", "acl"];
    },
  },
  {
    variant: "an ACL allow from the office numbered before the office deny",
    edit: (s) => {
      add(s, "aws_network_acl_rule", "early", {
        network_acl_id: deviceAcl(s),
        egress: false,
        rule_number: 50,
        rule_action: "allow",
        protocol: "-1",
        cidr_block: "192.168.10.0/24",
      });
      return ["office:192.168.0.0/16", "subnet", "acl"];
    },
  },
  {
    variant: "broker ingress from a referenced group that is neither the devices' nor the broker's",
    edit: (s) => {
      add(s, "aws_security_group", "admin", { vpc_id: vpc(s), description: "admin" });
      add(s, "aws_vpc_security_group_egress_rule", "admin_out", {
        security_group_id: "${aws_security_group.admin.id}",
        ip_protocol: "tcp",
        from_port: 8883,
        to_port: 8883,
        cidr_ipv4: "10.42.0.0/16",
        description: "to the VPC",
      });
      add(s, "aws_network_interface", "admin", { subnet_id: deviceSubnet(s), security_groups: ["${aws_security_group.admin.id}"] });
      brokerIngress(s, "admin", { referenced_security_group_id: "${aws_security_group.admin.id}" });
      return ["group:aws_security_group.admin", "broker", "path"];
    },
  },
  {
    variant: "a variable without default as broker ingress source",
    unknown: true,
    edit: (s) => {
      s.variable = { ...(s.variable ?? {}), source: { type: "string" } };
      brokerIngress(s, "var", { cidr_ipv4: "${var.source}" });
      return ["unknown", "broker", "security-group"];
    },
  },
];

describe("insecure variants draw the edge they open and block the review", () => {
  test.each(VARIANTS.map((v) => [v.variant, v] as const))("%s", (_name, v) => {
    const stack = cleanStack("dev");
    const [from, to, layer] = v.edit(stack);
    const subnet = deviceSubnetAddress(stack);
    const want = (id: string) => (id === "subnet" ? subnet : id);
    const graph = graphOf("dev", stack);
    const edge = graph.edges.find((e) => e.from === want(from) && e.to === want(to) && e.layer === layer);
    expect(edge).toBeDefined();
    expect(Boolean(edge?.unknown)).toBe(Boolean(v.unknown));
    // The scopes alone see it, whatever the shape rules say...
    const { model, context } = modelOf("dev", stack);
    const scopes = scopeViolations(model, context, false);
    expect(scopes.some((s) => edge!.via.includes(s.resource) && Boolean(s.unknown) === Boolean(v.unknown))).toBe(true);
    // ...and the review blocks it on a resource of the path, once (by a shape rule or by NET-7).
    const blocking = blockingOf("dev", stack);
    expect(blocking.some((f) => edge!.via.includes(f.resource) && (v.unknown ? f.status === "unknown" : true))).toBe(true);
  });

  test("a path a shape rule already names is reported by that rule, not again by NET-7", () => {
    const stack = cleanStack("dev");
    brokerIngress(stack, "low", { cidr_ipv4: "0.0.0.0/1" });
    brokerIngress(stack, "high", { cidr_ipv4: "128.0.0.0/1" });
    const blocking = blockingOf("dev", stack);
    expect(blocking.filter((f) => f.rule === "FW-2").map((f) => f.resource)).toEqual(
      expect.arrayContaining(["aws_vpc_security_group_ingress_rule.low", "aws_vpc_security_group_ingress_rule.high"]),
    );
    expect(blocking.filter((f) => f.rule === "NET-7")).toEqual([]);
  });
});

describe("moat review --graph", () => {
  test("--graph json prints each stack's nodes and edges with ports, layer and via", async () => {
    const out = writeOut({ "iot-dev": cleanStack("dev") });
    const run = await moat("review", out, "--graph", "json");
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.stacks).toHaveLength(1);
    expect(doc.stacks[0].stack).toBe("iot-dev");
    expect(doc.stacks[0].edges).toHaveLength(2);
    for (const edge of doc.stacks[0].edges) {
      expect(edge).toEqual(expect.objectContaining({ to: "broker", layer: "path", flows: ["tcp/8883"] }));
      expect(edge.via.length).toBeGreaterThan(0);
    }
    expect(doc.stacks[0].nodes.map((n: Json) => n.id)).toEqual(expect.arrayContaining(["internet", "office:192.168.0.0/16", "broker"]));
  });

  test("--graph dot prints a Graphviz digraph marking unknown edges, with the review's exit code", async () => {
    const stack = cleanStack("dev");
    stack.variable = { ...(stack.variable ?? {}), source: { type: "string" } };
    brokerIngress(stack, "var", { cidr_ipv4: "${var.source}" });
    const run = await moat("review", writeOut({ "iot-dev": stack }), "--graph", "dot");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^digraph "iot-dev" \{/);
    expect(run.stdout).toContain('-> "broker" [label="tcp/8883"');
    expect(run.stdout).toMatch(/"unknown" -> "broker" \[label="\? \[security-group\] \(unknown\)".*style=dashed, color=red\];/);
  });

  test("an unknown --graph format is refused in one line (exit 2, as --format)", async () => {
    const run = await moat("review", writeOut({ "iot-dev": cleanStack("dev") }), "--graph", "svg");
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("--graph svg is not one of json, dot");
  });
});
