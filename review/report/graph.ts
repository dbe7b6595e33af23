import { flowText, GraphEdge, ReachabilityGraph } from "../reachability";

export const GRAPH_FORMATS = ["json", "dot"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** The reachability graphs of the reviewed stacks, as JSON or Graphviz DOT (`moat review --graph`). */
export function renderGraphs(format: GraphFormat, graphs: readonly ReachabilityGraph[]): string {
  return format === "json" ? `${JSON.stringify({ stacks: graphs.map(graphJson) }, null, 2)}\n` : graphs.map(dot).join("\n");
}

function graphJson(graph: ReachabilityGraph) {
  return {
    stack: graph.stack,
    nodes: graph.nodes,
    edges: graph.edges.map((e) => ({
      from: e.from,
      to: e.to,
      layer: e.layer,
      flows: e.flows.map(flowText),
      via: e.via,
      ...(e.unknown ? { unknown: e.unknown } : {}),
    })),
  };
}

const SHAPES: Record<string, string> = {
  internet: "doubleoctagon",
  office: "house",
  network: "octagon",
  unknown: "diamond",
  broker: "box3d",
  service: "component",
};

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function edgeLabel(edge: GraphEdge): string {
  const flows = edge.flows.length > 0 ? edge.flows.map(flowText).join(", ") : "?";
  return `${flows}${edge.layer === "path" ? "" : ` [${edge.layer}]`}${edge.unknown ? " (unknown)" : ""}`;
}

function dot(graph: ReachabilityGraph): string {
  const lines = [`digraph ${quote(graph.stack)} {`, "  rankdir=LR;", "  node [fontname=Helvetica];"];
  for (const node of graph.nodes) lines.push(`  ${quote(node.id)} [label=${quote(node.label)}, shape=${SHAPES[node.kind] ?? "box"}];`);
  for (const edge of graph.edges) {
    const style = edge.unknown ? ", style=dashed, color=red" : edge.layer === "path" ? "" : ", color=orange";
    lines.push(
      `  ${quote(edge.from)} -> ${quote(edge.to)} [label=${quote(edgeLabel(edge))}, tooltip=${quote(edge.via.join("\n"))}${style}];`,
    );
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
