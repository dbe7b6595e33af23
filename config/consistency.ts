import { flowLogRetentionProblem } from "../core/flow-log-retention";
import { addressPlanIssues } from "../core/address-plan";
import { EnvironmentFile } from "./schema";
import { childPath, Issue } from "./schema-dsl";
import { reasonProblem } from "../core/reason";

/**
 * Checks that span several keys and so cannot live in the schema: address plan, zones,
 * office ranges, backend and logging choices. Runs only on a file that passed the schema.
 */
export function crossFieldIssues(env: EnvironmentFile): Issue[] {
  return [...addressPlanIssues(env.network, "network"), ...zoneIssues(env), ...choiceIssues(env)];
}

function zoneIssues(env: EnvironmentFile): Issue[] {
  const issues: Issue[] = [];
  const zones = env.network.availabilityZones;
  zones.forEach((zone, index) => {
    const path = childPath("network.availabilityZones", index);
    if (!zone.startsWith(env.region)) issues.push({ path, message: `"${zone}" is not a zone of region ${env.region}` });
    if (zones.indexOf(zone) !== index) issues.push({ path, message: `"${zone}" is listed twice` });
  });
  for (const kind of ["deviceSubnets", "endpointSubnets"] as const) {
    const subnets = env.network[kind];
    subnets.forEach((subnet, index) => {
      if (!zones.includes(subnet.az)) {
        issues.push({
          path: childPath(childPath(`network.${kind}`, index), "az"),
          message: `"${subnet.az}" is not in network.availabilityZones (${zones.join(", ")})`,
        });
      }
    });
    const missing = zones.filter((zone) => !subnets.some((subnet) => subnet.az === zone));
    if (missing.length > 0) {
      issues.push({ path: `network.${kind}`, message: `has no subnet in ${missing.join(", ")}; add one per availability zone` });
    }
  }
  return issues;
}

function choiceIssues(env: EnvironmentFile): Issue[] {
  const issues: Issue[] = [];
  if (env.backend.type === "s3" && !env.backend.s3) {
    issues.push({ path: "backend.s3", message: "is required when backend.type is s3; give bucket and key" });
  }
  if (env.backend.type === "local" && env.backend.s3) {
    issues.push({ path: "backend.s3", message: "is set but backend.type is local; remove it or set type: s3" });
  }
  const logging = env.broker.accountLogging;
  const loggingReason = logging.enabled ? undefined : reasonProblem(logging.disabledReason);
  if (loggingReason) {
    issues.push({
      path: "broker.accountLogging.disabledReason",
      message: `${loggingReason}: which stack manages IoT logging when enabled is false`,
    });
  }
  const retention = flowLogRetentionProblem(env.logs.store, env.logs.retentionDays, env.logs.archiveAfterDays);
  if (retention) issues.push({ path: `logs.${retention.setting}`, message: retention.message });
  return issues;
}
