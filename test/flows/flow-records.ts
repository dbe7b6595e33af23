import { FLOW_FIELDS, FlowField } from "../../flows";
import type { FlowAddressPlan } from "../../flows";

/** 2026-12-04T10:00:00Z: when the generated flows happen. */
export const FLOW_TIME = 1796378400;

/** The nth host address of a CIDR (n from 1), as text. */
export function hostOf(cidr: string, n: number): string {
  const [base, prefix] = cidr.split("/");
  const first = base.split(".").reduce((v, o) => v * 256 + Number(o), 0);
  if (n < 1 || n >= 2 ** (32 - Number(prefix)) - 1) throw new Error(`host ${n} is outside ${cidr}`);
  const value = first + n;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** One record line in moat's format; fields not given are what AWS writes for them on an ENI. */
export function recordLine(values: Partial<Record<FlowField, string | number>>): string {
  const defaults: Record<FlowField, string | number> = {
    version: 5,
    "account-id": "123456789012",
    "interface-id": "eni-0abc",
    srcaddr: "-",
    dstaddr: "-",
    srcport: 0,
    dstport: 0,
    protocol: 6,
    packets: 10,
    bytes: 840,
    start: FLOW_TIME,
    end: FLOW_TIME + 60,
    action: "ACCEPT",
    "log-status": "OK",
    "vpc-id": "vpc-0abc",
    "subnet-id": "subnet-0abc",
    "tcp-flags": 19,
    "pkt-srcaddr": "-",
    "pkt-dstaddr": "-",
    "flow-direction": "ingress",
  };
  const all = { ...defaults, ...values };
  return FLOW_FIELDS.map((f) => String(all[f])).join(" ");
}

/** An MQTT connection from a device: its request record and the broker's answer. */
export function mqttFlow(plan: FlowAddressPlan, device: number, endpoint: number, at: number, bytes = 2048): string[] {
  const subnets = plan.deviceSubnets.length;
  const src = hostOf(plan.deviceSubnets[device % subnets].cidr, 10 + Math.floor(device / subnets));
  const dst = hostOf(plan.endpointSubnets[endpoint % plan.endpointSubnets.length].cidr, 5);
  const port = 40000 + (device % 20000);
  return [
    recordLine({ srcaddr: src, dstaddr: dst, srcport: port, dstport: 8883, bytes, start: at, end: at + 60 }),
    recordLine({
      srcaddr: dst,
      dstaddr: src,
      srcport: 8883,
      dstport: port,
      bytes: bytes * 2,
      start: at,
      end: at + 60,
      "flow-direction": "egress",
    }),
  ];
}

/** Hostile flows, each breaking (or trying to break) one promise of the segment. */
export function hostileFlows(plan: FlowAddressPlan, at: number): Record<string, string> {
  const device = hostOf(plan.deviceSubnets[0].cidr, 10);
  const otherDevice = hostOf(plan.deviceSubnets[plan.deviceSubnets.length - 1].cidr, 11);
  const endpoint = hostOf(plan.endpointSubnets[0].cidr, 5);
  const office = hostOf(plan.officeCidrs[0], 7);
  return {
    officeToBroker: recordLine({
      srcaddr: office,
      dstaddr: endpoint,
      srcport: 50000,
      dstport: 8883,
      start: at,
      end: at + 60,
      action: "REJECT",
    }),
    internetToDevice: recordLine({
      srcaddr: "203.0.113.9",
      dstaddr: device,
      srcport: 443,
      dstport: 50001,
      start: at,
      end: at + 60,
      action: "REJECT",
    }),
    plainMqttAccepted: recordLine({
      srcaddr: device,
      dstaddr: endpoint,
      srcport: 50002,
      dstport: 1883,
      start: at,
      end: at + 60,
      action: "ACCEPT",
    }),
    sshProbeRefused: recordLine({
      srcaddr: device,
      dstaddr: otherDevice,
      srcport: 50003,
      dstport: 22,
      start: at,
      end: at + 60,
      action: "REJECT",
      "tcp-flags": 2,
    }),
    deviceToDeviceMqtt: recordLine({
      srcaddr: device,
      dstaddr: otherDevice,
      srcport: 50004,
      dstport: 8883,
      start: at,
      end: at + 60,
      action: "ACCEPT",
    }),
  };
}

/** `count` benign connection records (request + answer pairs) spread over devices and endpoints. */
export function* benignLines(plan: FlowAddressPlan, count: number, start = FLOW_TIME): Generator<string> {
  for (let i = 0; i < count / 2; i++) yield* mqttFlow(plan, i % 500, i, start + (i % 3600));
}
