import { ReviewModel } from "./model";
import { aclEntries } from "./network-acl";
import { groupRules, isAllProtocols, Peer, ROUTE_TARGETS, routeDestination } from "./segment";
import { blocks, Encoded, isRecord, Ref, Unknown, Value } from "./value";

/**
 * What a resource opens, as a reviewer reads a firewall: `tcp/22 from 10.0.0.0/8`,
 * `allow all from 0.0.0.0/0 (rule 100)`, `route 0.0.0.0/0 -> aws_internet_gateway.igw`. Empty for
 * resources that open no flow. Shown next to each added resource of a pull request, so the
 * address alone never hides an opened port.
 */
export function whatItOpens(model: ReviewModel, address: string): string[] {
  const opens: string[] = [];
  for (const rule of groupRules(model)) {
    if (rule.resource !== address) continue;
    const way = rule.direction === "ingress" ? "from" : "to";
    const peers = rule.peers.length > 0 ? rule.peers.map(peerText).join(", ") : "(no peer)";
    opens.push(`${flowText(rule.protocol, rule.fromPort, rule.toPort)} ${way} ${peers}`);
  }
  for (const entry of aclEntries(model)) {
    if (entry.resource !== address) continue;
    const peer = entry.cidr !== undefined ? show(entry.cidr) : show(entry.ipv6Cidr);
    opens.push(
      `${show(entry.action)} ${flowText(entry.protocol, entry.fromPort, entry.toPort)} ${entry.egress ? "to" : "from"} ${peer} (rule ${show(entry.ruleNumber)})`,
    );
  }
  const resource = model.get(address);
  if (resource?.type === "aws_route") opens.push(routeText(resource.attributes));
  if (resource && ["aws_route_table", "aws_default_route_table"].includes(resource.type)) {
    for (const route of blocks(resource.attributes.route)) if (isRecord(route)) opens.push(routeText(route));
  }
  return opens;
}

function flowText(protocol: Value | undefined, fromPort: Value | undefined, toPort: Value | undefined): string {
  if (isAllProtocols(protocol)) return "all traffic";
  const name = protocol === "6" || protocol === 6 ? "tcp" : protocol === "17" || protocol === 17 ? "udp" : show(protocol);
  const from = show(fromPort);
  const to = show(toPort);
  return `${name}/${from === to ? from : `${from}-${to}`}`;
}

function routeText(route: Record<string, Value>): string {
  const destination = routeDestination(route);
  const target = ROUTE_TARGETS.find((key) => Object.prototype.hasOwnProperty.call(route, key) && route[key] !== null && route[key] !== "");
  return `route ${show(destination)} -> ${target ? show(route[target]) : "(no target)"}`;
}

function peerText(peer: Peer): string {
  return peer.kind === "self" ? "its own group" : peer.kind === "group" ? `group ${show(peer.value)}` : show(peer.value);
}

/** A value as the file means it: literals as written, references by address, apply-time values as such. */
function show(value: Value | undefined): string {
  if (value === undefined || value === null) return "(not set)";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Ref) return value.address;
  if (value instanceof Unknown) return `(known at apply: ${value.expression})`;
  if (value instanceof Encoded) return show(value.value);
  return JSON.stringify(value);
}
