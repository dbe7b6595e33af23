import { Resource } from "../model";
import { fail, RuleCheck, unknown, Violation } from "../rule";
import { Ref } from "../value";

/**
 * LOG-1: every segment VPC has a flow log of ALL traffic, so every connection to the broker is on
 * record. Only a flow log on the VPC itself counts: a subnet or ENI flow log misses the
 * interfaces added later (a new endpoint ENI, a new subnet).
 */
export const vpcFlowLog: RuleCheck = (model) => {
  const violations: Violation[] = [];
  const logs = model.ofType("aws_flow_log");
  const byVpc = new Map<string, Resource[]>();
  // Flow logs whose vpc_id is set but names no VPC of this file: any of them may be a VPC's log.
  const unplaced: Resource[] = [];
  for (const log of logs) {
    const vpc = log.attributes.vpc_id;
    if (vpc === undefined || vpc === null) continue;
    const target = model.target(vpc);
    if (vpc instanceof Ref && vpc.attribute === "id" && target?.type === "aws_vpc") byVpc.set(target.address, [...(byVpc.get(target.address) ?? []), log]);
    else {
      unplaced.push(log);
      violations.push(unknown(log.address, `vpc_id ${String(vpc)} is not a VPC of this stack`));
    }
  }
  for (const vpc of model.ofType("aws_vpc")) {
    const own = byVpc.get(vpc.address) ?? [];
    if (own.length === 0) {
      if (unplaced.length === 0) violations.push(fail(vpc.address, "the VPC has no flow log (subnet and ENI flow logs do not count: they miss interfaces added later)"));
      else violations.push(unknown(vpc.address, `the VPC has no flow log unless ${unplaced.map((l) => `${l.address} (vpc_id ${String(l.attributes.vpc_id)})`).join(", ")} is on it`));
    } else if (own.every((l) => typeof l.attributes.traffic_type === "string" && l.attributes.traffic_type !== "ALL")) violations.push(fail(vpc.address, "no flow log of the VPC records ALL traffic"));
  }
  for (const log of logs) {
    const traffic = log.attributes.traffic_type;
    if (typeof traffic === "string" && traffic !== "ALL") violations.push(fail(log.address, `traffic_type ${traffic} misses ${traffic === "ACCEPT" ? "rejected" : "accepted"} connections; use ALL`));
    else if (typeof traffic !== "string") violations.push(unknown(log.address, `traffic_type ${String(traffic)} is known only at apply time`));
  }
  return violations;
};
