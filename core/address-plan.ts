import { Cidr, cidrProblem, contains, isPrivate, overlaps, parseCidr } from "./cidr";
import { childPath, Issue } from "./issue";

/** The addresses of an isolated segment, as written in an environment file or construct props. */
export interface AddressPlan {
  readonly vpcCidr: string;
  readonly deviceSubnets: readonly { readonly cidr: string }[];
  readonly endpointSubnets: readonly { readonly cidr: string }[];
  readonly officeCidrs: readonly string[];
}

/** AWS allows 20 entries per direction in a network ACL by default. */
export const MAX_ACL_ENTRIES_PER_DIRECTION = 20;

/**
 * Every problem with an address plan, at key paths under `base` (`network.deviceSubnets[1].cidr`).
 * Plain (no cdktf): the config loader and the network construct enforce the same rules.
 */
export function addressPlanIssues(plan: AddressPlan, base = ""): Issue[] {
  const at = (key: string) => childPath(base, key);
  const syntax: Issue[] = [];
  const check = (path: string, text: string) => {
    const problem = cidrProblem(text);
    if (problem) syntax.push({ path, message: `"${text}" ${problem}` });
  };
  check(at("vpcCidr"), plan.vpcCidr);
  const subnets = [
    ...plan.deviceSubnets.map((s, i) => ({ path: childPath(childPath(at("deviceSubnets"), i), "cidr"), text: s.cidr })),
    ...plan.endpointSubnets.map((s, i) => ({ path: childPath(childPath(at("endpointSubnets"), i), "cidr"), text: s.cidr })),
  ];
  subnets.forEach((s) => check(s.path, s.text));
  plan.officeCidrs.forEach((text, i) => check(childPath(at("officeCidrs"), i), text));
  if (syntax.length > 0) return syntax;

  const issues: Issue[] = [];
  const vpc = parseCidr(plan.vpcCidr);
  if (!isPrivate(vpc)) {
    issues.push({
      path: at("vpcCidr"),
      message: `"${vpc.text}" is not a private range; use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)`,
    });
  }
  if (vpc.prefix < 16 || vpc.prefix > 28) {
    issues.push({ path: at("vpcCidr"), message: `"${vpc.text}" has prefix /${vpc.prefix}; AWS allows VPC blocks from /16 to /28` });
  }
  const parsed: { path: string; cidr: Cidr }[] = subnets.map((s) => ({ path: s.path, cidr: parseCidr(s.text) }));
  parsed.forEach((subnet, index) => {
    if (!contains(vpc, subnet.cidr)) {
      issues.push({ path: subnet.path, message: `"${subnet.cidr.text}" is outside ${at("vpcCidr")} ${vpc.text}; pick a block inside it` });
    } else if (subnet.cidr.prefix > 28) {
      issues.push({ path: subnet.path, message: `"${subnet.cidr.text}" is smaller than /28, the smallest subnet AWS allows` });
    }
    const clash = parsed.slice(0, index).find((other) => overlaps(other.cidr, subnet.cidr));
    if (clash) {
      issues.push({
        path: subnet.path,
        message: `"${subnet.cidr.text}" overlaps ${clash.path} "${clash.cidr.text}"; subnets must not overlap`,
      });
    }
  });
  plan.officeCidrs.forEach((text, index) => {
    if (overlaps(parseCidr(text), vpc)) {
      issues.push({
        path: childPath(at("officeCidrs"), index),
        message: `"${text}" overlaps ${at("vpcCidr")} ${vpc.text}; the office must be outside the IoT segment`,
      });
    }
  });
  const perDirection = plan.officeCidrs.length + Math.max(plan.deviceSubnets.length, plan.endpointSubnets.length);
  if (perDirection > MAX_ACL_ENTRIES_PER_DIRECTION) {
    issues.push({
      path: at("officeCidrs"),
      message: `needs ${perDirection} network ACL entries per direction with the subnets, over AWS's default limit of ${MAX_ACL_ENTRIES_PER_DIRECTION}; merge office CIDRs or use fewer subnets`,
    });
  }
  return issues;
}
