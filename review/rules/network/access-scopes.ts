import { ReviewModel } from "../../model";
import { GraphEdge, GraphNode, flowText, onlyMqttTls, OUTSIDE_KINDS, reachability, SEGMENT_KINDS } from "../../reachability";
import { fail, ReviewContext, RuleCheck, STACK, unknown, Violation } from "../../rule";
import { noInternetGateway } from "./no-internet-gateway";
import { localRoutesOnly } from "./local-routes-only";
import { noPublicIps } from "./no-public-ips";
import { subnetAclsScoped } from "./subnet-acls-scoped";
import { officeDenied } from "./office-denied";
import { mqttTlsOnly } from "../firewall/mqtt-tls-only";
import { deviceSourcesOnly } from "../firewall/device-sources-only";
import { deviceEgressToBrokerOnly } from "../firewall/device-egress-to-broker-only";

/** The shape rules whose findings already name a path's resources: the scopes do not say it twice. */
const SHAPE_RULES: readonly RuleCheck[] = [
  noInternetGateway,
  localRoutesOnly,
  noPublicIps,
  subnetAclsScoped,
  officeDenied,
  mqttTlsOnly,
  deviceSourcesOnly,
  deviceEgressToBrokerOnly,
];

function namedByShapeRules(model: ReviewModel, context: ReviewContext): Set<string> {
  return new Set(SHAPE_RULES.flatMap((check) => check(model, context).map((v) => v.resource)));
}

/** Why an edge breaks an access scope of the segment, or undefined when every scope holds. */
export function scopeBroken(edge: GraphEdge, from: GraphNode | undefined, to: GraphNode | undefined): string | undefined {
  const fromKind = from?.kind;
  const toKind = to?.kind;
  if (fromKind === undefined || toKind === undefined) return "an edge between address spaces the model does not know";
  if (OUTSIDE_KINDS.has(fromKind) && SEGMENT_KINDS.has(toKind)) return "nothing outside the VPC reaches the IoT segment";
  if (SEGMENT_KINDS.has(fromKind) && OUTSIDE_KINDS.has(toKind)) return "the IoT segment reaches nothing outside the VPC";
  if (fromKind === "device-subnet" && toKind !== "broker") return "devices reach only the broker endpoint";
  if (toKind === "broker" && fromKind !== "device-subnet") return "the broker endpoint accepts only devices";
  if ((fromKind === "device-subnet" || toKind === "broker") && !edge.unknown && !onlyMqttTls(edge.flows))
    return "devices reach the broker endpoint on TCP 8883 only";
  if ((fromKind === "device-subnet" || toKind === "broker") && edge.unknown) return "devices reach the broker endpoint on TCP 8883 only";
  return undefined;
}

/** How an edge reads in a finding. */
export function edgeText(edge: GraphEdge, from: GraphNode | undefined, to: GraphNode | undefined): string {
  const flows = edge.flows.length > 0 ? edge.flows.map(flowText).join(", ") : "unknown traffic";
  const layer = edge.layer === "path" ? "a whole path" : `the ${edge.layer} layer alone`;
  return `${from?.label ?? edge.from} reaches ${to?.label ?? edge.to} on ${flows} (${layer}, through ${edge.via.join(", ") || "AWS defaults"})`;
}

/**
 * NET-7: the access scopes of the segment over its reachability graph. Nothing outside the VPC
 * (the Internet, the office, another network) reaches the segment or is reached from it; devices
 * reach only the broker endpoint, on TCP 8883; the broker endpoint accepts only that. An edge the
 * graph cannot place fails as unknown. A path whose resources a shape rule (NET-1..6, FW-1..3)
 * already names is left to that rule's finding.
 */
export const accessScopes: RuleCheck = (model, context) => scopeViolations(model, context, true);

/** The access scopes' violations; `leaveNamed` leaves paths a shape rule already names to that rule. */
export function scopeViolations(model: ReviewModel, context: ReviewContext, leaveNamed: boolean): Violation[] {
  const graph = reachability(model, context);
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  let named: Set<string> | undefined;
  const violations: Violation[] = [];
  const seen = new Set<string>();
  for (const edge of graph.edges) {
    const from = nodes.get(edge.from);
    const to = nodes.get(edge.to);
    const scope = scopeBroken(edge, from, to);
    if (scope === undefined) continue;
    if (leaveNamed) {
      named ??= namedByShapeRules(model, context);
      if (edge.via.some((v) => named!.has(v))) continue;
    }
    const resource = edge.via.find((v) => model.get(v) !== undefined) ?? STACK;
    const message = `${edgeText(edge, from, to)}: ${scope}${edge.unknown ? `; cannot be placed: ${edge.unknown}` : ""}`;
    if (seen.has(resource + message)) continue;
    seen.add(resource + message);
    violations.push(edge.unknown ? unknown(resource, message) : fail(resource, message));
  }
  return violations;
}
