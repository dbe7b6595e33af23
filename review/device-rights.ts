import { IotPolicyDocument, readIotPolicies } from "./iot-policies";
import { derived, Resource, ReviewModel } from "./model";
import { Statement } from "./policy-document";
import { provisioningTemplates } from "./provisioning-templates";
import { fail, unknown, Violation } from "./rule";
import { knownText } from "./segment";
import { Ref, Value } from "./value";

/**
 * Which devices a policy reaches: every device (attached to certificates by a template, to an
 * unplaced target, or not attached in the file at all, so attachable from outside it), or the
 * devices of the thing groups listed (and of the groups below them).
 */
export type Reach = "all" | ReadonlySet<string>;

/** One Allow statement a device may hold, from whichever source grants it. */
export interface DeviceGrant {
  /** The resource to report: the policy, or the template that writes it inline. */
  readonly address: string;
  /** `policy iot-dev-sensor-0`, `template policy thingPolicy`, for messages. */
  readonly source: string;
  readonly statement: Statement;
  readonly reach: Reach;
}

export interface DeviceRights {
  readonly grants: readonly DeviceGrant[];
  /** Thing groups by address, with the addresses of their ancestors (a group's devices hold its ancestors' policies too). */
  readonly ancestors: ReadonlyMap<string, readonly string[]>;
  /** Sources whose grants the file does not show: external policies, unreadable documents or attachments. */
  readonly violations: readonly Violation[];
}

/**
 * What devices can do, from every source Terraform gives them: `aws_iot_policy` documents and
 * where `aws_iot_policy_attachment` and the provisioning templates attach them, and inline
 * template policies. Which class a thing group is needs the topic model (AUTHZ-4 knows it).
 */
export const deviceRights = derived((model: ReviewModel): DeviceRights => {
  const { policies, violations: unreadable } = readIotPolicies(model);
  const violations: Violation[] = [...unreadable];
  const groups = model.ofType("aws_iot_thing_group");
  const groupByName = new Map<string, Resource>();
  for (const g of groups) if (typeof g.attributes.name === "string") groupByName.set(g.attributes.name, g);
  const groupOf = (value: Value | undefined): Resource | undefined => {
    const target = model.target(value);
    if (target?.type === "aws_iot_thing_group") return target;
    const text = knownText(value);
    if (text === undefined || text.includes("\u0000")) return undefined;
    return groupByName.get(text.replace(/^arn:[^:]*:iot:[^:]*:[^:]*:thinggroup\//, ""));
  };

  const ancestors = new Map<string, string[]>();
  for (const g of groups) {
    const chain: string[] = [];
    let current: Resource | undefined = g;
    while (current) {
      const parent: Value | undefined = current.attributes.parent_group_name;
      if (parent === undefined || parent === null) break;
      const next = groupOf(parent);
      if (!next) {
        violations.push(
          unknown(
            current.address,
            `parent_group_name ${String(parent)} is not a thing group of this stack: the policies its devices inherit cannot be checked`,
          ),
        );
        break;
      }
      if (next === g || chain.includes(next.address)) break;
      chain.push(next.address);
      current = next;
    }
    ancestors.set(g.address, chain);
  }

  const byAddress = new Map<string, Resource>();
  const byName = new Map<string, Resource>();
  for (const p of model.ofType("aws_iot_policy")) {
    byAddress.set(p.address, p);
    if (typeof p.attributes.name === "string") byName.set(p.attributes.name, p);
  }
  const policyOf = (value: Value | undefined): Resource | undefined => {
    if (value instanceof Ref) return byAddress.get(value.address);
    return typeof value === "string" ? byName.get(value) : undefined;
  };

  // Where each policy is attached: thing groups, or "all" devices.
  const reaches = new Map<string, Set<string> | "all">();
  const attach = (policy: string, target: string | "all") => {
    const current = reaches.get(policy);
    if (current === "all" || target === "all") reaches.set(policy, "all");
    else reaches.set(policy, new Set([...(current ?? []), target]));
  };
  for (const attachment of model.ofType("aws_iot_policy_attachment")) {
    const { policy: policyValue, target } = attachment.attributes;
    const policy = policyOf(policyValue);
    if (!policy) {
      violations.push(
        fail(
          attachment.address,
          `attaches policy ${String(policyValue)}, which is not an aws_iot_policy of this stack: its grants cannot be checked against the topic model`,
        ),
      );
      continue;
    }
    const group = groupOf(target);
    attach(policy.address, group ? group.address : "all");
  }
  for (const template of provisioningTemplates(model)) {
    for (const tp of template.policies) {
      if (tp.name === undefined || tp.name === null) continue;
      const policy = policyOf(tp.name);
      if (policy) attach(policy.address, "all");
      else
        violations.push(
          fail(
            template.resource.address,
            `template policy ${tp.logicalId} attaches policy ${String(tp.name)}, which is not an aws_iot_policy of this stack: its grants cannot be checked against the topic model`,
          ),
        );
    }
  }

  const grants: DeviceGrant[] = [];
  const reachOf = (doc: IotPolicyDocument): Reach => (doc.templatePolicy !== undefined ? "all" : (reaches.get(doc.address) ?? "all"));
  for (const doc of policies) {
    const reach = reachOf(doc);
    const source =
      doc.templatePolicy !== undefined
        ? `template policy ${doc.templatePolicy}`
        : `policy ${String(byAddress.get(doc.address)?.attributes.name ?? doc.address)}`;
    for (const statement of doc.allows) grants.push({ address: doc.address, source, statement, reach });
  }
  return { grants, ancestors, violations };
});
