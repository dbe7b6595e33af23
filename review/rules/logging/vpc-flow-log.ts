import { Resource } from "../../model";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { knownText } from "../../segment";
import { Ref } from "../../value";

/** Fields a flow log record needs to say who talked to whom on which port, and whether it was let through. */
const REQUIRED_FIELDS = ["srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action"];
/** Stores the log-store rules (LOG-2, LOG-3) can judge; anything else leaves the segment's evidence unchecked. */
const CHECKED_DESTINATIONS = ["cloud-watch-logs", "s3"];

/**
 * Every segment VPC has a flow log of ALL traffic, so every connection to the broker is on
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
    if (vpc instanceof Ref && vpc.attribute === "id" && target?.type === "aws_vpc")
      byVpc.set(target.address, [...(byVpc.get(target.address) ?? []), log]);
    else {
      unplaced.push(log);
      violations.push(unknown(log.address, `vpc_id ${String(vpc)} is not a VPC of this stack`));
    }
  }
  for (const vpc of model.ofType("aws_vpc")) {
    const own = byVpc.get(vpc.address) ?? [];
    if (own.length === 0) {
      if (unplaced.length === 0)
        violations.push(
          fail(vpc.address, "the VPC has no flow log (subnet and ENI flow logs do not count: they miss interfaces added later)"),
        );
      else
        violations.push(
          unknown(
            vpc.address,
            `the VPC has no flow log unless ${unplaced.map((l) => `${l.address} (vpc_id ${String(l.attributes.vpc_id)})`).join(", ")} is on it`,
          ),
        );
    } else if (own.every((l) => typeof l.attributes.traffic_type === "string" && l.attributes.traffic_type !== "ALL"))
      violations.push(fail(vpc.address, "no flow log of the VPC records ALL traffic"));
  }
  for (const log of logs) {
    const traffic = log.attributes.traffic_type;
    if (typeof traffic === "string" && traffic !== "ALL")
      violations.push(
        fail(log.address, `traffic_type ${traffic} misses ${traffic === "ACCEPT" ? "rejected" : "accepted"} connections; use ALL`),
      );
    else if (typeof traffic !== "string")
      violations.push(unknown(log.address, `traffic_type ${String(traffic)} is known only at apply time`));
    violations.push(...recordProblems(log));
  }
  return violations;
};

/** A flow log whose records miss who, where or the verdict, or that go somewhere no log-store rule reads. */
function recordProblems(log: Resource): Violation[] {
  const out: Violation[] = [];
  const { log_format: format, log_destination_type: type, deliver_cross_account_role: crossAccount } = log.attributes;
  if (format !== undefined && format !== null) {
    const text = knownText(format);
    if (text === undefined || text.includes("\u0000"))
      out.push(unknown(log.address, `log_format ${String(format)} is known only at apply time`));
    else {
      const fields = new Set([...text.matchAll(/\$\{([a-z0-9-]+)\}/g)].map((m) => m[1]));
      const missing = REQUIRED_FIELDS.filter((f) => !fields.has(f));
      if (missing.length > 0)
        out.push(
          fail(
            log.address,
            `log_format lacks ${missing.map((f) => `\${${f}}`).join(", ")}: the records no longer say who connected where and whether it was accepted`,
          ),
        );
    }
  }
  if (typeof type === "string" && !CHECKED_DESTINATIONS.includes(type))
    out.push(
      fail(
        log.address,
        `log_destination_type ${type} sends the records to a store whose retention, encryption and access no rule checks; use cloud-watch-logs or s3`,
      ),
    );
  if (crossAccount !== undefined && crossAccount !== null && crossAccount !== "")
    out.push(fail(log.address, `deliver_cross_account_role ${String(crossAccount)} delivers the records to another account`));
  return out;
}
