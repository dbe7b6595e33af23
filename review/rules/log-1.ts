import { Resource } from "../model";
import { fail, RuleCheck, unknown, Violation } from "../rule";
import { Ref } from "../value";

/** LOG-1: every segment VPC has a flow log of ALL traffic, so every connection to the broker is on record. */
export const vpcFlowLog: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const logs = model.ofType("aws_flow_log");
  const byVpc = new Map<string, Resource[]>();
  for (const log of logs) {
    const vpc = log.attributes.vpc_id;
    if (vpc instanceof Ref) byVpc.set(vpc.address, [...(byVpc.get(vpc.address) ?? []), log]);
  }
  const someUnplaced = logs.some((l) => !(l.attributes.vpc_id instanceof Ref));
  for (const vpc of model.ofType("aws_vpc")) {
    const own = byVpc.get(vpc.address) ?? [];
    if (own.length === 0 && !someUnplaced) violations.push(fail(vpc.address, "the VPC has no flow log"));
    else if (own.length > 0 && !own.some((l) => l.attributes.traffic_type === "ALL")) violations.push(fail(vpc.address, "no flow log of the VPC records ALL traffic"));
  }
  for (const log of logs) {
    const { vpc_id: vpc, traffic_type: traffic } = log.attributes;
    if (vpc !== undefined && !(vpc instanceof Ref)) violations.push(unknown(log.address, `vpc_id ${String(vpc)} is not a VPC of this stack`));
    if (typeof traffic === "string" && traffic !== "ALL") violations.push(fail(log.address, `traffic_type ${traffic} misses ${traffic === "ACCEPT" ? "rejected" : "accepted"} connections; use ALL`));
    else if (typeof traffic !== "string") violations.push(unknown(log.address, `traffic_type ${String(traffic)} is known only at apply time`));
  }
  return violations;
};
