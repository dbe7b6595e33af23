import { Cidr, contains, isPrivate, overlaps, parseCidr } from "./cidr";
import { EnvironmentFile } from "./schema";
import { childPath, Issue } from "./schema-dsl";

/**
 * Checks that span several keys and so cannot live in the schema: address plan, zones,
 * office ranges, backend and logging choices. Runs only on a file that passed the schema.
 */
export function crossFieldIssues(env: EnvironmentFile): Issue[] {
  return [...addressPlanIssues(env.network), ...zoneIssues(env), ...choiceIssues(env)];
}

function addressPlanIssues(network: EnvironmentFile["network"]): Issue[] {
  const issues: Issue[] = [];
  const vpc = parseCidr(network.vpcCidr);
  if (!isPrivate(vpc)) {
    issues.push({ path: "network.vpcCidr", message: `"${vpc.text}" is not a private range; use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)` });
  }
  if (vpc.prefix < 16 || vpc.prefix > 28) {
    issues.push({ path: "network.vpcCidr", message: `"${vpc.text}" has prefix /${vpc.prefix}; AWS allows VPC blocks from /16 to /28` });
  }

  const subnets: { path: string; cidr: Cidr }[] = [
    ...network.deviceSubnets.map((s, i) => ({ path: childPath(childPath("network.deviceSubnets", i), "cidr"), cidr: parseCidr(s.cidr) })),
    ...network.endpointSubnets.map((s, i) => ({ path: childPath(childPath("network.endpointSubnets", i), "cidr"), cidr: parseCidr(s.cidr) })),
  ];
  subnets.forEach((subnet, index) => {
    if (!contains(vpc, subnet.cidr)) {
      issues.push({ path: subnet.path, message: `"${subnet.cidr.text}" is outside network.vpcCidr ${vpc.text}; pick a block inside it` });
    } else if (subnet.cidr.prefix > 28) {
      issues.push({ path: subnet.path, message: `"${subnet.cidr.text}" is smaller than /28, the smallest subnet AWS allows` });
    }
    const clash = subnets.slice(0, index).find((other) => overlaps(other.cidr, subnet.cidr));
    if (clash) {
      issues.push({ path: subnet.path, message: `"${subnet.cidr.text}" overlaps ${clash.path} "${clash.cidr.text}"; subnets must not overlap` });
    }
  });

  network.officeCidrs.forEach((text, index) => {
    const office = parseCidr(text);
    if (overlaps(office, vpc)) {
      issues.push({ path: childPath("network.officeCidrs", index), message: `"${text}" overlaps network.vpcCidr ${vpc.text}; the office must be outside the IoT segment` });
    }
  });
  return issues;
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
        issues.push({ path: childPath(childPath(`network.${kind}`, index), "az"), message: `"${subnet.az}" is not in network.availabilityZones (${zones.join(", ")})` });
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
  if (!logging.enabled && (logging.reason ?? "").trim().length < 20) {
    issues.push({ path: "broker.accountLogging.reason", message: "must say (in a sentence) which stack manages IoT logging when enabled is false" });
  }
  if (env.logs.store !== "cloudwatch" && env.logs.archiveAfterDays >= env.logs.retentionDays) {
    issues.push({ path: "logs.archiveAfterDays", message: `${env.logs.archiveAfterDays} is not below logs.retentionDays ${env.logs.retentionDays}; objects would expire before they are archived` });
  }
  return issues;
}
