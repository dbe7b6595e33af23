import { derived, Resource, ReviewModel } from "./model";
import { parseWithHoles } from "./policy-document";
import { knownText } from "./segment";
import { blocks, Encoded, isRecord, Unknown, Value } from "./value";

/** One `AWS::IoT::Policy` of a provisioning template: attached to every certificate the template provisions. */
export interface TemplatePolicy {
  /** The template's logical id of the policy resource. */
  readonly logicalId: string;
  /** `PolicyName`: an existing policy, by name. */
  readonly name?: Value;
  /** `PolicyDocument`: a policy written into the template itself. */
  readonly document?: Value;
}

export interface ProvisioningTemplate {
  /** The resource holding the template: the CA's `registration_config` (JITP) or an `aws_iot_provisioning_template`. */
  readonly resource: Resource;
  readonly policies: readonly TemplatePolicy[];
  /** `ThingGroups` entries of its `AWS::IoT::Thing` resources: where it puts every device it provisions. */
  readonly thingGroups: readonly Value[];
  /** Why its policies cannot be read: the body is known only at apply time, or is not a template. */
  readonly problem?: { readonly message: string; readonly unknown: boolean };
}

/**
 * The provisioning templates of the stack with the policies they attach. IoT Core runs a CA's
 * JITP template on a device's first connect and a provisioning template on every fleet
 * provisioning request; either can grant rights inline (`PolicyDocument`) or by name.
 */
export const provisioningTemplates = derived((model: ReviewModel): readonly ProvisioningTemplate[] => {
  const templates: ProvisioningTemplate[] = [];
  for (const ca of model.ofType("aws_iot_ca_certificate")) {
    for (const config of blocks(ca.attributes.registration_config)) {
      const body = isRecord(config) ? config.template_body : undefined;
      if (body !== undefined && body !== null) templates.push(readTemplate(ca, body));
    }
  }
  for (const template of model.ofType("aws_iot_provisioning_template"))
    templates.push(readTemplate(template, template.attributes.template_body));
  return templates;
});

function readTemplate(resource: Resource, body: Value | undefined): ProvisioningTemplate {
  const parsed = parseBody(body);
  if (parsed === undefined)
    return {
      resource,
      policies: [],
      thingGroups: [],
      problem: {
        message: `template_body ${String(body)} is known only at apply time, so the policies it attaches cannot be checked`,
        unknown: true,
      },
    };
  if (!isRecord(parsed) || (parsed.Resources !== undefined && !isRecord(parsed.Resources)))
    return {
      resource,
      policies: [],
      thingGroups: [],
      problem: { message: "template_body is not a provisioning template (a JSON object with Resources)", unknown: false },
    };
  const policies: TemplatePolicy[] = [];
  const thingGroups: Value[] = [];
  const resources = isRecord(parsed.Resources) ? parsed.Resources : {};
  for (const [logicalId, entry] of Object.entries(resources)) {
    if (!isRecord(entry)) continue;
    const type = entry.Type;
    if (typeof type !== "string")
      return {
        resource,
        policies,
        thingGroups,
        problem: { message: `template resource ${logicalId} has Type ${String(type)}, known only at apply time`, unknown: true },
      };
    const properties = isRecord(entry.Properties) ? entry.Properties : {};
    if (type === "AWS::IoT::Thing") thingGroups.push(...blocks(properties.ThingGroups));
    if (type !== "AWS::IoT::Policy") continue;
    policies.push({ logicalId, name: properties.PolicyName, document: properties.PolicyDocument });
  }
  return { resource, policies, thingGroups };
}

/** A template body as a JSON value; undefined when apply-time parts make it unreadable. */
function parseBody(body: Value | undefined): Value | undefined {
  if (body instanceof Encoded) return body.value;
  if (body instanceof Unknown) return body.parts ? parseWithHoles(body.parts) : undefined;
  const text = knownText(body);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Value;
  } catch {
    return null;
  }
}
