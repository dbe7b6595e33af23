import { EVERYWHERE, intersect, isEmpty, overlaps, Ranges, rangesOf, subtract, union } from "./address-ranges";
import { derived, Resource, ReviewModel, tag } from "./model";
import { aclEntries, AclEntry, subnetAcls } from "./network-acl";
import { MQTT_TLS_PORT } from "./ports";
import { ReviewContext } from "./rule";
import {
  attachedGroups,
  brokerEndpoints,
  brokerSecurityGroups,
  groupAddress,
  groupHolders,
  GroupRule,
  groupRules,
  isAllProtocols,
  Peer,
  prefixListCidrs,
  ROUTE_TARGETS,
  routeDestination,
} from "./segment";
import { Role, ROLE_TAG } from "../core/tags";
import { asNumber } from "./terraform-types";
import { blocks, isRecord, Ref, referencesIn, Unknown, Value } from "./value";

/**
 * The segment's reachability, computed statically from the stack or plan the way AWS's Network
 * Access Analyzer reasons about a deployed VPC: address spaces (nodes) and who can reach whom on
 * which protocol and ports (edges), with the resources that make each path. Kept as data: the
 * access scopes (NET-7) judge it and `moat review --graph` draws it.
 *
 * Inside the VPC an edge is a whole path: the source's ACL egress, the destination's ACL ingress
 * (one ACL per subnet, entries by rule number) and the stateful security groups on both sides.
 * Between the segment and anything outside it, each layer (route, ACL, security group) is also
 * drawn on its own: each is a promise of the segment's and is reviewed as if the others were
 * bypassed or changed outside the stack, so an edge there says which layer opens it.
 */

export type NodeKind =
  "internet" | "office" | "network" | "device-subnet" | "endpoint-subnet" | "subnet" | "broker" | "service" | "group" | "unknown";

export interface GraphNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: string;
  /** The CIDRs it covers, when known. */
  readonly cidrs: readonly string[];
  /** The resource it stands for (a subnet, an endpoint, a route target). */
  readonly resource?: string;
}

/** A protocol and an inclusive port range; `all` is every protocol and port. */
export interface Flow {
  readonly protocol: string;
  readonly from: number;
  readonly to: number;
}

export type Layer = "path" | "route" | "acl" | "security-group";

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly flows: readonly Flow[];
  /** `path`: every layer lets it through; otherwise the one layer that opens it. */
  readonly layer: Layer;
  /** The resources that make it (route and target, ACL entries, security group rules). */
  readonly via: readonly string[];
  /** Why the model cannot place it (a value known only at apply time); an unknown edge fails the scopes as unknown. */
  readonly unknown?: string;
}

