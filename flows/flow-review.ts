import { MQTT_TLS_PORT } from "../core/mqtt";
import { FlowRecord } from "./flow-log-format";
import { FlowAddressPlan, SegmentZones } from "./segment-zones";

/**
 * The segment's promises a flow can break, worst first:
 * - `office`: an office range appears at all (the segment neither routes to nor admits it);
 * - `outside-vpc`: an address outside the VPC appears (there is no route out or in);
 * - `not-device-to-endpoint`: TCP 8883, but not from a device subnet to an endpoint subnet;
 * - `not-8883`: anything else that is not MQTT over TLS.
 */
export type Breach = "office" | "outside-vpc" | "not-device-to-endpoint" | "not-8883";

export const BREACH_TEXT: Record<Breach, string> = {
  office: "an office range",
  "outside-vpc": "an address outside the VPC",
  "not-device-to-endpoint": "TCP 8883 not from a device subnet to an endpoint subnet",
  "not-8883": "not TCP 8883",
};

/** Connections to the broker from one device address. */
export interface BrokerSource {
  readonly source: string;
  /** The device subnet (CIDR) the address is in. */
  readonly subnet: string;
  accepted: number;
  rejected: number;
  /** Both directions: requests and the broker's answers. */
  bytes: number;
  /** Seconds since the epoch. */
  first: number;
  last: number;
}

/** Flows with the same breach, action, addresses, protocol and destination port. */
export interface BreachGroup {
  readonly breach: Breach;
  readonly action: "ACCEPT" | "REJECT";
  readonly source: string;
  readonly destination: string;
  readonly protocol: number;
  readonly dstport: number;
  /**
   * Whether the flow breaks a promise: an office or outside address always does (it should not
   * even reach the segment); a refused flow inside the VPC does not (the firewall held).
   */
  readonly broken: boolean;
  flows: number;
  bytes: number;
  first: number;
  last: number;
}

export interface FlowReviewResult {
  readonly records: number;
  readonly flows: number;
  readonly noData: number;
  /** SKIPDATA records: flows AWS could not capture in an interval, so the review is incomplete. */
  readonly skippedData: number;
  readonly sources: readonly BrokerSource[];
  readonly breaches: readonly BreachGroup[];
  /** Breach flows not grouped because the group limit was reached (still counted as broken when they are). */
  readonly ungrouped: { readonly flows: number; readonly broken: number };
  /** True when any promise is broken: `moat flows` then exits 1. */
  readonly broken: boolean;
}

/** Distinct breach groups kept: a scan from many addresses must not grow memory with the file. */
export const MAX_BREACH_GROUPS = 10_000;

const TCP = 6;

/**
 * Accumulates flow records into a review against the address plan. Memory is bounded by the
 * number of device addresses and {@link MAX_BREACH_GROUPS}, never by the number of records.
 */
export class FlowReview {
  private readonly zones: SegmentZones;
  private readonly sourcesByAddress = new Map<string, BrokerSource>();
  private readonly groups = new Map<string, BreachGroup>();
  private records = 0;
  private flows = 0;
  private noData = 0;
  private skippedData = 0;
  private ungroupedFlows = 0;
  private ungroupedBroken = 0;
  private anyBroken = false;

  constructor(plan: FlowAddressPlan) {
    this.zones = new SegmentZones(plan);
  }

  /** Records folded in so far (for progress lines). */
  public get recordCount(): number {
    return this.records;
  }

  public addNoData(kind: "NODATA" | "SKIPDATA"): void {
    this.records++;
    if (kind === "NODATA") this.noData++;
    else this.skippedData++;
  }

  public add(record: FlowRecord): void {
    this.records++;
    this.flows++;
    const src = this.zones.locate(record.srcaddr);
    const dst = this.zones.locate(record.dstaddr);
    const mqttPort = MQTT_TLS_PORT;
    const tcp = record.protocol === TCP;
    if (tcp && record.dstport === mqttPort && src.zone === "device" && dst.zone === "endpoint") {
      this.connection(record.srcaddr, src.subnet!, record, true);
      return;
    }
    if (tcp && record.srcport === mqttPort && src.zone === "endpoint" && dst.zone === "device") {
      // The broker's answer on an established connection: counted with the device's traffic.
      this.connection(record.dstaddr, dst.subnet!, record, false);
      return;
    }
    let breach: Breach;
    if (src.zone === "office" || dst.zone === "office") breach = "office";
    else if (src.zone === "outside" || dst.zone === "outside") breach = "outside-vpc";
    else if (tcp && (record.dstport === mqttPort || record.srcport === mqttPort)) breach = "not-device-to-endpoint";
    else breach = "not-8883";
    this.breach(breach, record);
  }

  public result(): FlowReviewResult {
    const sources = [...this.sourcesByAddress.values()].sort((a, b) => b.bytes - a.bytes || compareText(a.source, b.source));
    const breaches = [...this.groups.values()].sort(
      (a, b) =>
        Number(b.broken) - Number(a.broken) ||
        BREACHES.indexOf(a.breach) - BREACHES.indexOf(b.breach) ||
        b.flows - a.flows ||
        compareText(a.source, b.source),
    );
    return {
      records: this.records,
      flows: this.flows,
      noData: this.noData,
      skippedData: this.skippedData,
      sources,
      breaches,
      ungrouped: { flows: this.ungroupedFlows, broken: this.ungroupedBroken },
      broken: this.anyBroken,
    };
  }

  private connection(device: string, subnet: string, record: FlowRecord, request: boolean): void {
    let entry = this.sourcesByAddress.get(device);
    if (entry === undefined) {
      entry = { source: device, subnet, accepted: 0, rejected: 0, bytes: 0, first: record.start, last: record.end };
      this.sourcesByAddress.set(device, entry);
    }
    if (request) {
      if (record.action === "ACCEPT") entry.accepted++;
      else entry.rejected++;
    }
    entry.bytes += record.bytes;
    entry.first = Math.min(entry.first, record.start);
    entry.last = Math.max(entry.last, record.end);
  }

  private breach(breach: Breach, record: FlowRecord): void {
    const broken = breach === "office" || breach === "outside-vpc" || record.action === "ACCEPT";
    this.anyBroken ||= broken;
    const key = `${breach} ${record.action} ${record.srcaddr} ${record.dstaddr} ${record.protocol} ${record.dstport}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      if (this.groups.size >= MAX_BREACH_GROUPS) {
        this.ungroupedFlows++;
        if (broken) this.ungroupedBroken++;
        return;
      }
      group = {
        breach,
        action: record.action,
        source: record.srcaddr,
        destination: record.dstaddr,
        protocol: record.protocol,
        dstport: record.dstport,
        broken,
        flows: 0,
        bytes: 0,
        first: record.start,
        last: record.end,
      };
      this.groups.set(key, group);
    }
    group.flows++;
    group.bytes += record.bytes;
    group.first = Math.min(group.first, record.start);
    group.last = Math.max(group.last, record.end);
  }
}

const BREACHES: readonly Breach[] = ["office", "outside-vpc", "not-device-to-endpoint", "not-8883"];

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