export interface ReachabilityGraph {
  readonly stack: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

const ALL: Flow = { protocol: "all", from: 0, to: 65535 };
const PRIVATE = union(...["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map((c) => rangesOf(c) as Ranges));

/** Nodes of the segment: an edge touching one is judged by the access scopes. */
export const SEGMENT_KINDS: ReadonlySet<NodeKind> = new Set(["device-subnet", "endpoint-subnet", "subnet", "broker", "group"]);
/** Address spaces outside the VPC. */
export const OUTSIDE_KINDS: ReadonlySet<NodeKind> = new Set(["internet", "office", "network", "unknown"]);

interface Place {
  readonly node: GraphNode;
  readonly ranges: Ranges;
  /** Subnets it sits in (their ACLs filter it). */
  readonly subnets: readonly Resource[];
  /** Security groups on it; undefined when none filters it (a subnet as a whole). */
  readonly groups: readonly string[] | undefined;
  /** Its VPC's address: places of two different VPCs have no local route between them. */
  readonly vpc?: string;
}

/** A group's rules by group address; rules whose group the file cannot place apply to any group. */
interface RuleIndex {
  readonly byGroup: ReadonlyMap<string, readonly GroupRule[]>;
  readonly unplaced: readonly GroupRule[];
}

function indexRules(rules: readonly GroupRule[]): RuleIndex {
  const byGroup = new Map<string, GroupRule[]>();
  const unplaced: GroupRule[] = [];
  for (const rule of rules) {
    if (rule.group === undefined) unplaced.push(rule);
    else {
      const list = byGroup.get(rule.group);
      if (list) list.push(rule);
      else byGroup.set(rule.group, [rule]);
    }
  }
  return { byGroup, unplaced };
}

const graphs = new WeakMap<ReviewContext, (model: ReviewModel) => ReachabilityGraph>();
const noContext: ReviewContext = {};

/** The graph of a stack, computed once per model and context. */
export function reachability(model: ReviewModel, context: ReviewContext = noContext): ReachabilityGraph {
  let of = graphs.get(context);
  if (!of) graphs.set(context, (of = derived((m) => build(m, context))));
  return of(model);
}

function build(model: ReviewModel, context: ReviewContext): ReachabilityGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const addNode = (node: GraphNode) => {
    if (!nodes.has(node.id)) nodes.set(node.id, node);
    return node;
  };
  const edgeKeys = new Set<string>();
  const addEdge = (edge: GraphEdge) => {
    if (edge.flows.length === 0 && !edge.unknown) return;
    const key = JSON.stringify([edge.from, edge.to, edge.layer, edge.flows, edge.via, edge.unknown]);
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push(edge);
  };

  const vpcRanges = union(...model.ofType("aws_vpc").map((v) => rangesOf(v.attributes.cidr_block) ?? []));
  const offices = (context.officeCidrs ?? []).flatMap((text) => {
    const ranges = rangesOf(text);
    return ranges ? [{ node: addNode({ id: `office:${text}`, kind: "office", label: `office ${text}`, cidrs: [text] }), ranges }] : [];
  });
  const officeRanges = union(...offices.map((o) => o.ranges));
  const internet = {
    node: addNode({ id: "internet", kind: "internet", label: "Internet", cidrs: ["0.0.0.0/0 (public ranges)"] }),
    ranges: subtract(EVERYWHERE, union(PRIVATE, vpcRanges, officeRanges)),
  };
  const unknownNode = () => addNode({ id: "unknown", kind: "unknown", label: "unknown (known only at apply time)", cidrs: [] });
  /** The outside spaces a range set touches. */
  const outsideOf = (ranges: Ranges) =>
    [internet, ...offices].filter((o) => overlaps(o.ranges, ranges)).map((o) => ({ ...o, ranges: intersect(o.ranges, ranges) }));

  // Places inside the VPC: subnets, the broker endpoint, other endpoints, groups attached to something.
  const broker = brokerSecurityGroups(model);
  const subnetPlaces = new Map<string, Place>();
  for (const subnet of model.ofType("aws_subnet")) {
    const role = tag(subnet, ROLE_TAG);
    const kind: NodeKind = role === Role.DEVICE ? "device-subnet" : role === Role.ENDPOINT ? "endpoint-subnet" : "subnet";
    const cidr = subnet.attributes.cidr_block;
    const ranges = rangesOf(cidr);
    if (!ranges)
      addEdge({
        from: "unknown",
        to: subnet.address,
        flows: [ALL],
        layer: "path",
        via: [subnet.address],
        unknown: `cidr_block ${String(cidr)} is known only at apply time`,
      });
    if (!ranges) unknownNode();
    const node = addNode({ id: subnet.address, kind, label: `${kind} ${String(cidr)}`, cidrs: [String(cidr)], resource: subnet.address });
    // Devices carry the device groups: every group that is not the broker's and not put on anything by the stack.
    subnetPlaces.set(subnet.address, {
      vpc: model.target(subnet.attributes.vpc_id)?.address,
      node,
      ranges: ranges ?? vpcRanges,
      subnets: [subnet],
      groups: kind === "device-subnet" ? [] : undefined,
    });
  }
  const attached = attachedGroups(model);
  const deviceGroups = model
    .ofType("aws_security_group")
    .filter(
      (g) =>
        tag(g, ROLE_TAG) === Role.DEVICE || (!broker.groups.has(g.address) && !broker.maybe.has(g.address) && !attached.has(g.address)),
    )
    .map((g) => g.address);
  // A group belongs to one VPC: a place carries only its own VPC's groups (a group whose VPC is not known, any).
  const vpcOfGroup = new Map(model.ofType("aws_security_group").map((g) => [g.address, model.target(g.attributes.vpc_id)?.address]));
  const inVpc = (groups: readonly string[], vpc: string | undefined) =>
    vpc === undefined ? [...groups] : groups.filter((g) => vpcOfGroup.get(g) === undefined || vpcOfGroup.get(g) === vpc);
  // Every device subnet of a VPC carries the same device groups, every broker endpoint the same
  // broker groups: each list is filtered once per VPC, not once per place.
  const perVpc = (groups: readonly string[]) => {
    const byVpc = new Map<string, string[]>();
    let unplaced = false;
    for (const g of groups) {
      const vpc = vpcOfGroup.get(g);
      if (vpc === undefined) unplaced = true;
      else {
        const list = byVpc.get(vpc);
        if (list) list.push(g);
        else byVpc.set(vpc, [g]);
      }
    }
    const cache = new Map<string | undefined, readonly string[]>();
    return (vpc: string | undefined): readonly string[] => {
      // Without a group of unknown VPC, a VPC's groups are its own, in the list's order.
      if (vpc !== undefined && !unplaced) return byVpc.get(vpc) ?? [];
      let found = cache.get(vpc);
      if (found === undefined) cache.set(vpc, (found = inVpc(groups, vpc)));
      return found;
    };
  };
  const deviceGroupsIn = perVpc(deviceGroups);
  for (const [address, place] of subnetPlaces)
    if (place.node.kind === "device-subnet") subnetPlaces.set(address, { ...place, groups: deviceGroupsIn(place.vpc) });

  const subnetsOf = (value: Value | undefined, fallback: readonly Resource[]): Resource[] => {
    const found = [...referencesIn(value)].map((a) => model.get(a)).filter((r): r is Resource => r?.type === "aws_subnet");
    return found.length > 0 ? found : [...fallback];
  };
  const rangesOfSubnets = (subnets: readonly Resource[]) => union(...subnets.map((s) => subnetPlaces.get(s.address)?.ranges ?? []));
  const endpointSubnets = model.ofType("aws_subnet").filter((s) => tag(s, ROLE_TAG) === Role.ENDPOINT);

  const inside: Place[] = [...subnetPlaces.values()];
  const brokerAddresses = new Set(brokerEndpoints(model).map((e) => e.address));
  const brokerGroupsIn = perVpc([...broker.groups, ...broker.maybe]);
  for (const endpoint of model.ofType("aws_vpc_endpoint")) {
    const isBroker = brokerAddresses.has(endpoint.address);
    const subnets = subnetsOf(endpoint.attributes.subnet_ids, isBroker ? endpointSubnets : []);
    const service = String(endpoint.attributes.service_name);
    const node = addNode({
      id: isBroker ? "broker" : `service:${endpoint.address}`,
      kind: isBroker ? "broker" : "service",
      label: isBroker ? `broker endpoint (${service})` : `AWS service ${service}`,
      cidrs: subnets.map((s) => String(s.attributes.cidr_block)),
      resource: endpoint.address,
    });
    const vpc = model.target(endpoint.attributes.vpc_id)?.address;
    const groups = isBroker ? brokerGroupsIn(vpc) : [...referencesIn(endpoint.attributes.security_group_ids)];
    inside.push({ node, ranges: rangesOfSubnets(subnets), subnets, groups, vpc });
  }
  const holdersOf = groupHolders(model).holders;
  for (const group of attached) {
    const holders = holdersOf.get(group) ?? [];
    if (holders.every((h) => h.type === "aws_vpc_endpoint" || h.type === "aws_mq_broker")) continue;
    const subnets = holders.flatMap((h) => subnetsOf(h.attributes.subnet_id ?? h.attributes.subnet_ids, []));
    const node = addNode({ id: `group:${group}`, kind: "group", label: `members of ${group}`, cidrs: [], resource: group });
    inside.push({
      node,
      ranges: subnets.length > 0 ? rangesOfSubnets(subnets) : vpcRanges,
      subnets,
      groups: [group],
      vpc: vpcOfGroup.get(group),
    });
  }

  const rules = indexRules(groupRules(model));
  const acl = aclEvaluator(model);

  // Inside the VPC: whole paths between places (the local route always exists).
  const peersOf = placesByVpc(inside);
  for (const src of inside) {
    if (src.node.kind === "broker" || src.node.kind === "service" || src.node.kind === "endpoint-subnet") continue;
    for (const dst of peersOf(src.vpc)) {
      if (dst === src || dst.node.kind === "endpoint-subnet" || (dst.node.kind === "subnet" && src.node.kind !== "group")) continue;
      const layers: { flows: Flow[]; via: string[]; unknown?: string }[] = [];
      const sameSubnet = src.subnets.length === 1 && dst.subnets.length === 1 && src.subnets[0] === dst.subnets[0];
      if (!sameSubnet) {
        layers.push(acl(src.subnets, "egress", dst.ranges));
        layers.push(acl(dst.subnets, "ingress", src.ranges));
      }
      if (src.groups) layers.push(groupLayer(model, rules, src.groups, "egress", dst.ranges, dst.groups));
      if (dst.groups) layers.push(groupLayer(model, rules, dst.groups, "ingress", src.ranges, src.groups));
      let flows: readonly Flow[] = [ALL];
      let unknown: string | undefined;
      const via: string[] = [];
      for (const l of layers) {
        flows = intersectFlows(flows, l.flows);
        unknown ??= l.unknown;
        for (const v of l.via) if (!via.includes(v)) via.push(v);
      }
      if (flows.length > 0) addEdge({ from: src.node.id, to: dst.node.id, flows: [...flows], layer: "path", via });
      else if (unknown && layers.every((l) => l.flows.length > 0 || l.unknown))
        addEdge({ from: src.node.id, to: dst.node.id, flows: [], layer: "path", via, unknown });
    }
  }

  // Between the segment and outside: each layer on its own.
  const everywhere = outsideOf(EVERYWHERE);
  const routes = routesBySubnet(model);
  for (const place of inside) {
    for (const route of routes.get(place.subnets[0]?.address ?? "") ?? []) {
      if (route.unknown) {
        unknownNode();
        addEdge({ from: "unknown", to: place.node.id, flows: [ALL], layer: "route", via: route.via, unknown: route.unknown });
        continue;
      }
      const spaces = outsideOf(route.ranges).map((o) => o.node.id);
      if (route.network) spaces.push(addNode(route.network).id);
      for (const id of new Set(spaces)) {
        if (!route.outOnly) addEdge({ from: id, to: place.node.id, flows: [ALL], layer: "route", via: route.via });
        addEdge({ from: place.node.id, to: id, flows: [ALL], layer: "route", via: route.via });
      }
    }
    for (const outside of everywhere) {
      const into = acl(place.subnets, "ingress", outside.ranges);
      if (place.node.kind !== "broker" && place.node.kind !== "service") {
        if (into.flows.length > 0) addEdge({ from: outside.node.id, to: place.node.id, flows: into.flows, layer: "acl", via: into.via });
        const out = acl(place.subnets, "egress", outside.ranges);
        if (out.flows.length > 0) addEdge({ from: place.node.id, to: outside.node.id, flows: out.flows, layer: "acl", via: out.via });
      }
      if (place.groups) {
        const sgIn = groupLayer(model, rules, place.groups, "ingress", outside.ranges, undefined, outside.node.kind === "internet");
        if (sgIn.flows.length > 0)
          addEdge({ from: outside.node.id, to: place.node.id, flows: sgIn.flows, layer: "security-group", via: sgIn.via });
        const sgOut = groupLayer(model, rules, place.groups, "egress", outside.ranges, undefined, outside.node.kind === "internet");
        if (sgOut.flows.length > 0)
          addEdge({ from: place.node.id, to: outside.node.id, flows: sgOut.flows, layer: "security-group", via: sgOut.via });
      }
    }
    // What the model cannot place: a rule or entry whose peer is known only at apply time.
    for (const [direction, layer] of [
      ["ingress", acl(place.subnets, "ingress", [])],
      ["egress", acl(place.subnets, "egress", [])],
      ...(place.groups
        ? ([
            ["ingress", groupLayer(model, rules, place.groups, "ingress", [], undefined)],
            ["egress", groupLayer(model, rules, place.groups, "egress", [], undefined)],
          ] as const)
        : []),
    ] as const) {
      if (!layer.unknown) continue;
      unknownNode();
      addEdge({
        from: direction === "ingress" ? "unknown" : place.node.id,
        to: direction === "ingress" ? place.node.id : "unknown",
        flows: [],
        layer: layer.layer,
        via: layer.via,
        unknown: layer.unknown,
      });
    }
  }
  return { stack: model.stack, nodes: [...nodes.values()], edges };
}

/**
 * The places a place of a VPC may reach over the local route, in the order of `inside`: those of
 * its VPC and those whose VPC is not known (a place whose VPC is not known, every place). Looked
 * up per VPC, so a stack of many VPCs does not pair every place with every other.
 */
function placesByVpc(inside: readonly Place[]): (vpc: string | undefined) => readonly Place[] {
  const unplaced: Place[] = [];
  const byVpc = new Map<string, Place[]>();
  for (const place of inside) {
    if (place.vpc === undefined) unplaced.push(place);
    else {
      const list = byVpc.get(place.vpc);
      if (list) list.push(place);
      else byVpc.set(place.vpc, [place]);
    }
  }
  if (unplaced.length === 0) return (vpc) => (vpc === undefined ? inside : (byVpc.get(vpc) ?? []));
  const merged = new Map<string, readonly Place[]>();
  return (vpc) => {
    if (vpc === undefined) return inside;
    let list = merged.get(vpc);
    if (list === undefined) {
      const own = new Set(byVpc.get(vpc));
      merged.set(vpc, (list = inside.filter((p) => p.vpc === undefined || own.has(p))));
    }
    return list;
  };
}

// ---------- flows ----------

function protocolName(protocol: Value | undefined): string | undefined {
  if (isAllProtocols(protocol)) return "all";
  if (protocol === "tcp" || protocol === "6" || protocol === 6) return "tcp";
  if (protocol === "udp" || protocol === "17" || protocol === 17) return "udp";
  if (protocol === "icmp" || protocol === "1" || protocol === 1) return "icmp";
  return typeof protocol === "string" || typeof protocol === "number" ? String(protocol) : undefined;
}

/** A rule's flow, or a reason it is known only at apply time. */
function flowOf(protocol: Value | undefined, fromPort: Value | undefined, toPort: Value | undefined): Flow | string {
  const name = protocolName(protocol);
  if (name === undefined) return `protocol ${String(protocol)} is known only at apply time`;
  if (name === "all") return ALL;
  if (name !== "tcp" && name !== "udp") return { protocol: name, from: 0, to: 65535 };
  const from = asNumber(fromPort);
  const to = asNumber(toPort);
  if (from === "unknown" || to === "unknown") return `ports ${String(fromPort)}-${String(toPort)} are known only at apply time`;
  // AWS writes "every port" as -1 or 0-0 for some spellings; a missing port is every port.
  if (from === undefined || to === undefined || from < 0 || (from === 0 && to === 0)) return { protocol: name, from: 0, to: 65535 };
  return { protocol: name, from, to };
}

function intersectFlow(a: Flow, b: Flow): Flow | undefined {
  const protocol = a.protocol === "all" ? b.protocol : b.protocol === "all" || b.protocol === a.protocol ? a.protocol : undefined;
  if (protocol === undefined) return undefined;
  const from = Math.max(a.from, b.from);
  const to = Math.min(a.to, b.to);
  return from <= to ? { protocol, from, to } : undefined;
}

function intersectFlows(a: readonly Flow[], b: readonly Flow[]): readonly Flow[] {
  // Layers' flows are normalized: everything meeting them leaves them as they are.
  if (a.length === 1 && a[0] === ALL) return b;
  if (b.length === 1 && b[0] === ALL) return a;
  const out: Flow[] = [];
  for (const x of a)
    for (const y of b) {
      const f = intersectFlow(x, y);
      if (f !== undefined) out.push(f);
    }
  return normalize(out);
}

/** Flows merged per protocol, sorted: the same opening written twice is one flow. */
function normalize(flows: Flow[]): Flow[] {
  // Most layers open nothing or one flow: nothing to merge or sort, and the caller's own list is the answer.
  if (flows.length === 0) return flows;
  if (flows.length === 1) {
    const { protocol, from, to } = flows[0];
    return protocol === "all" && from === 0 && to === 65535 ? [ALL] : flows;
  }
  if (flows.some((f) => f.protocol === "all" && f.from === 0 && f.to === 65535)) return [ALL];
  // One sort by protocol and first port, then one pass joining what overlaps or touches.
  flows.sort((a, b) => (a.protocol === b.protocol ? a.from - b.from : a.protocol.localeCompare(b.protocol)));
  const out: Flow[] = [];
  let last: Flow | undefined;
  for (const f of flows) {
    if (last !== undefined && last.protocol === f.protocol && f.from <= last.to + 1) {
      if (f.to > last.to) out[out.length - 1] = last = { protocol: last.protocol, from: last.from, to: f.to };
    } else out.push((last = f));
  }
  return out;
}

export function flowText(flow: Flow): string {
  if (flow.protocol === "all") return "all";
  return `${flow.protocol}/${flow.from === flow.to ? flow.from : `${flow.from}-${flow.to}`}`;
}

/** True when every flow is TCP 8883 alone. */
export function onlyMqttTls(flows: readonly Flow[]): boolean {
  return flows.every((f) => f.protocol === "tcp" && f.from === MQTT_TLS_PORT && f.to === MQTT_TLS_PORT);
}

// ---------- ACLs ----------

interface LayerResult {
  readonly flows: Flow[];
  readonly via: string[];
  readonly unknown?: string;
  readonly layer: Layer;
}

/**
 * What the ACL of some subnets lets through in one direction to or from a range set: entries by
 * rule number, the first match decides, the implicit deny last. A subnet claimed by several ACLs
 * may end up with any of them (the last association wins), so each claimant is evaluated.
 */
function aclEvaluator(model: ReviewModel) {
  const byAcl = new Map<string, AclEntry[]>();
  for (const entry of aclEntries(model)) {
    if (entry.acl === undefined) continue;
    const list = byAcl.get(entry.acl) ?? [];
    list.push(entry);
    byAcl.set(entry.acl, list);
  }
  const uses = new Map(subnetAcls(model).map((s) => [s.subnet.address, s.acls.length > 0 ? s.acls : s.defaultAcl ? [s.defaultAcl] : []]));
  // Each ACL's entries, in rule-number order with their flows and ranges, once per direction.
  const prepared = { ingress: new Map<string, Prepared>(), egress: new Map<string, Prepared>() };
  const prepare = (address: string, direction: "ingress" | "egress"): Prepared => {
    let done = prepared[direction].get(address);
    if (done) return done;
    const entries = (byAcl.get(address) ?? []).filter((e) => e.egress === (direction === "egress") || e.egress === "unknown");
    const unplaceable: { resource: string; reason: string }[] = [];
    const numbered: Prepared["numbered"][number][] = [];
    for (const e of entries) {
      if (typeof e.ruleNumber !== "number" || e.egress === "unknown" || typeof e.action !== "string") {
        unplaceable.push({
          resource: e.resource,
          reason: `${e.resource}: an entry of ${address} is known only at apply time (rule number, direction or action)`,
        });
        if (typeof e.ruleNumber !== "number") continue;
      }
      const flow = flowOf(e.protocol, e.fromPort, e.toPort);
      const ranges = rangesOf(e.cidr);
      const ipv6 = ranges === undefined && typeof e.ipv6Cidr === "string" && (e.cidr === undefined || e.cidr === null);
      if ((ranges === undefined && !ipv6) || typeof flow === "string") {
        if (e.action === "allow" || typeof e.action !== "string")
          unplaceable.push({
            resource: e.resource,
            reason: `${e.resource}: ${typeof flow === "string" ? flow : `CIDR ${String(e.cidr ?? e.ipv6Cidr)} is known only at apply time`}`,
          });
        continue;
      }
      numbered.push({ entry: e, flow, ranges: ranges ?? [], ipv6 });
    }
    numbered.sort((a, b) => (a.entry.ruleNumber as number) - (b.entry.ruleNumber as number));
    done = { numbered, unplaceable };
    prepared[direction].set(address, done);
    return done;
  };
  return (subnets: readonly Resource[], direction: "ingress" | "egress", peer: Ranges): LayerResult => {
    const flows: Flow[] = [];
    const via: string[] = [];
    let unknown: string | undefined;
    for (const subnet of subnets) {
      const acls = uses.get(subnet.address) ?? [];
      if (acls.length === 0) {
        // AWS's default ACL allows everything both ways.
        if (!isEmpty(peer)) {
          flows.push(ALL);
          via.push(subnet.address);
        }
        continue;
      }
      for (const address of acls) {
        const { numbered, unplaceable } = prepare(address, direction);
        for (const u of unplaceable) {
          unknown ??= u.reason;
          via.push(u.resource);
        }
        // Nothing overlaps an empty peer: only the unplaceable entries above answer.
        if (peer.length === 0) continue;
        let denied: Prepared["numbered"][number][] | undefined;
        for (let n = 0; n < numbered.length; n++) {
          const entry = numbered[n];
          const { entry: e, flow, ipv6 } = entry;
          // IPv6 entries reach only the Internet here: the segment is IPv4.
          const ranges = ipv6 ? peerIsPublic(peer) : entry.ranges;
          // Only an earlier deny of this flow needs the overlap itself; otherwise whether there is one.
          let reach: Ranges | undefined;
          if (denied !== undefined)
            for (const d of denied)
              if (coversFlow(d.flow, flow)) reach = subtract(reach ?? intersect(peer, ranges), d.ipv6 ? peerIsPublic(peer) : d.ranges);
          if (reach === undefined ? !overlaps(peer, ranges) : isEmpty(reach)) continue;
          if (e.action === "deny") (denied ??= []).push(entry);
          else if (e.action === "allow") {
            flows.push(flow);
            via.push(e.resource);
          }
        }
      }
    }
    return { flows: normalize(flows), via: via.length < 2 ? via : [...new Set(via)], unknown, layer: "acl" };
  };
}

interface Prepared {
  readonly numbered: readonly { readonly entry: AclEntry; readonly flow: Flow; readonly ranges: Ranges; readonly ipv6: boolean }[];
  readonly unplaceable: readonly { readonly resource: string; readonly reason: string }[];
}

function coversFlow(outer: Flow, inner: Flow): boolean {
  return (outer.protocol === "all" || outer.protocol === inner.protocol) && outer.from <= inner.from && outer.to >= inner.to;
}

const PUBLIC = subtract(EVERYWHERE, PRIVATE);
function peerIsPublic(peer: Ranges): Ranges {
  return overlaps(peer, PUBLIC) ? peer : [];
}

// ---------- security groups ----------

/**
 * What a set of groups lets through in one direction, to or from a range set or a set of groups
 * (a referenced group matches when it is one of the peer's). Stateful: replies need no rule.
 */
function groupLayer(
  model: ReviewModel,
  rules: RuleIndex,
  groups: readonly string[],
  direction: "ingress" | "egress",
  peer: Ranges,
  peerGroups: readonly string[] | undefined,
  ipv6ToPeer = false,
): LayerResult {
  const judged: Judged = { flows: [], via: [], unknown: undefined };
  const ask: PeerQuestion = { direction, peer, peerGroups, groups, ipv6ToPeer };
  for (const g of groups) {
    const own = rules.byGroup.get(g);
    if (own !== undefined) for (const rule of own) judge(model, rule, ask, judged);
  }
  if (groups.length > 0) for (const rule of rules.unplaced) judge(model, rule, ask, judged);
  const { flows, via, unknown } = judged;
  return { flows: normalize(flows), via: via.length < 2 ? via : [...new Set(via)], unknown, layer: "security-group" };
}

/** What {@link groupLayer} gathers over the rules it judges. */
interface Judged {
  readonly flows: Flow[];
  readonly via: string[];
  unknown: string | undefined;
}

/** The other side of a security group layer, and the groups whose rules are judged. */
interface PeerQuestion {
  readonly direction: "ingress" | "egress";
  readonly peer: Ranges;
  readonly peerGroups: readonly string[] | undefined;
  readonly groups: readonly string[];
  readonly ipv6ToPeer: boolean;
}

function judge(model: ReviewModel, rule: GroupRule, ask: PeerQuestion, out: Judged): void {
  if (rule.direction !== ask.direction) return;
  // A placed rule comes from one of `groups`' own lists; one the file cannot place may be on any of them.
  if (rule.group === undefined && (ask.groups.length === 0 || !couldBe(rule.groupValue))) return;
  const flow = ruleFlow(rule);
  for (const p of rule.peers) {
    const m = peerMatches(model, p, ask);
    if (typeof m === "string" || typeof flow === "string") {
      // An unplaceable peer matters only where the rule could apply: reported once per rule.
      out.unknown ??= `${rule.resource}: ${typeof flow === "string" ? flow : m}`;
      if (typeof m === "string" || m) out.via.push(rule.resource);
      continue;
    }
    if (m) {
      out.flows.push(flow);
      out.via.push(rule.resource);
    }
  }
  if (rule.group === undefined) {
    out.unknown ??= `${rule.resource}: its security group ${String(rule.groupValue)} is not one of this stack's`;
    out.via.push(rule.resource);
  }
}

/** A rule's flow, read once per rule: the graph asks for it on every pair of places. */
const ruleFlows = new WeakMap<GroupRule, Flow | string>();
function ruleFlow(rule: GroupRule): Flow | string {
  let flow = ruleFlows.get(rule);
  if (flow === undefined) ruleFlows.set(rule, (flow = flowOf(rule.protocol, rule.fromPort, rule.toPort)));
  return flow;
}

/**
 * What a rule's peer stands for, read once per peer (the graph asks on every pair of places):
 * its address ranges, the group it names, nothing to read (`self`, an IPv6 CIDR), or why it is
 * known only at apply time.
 */
type ResolvedPeer = { readonly ranges: Ranges } | { readonly group: string } | { readonly reason: string } | null;
const resolvedPeers = new WeakMap<Peer, ResolvedPeer>();

function resolvePeer(model: ReviewModel, p: Peer, direction: "ingress" | "egress"): ResolvedPeer {
  switch (p.kind) {
    case "cidr": {
      const r = rangesOf(p.value) ?? cidrByReference(model, p.value);
      return r === undefined ? { reason: `${direction} peer ${String(p.value)} is known only at apply time` } : { ranges: r };
    }
    case "cidr6":
      return typeof p.value === "string" ? null : { reason: `${direction} peer ${String(p.value)} is known only at apply time` };
    case "prefix-list": {
      const cidrs = prefixListCidrs(model, p.value);
      if (cidrs === undefined) return { reason: `prefix list ${String(p.value)} is not one of this stack's: its entries are not known` };
      const ranges = cidrs.map((c) => rangesOf(c));
      if (ranges.some((r) => r === undefined)) return { reason: `an entry of prefix list ${String(p.value)} is known only at apply time` };
      return { ranges: union(...(ranges as Ranges[])) };
    }
    case "group": {
      const target = groupAddress(model, p.value);
      return target === undefined ? { reason: `referenced group ${String(p.value)} is not one of this stack's` } : { group: target };
    }
    case "self":
      return null;
  }
}

/** Whether a rule's peer is the other side (a range set or groups), or why that is known only at apply time. */
function peerMatches(model: ReviewModel, p: Peer, ask: PeerQuestion): boolean | string {
  let resolved = resolvedPeers.get(p);
  if (resolved === undefined) resolvedPeers.set(p, (resolved = resolvePeer(model, p, ask.direction)));
  if (resolved !== null && "reason" in resolved) return resolved.reason;
  switch (p.kind) {
    case "cidr":
    case "prefix-list":
      return overlaps((resolved as { ranges: Ranges }).ranges, ask.peer);
    case "cidr6":
      return ask.ipv6ToPeer;
    case "group":
      return ask.peerGroups?.includes((resolved as { group: string }).group) ?? false;
    case "self":
      return ask.peerGroups?.some((g) => ask.groups.includes(g)) ?? false;
  }
}

function couldBe(value: Value | undefined): boolean {
  return value instanceof Unknown || value instanceof Ref || typeof value === "string";
}

function cidrByReference(model: ReviewModel, value: Value): Ranges | undefined {
  if (!(value instanceof Ref)) return undefined;
  const target = model.get(value.address);
  return target && value.attribute === "cidr_block" ? rangesOf(target.attributes.cidr_block) : undefined;
}

// ---------- routes ----------

interface RouteOut {
  readonly ranges: Ranges;
  readonly via: string[];
  /** The network behind a target other than an Internet gateway (peering, transit gateway, VPN, appliance). */
  readonly network?: GraphNode;
  /** A NAT gateway: connections go out only. */
  readonly outOnly?: boolean;
  readonly unknown?: string;
}

/** Each subnet's routes that leave the VPC: from its associated table, else the VPC's main table. */
function routesBySubnet(model: ReviewModel): Map<string, RouteOut[]> {
  const byTable = new Map<string, RouteOut[]>();
  const push = (table: string, route: RouteOut) => {
    const list = byTable.get(table);
    if (list) list.push(route);
    else byTable.set(table, [route]);
  };
  const read = (owner: Resource, table: string, r: Record<string, Value>) => {
    const destination = routeDestination(r);
    const key = ROUTE_TARGETS.find((k) => r[k] !== undefined && r[k] !== null && r[k] !== "");
    if (!key || (key === "gateway_id" && r[key] === "local")) return;
    const target = r[key];
    const via = [owner.address, String(target instanceof Ref ? target.address : target)];
    let ranges: Ranges | undefined = rangesOf(destination);
    if (ranges === undefined && typeof destination === "string" && destination.includes(":")) ranges = PUBLIC;
    if (ranges === undefined && destination !== undefined) {
      const listed = prefixListCidrs(model, destination);
      const parts = listed?.map((c) => rangesOf(c));
      if (parts && parts.every((p) => p !== undefined)) ranges = union(...(parts as Ranges[]));
    }
    if (ranges === undefined) {
      push(table, {
        ranges: [],
        via,
        unknown: `route to ${String(destination)} through ${key} ${String(target)}: its destination is known only at apply time`,
      });
      return;
    }
    const targetResource = model.target(target);
    const igw =
      key === "gateway_id" &&
      (targetResource?.type === "aws_internet_gateway" || (typeof target === "string" && target.startsWith("igw-")));
    const network =
      igw || key === "egress_only_gateway_id" || key === "nat_gateway_id"
        ? undefined
        : {
            id: `network:${via[1]}`,
            kind: "network" as const,
            label: `${key.replace(/_id$|_arn$/, "")} ${via[1]}`,
            cidrs: [String(destination)],
            resource: via[1],
          };
    push(table, { ranges, via, network, outOnly: key === "nat_gateway_id" || key === "egress_only_gateway_id" });
  };
  const tables = [...model.ofType("aws_route_table"), ...model.ofType("aws_default_route_table")];
  for (const table of tables) {
    for (const r of blocks(table.attributes.route)) if (isRecord(r)) read(table, table.address, r);
    const vgws = table.attributes.propagating_vgws;
    if (vgws !== undefined && vgws !== null && !(Array.isArray(vgws) && vgws.length === 0))
      push(table.address, {
        ranges: EVERYWHERE,
        via: [table.address, String(vgws)],
        network: { id: `network:${table.address}:propagated`, kind: "network", label: "routes propagated from a VPN gateway", cidrs: [] },
      });
  }
  for (const route of model.ofType("aws_route")) {
    const table = model.target(route.attributes.route_table_id);
    read(route, table?.address ?? `?${String(route.attributes.route_table_id)}`, route.attributes);
  }
  for (const p of model.ofType("aws_vpn_gateway_route_propagation")) {
    const table = model.target(p.attributes.route_table_id)?.address;
    if (table)
      push(table, {
        ranges: EVERYWHERE,
        via: [p.address],
        network: { id: `network:${p.address}`, kind: "network", label: "routes propagated from a VPN gateway", cidrs: [] },
      });
  }
  const main = new Map<string, string>();
  for (const t of model.ofType("aws_default_route_table")) {
    const vpc = [...t.references].find((a) => model.get(a)?.type === "aws_vpc");
    if (vpc) main.set(vpc, t.address);
  }
  for (const m of model.ofType("aws_main_route_table_association")) {
    const vpc = model.target(m.attributes.vpc_id)?.address;
    const table = model.target(m.attributes.route_table_id)?.address;
    if (vpc && table) main.set(vpc, table);
  }
  const bySubnet = new Map<string, RouteOut[]>();
  const associated = new Map<string, string[]>();
  for (const a of model.ofType("aws_route_table_association")) {
    const subnet = model.target(a.attributes.subnet_id)?.address;
    const table = model.target(a.attributes.route_table_id)?.address;
    if (subnet) associated.set(subnet, [...(associated.get(subnet) ?? []), table ?? `?${a.address}`]);
  }
  const unplaced = [...byTable.keys()].filter((t) => t.startsWith("?"));
  for (const subnet of model.ofType("aws_subnet")) {
    const vpc = model.target(subnet.attributes.vpc_id)?.address;
    const tables = associated.get(subnet.address) ?? (vpc && main.has(vpc) ? [main.get(vpc) as string] : []);
    // A route on a table the file cannot place may be on any subnet's.
    bySubnet.set(
      subnet.address,
      [...tables, ...unplaced].flatMap((t) => byTable.get(t) ?? []),
    );
  }
  return bySubnet;
}
