import { DeviceClass, TopicAction, TopicModel, TopicModelError, TOPIC_ACTIONS } from "./topic-model";
import { THING_PLACEHOLDER } from "./topic-limits";

/** The IoT policy variable a `{thing}` level compiles to. */
export const THING_NAME_VARIABLE = "${iot:Connection.Thing.ThingName}";

/** AWS IoT Core: a policy document is at most 2,048 characters, whitespace not counted. */
export const MAX_POLICY_CHARACTERS = 2048;

/**
 * AWS IoT Core: "You can attach a maximum number of two policies to a group" (developer guide,
 * Static thing groups); a class's policies go to its thing group, so a third fails at apply.
 */
export const MAX_POLICIES_PER_CLASS = 2;

/** Where the policies apply. Any field may be a deploy-time token (cdktf), except partition and region. */
export interface IotPolicyTarget {
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  readonly region: string;
  /** 12-digit account id, or a token for it. */
  readonly accountId: string;
  /** Id of the segment's interface VPC endpoint (`vpce-` + 17 hex digits), or a token for it. */
  readonly sourceVpceId: string;
}

export interface IotPolicyStatement {
  readonly Effect: "Allow";
  readonly Action: string;
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface IotPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly IotPolicyStatement[];
}

/** The compiled policies of one class, in attachment order. */
export interface ClassPolicies {
  readonly className: string;
  readonly documents: readonly IotPolicyDocument[];
}

export interface CompiledIotPolicies {
  /** The one Connect policy every device gets (attached by the provisioning template). */
  readonly connect: IotPolicyDocument;
  /** Per class, its topic policies (attached to the class's thing group). */
  readonly classes: readonly ClassPolicies[];
}

// Identifiers with fixed AWS lengths stand in for tokens when sizing a document, so a split
// computed at synth time holds for the real values.
const SIZING_ACCOUNT_ID = "000000000000";
const SIZING_VPCE_ID = "vpce-00000000000000000";

const ACTION: Record<TopicAction, { action: string; resourceType: "topic" | "topicfilter" }> = {
  publish: { action: "iot:Publish", resourceType: "topic" },
  subscribe: { action: "iot:Subscribe", resourceType: "topicfilter" },
  receive: { action: "iot:Receive", resourceType: "topic" },
};

/** Compiles the model into AWS IoT policy documents: one Connect policy, then each class's topic policies. */
export function compileIotPolicies(model: TopicModel, target: IotPolicyTarget): CompiledIotPolicies {
  const problems: string[] = [];
  const classes = model.classes.map((deviceClass) => {
    const documents = compileClassPolicies(deviceClass, target);
    if (documents.length > MAX_POLICIES_PER_CLASS) {
      problems.push(
        `topics.classes.${deviceClass.name}: needs ${documents.length} IoT policies of ${MAX_POLICY_CHARACTERS} characters, more than the ${MAX_POLICIES_PER_CLASS} a thing group can hold; split the class or use fewer topics`,
      );
    }
    return { className: deviceClass.name, documents };
  });
  if (problems.length > 0) throw new TopicModelError(model.file, problems);
  return { connect: compileConnectPolicy(target), classes };
}

/**
 * Connect only as the thing the certificate is attached to (client id = thing name), and only
 * through the segment's VPC endpoint: the public endpoint refuses the fleet.
 */
export function compileConnectPolicy(target: IotPolicyTarget): IotPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: "iot:Connect",
        Resource: `${arnPrefix(target)}:client/${THING_NAME_VARIABLE}`,
        Condition: {
          Bool: { "iot:Connection.Thing.IsAttached": "true" },
          StringEquals: { "aws:SourceVpce": target.sourceVpceId },
        },
      },
    ],
  };
}

/**
 * The class's Publish / Subscribe / Receive grants, split into as few documents as fit the
 * IoT Core size limit (greedy, in declaration order, so the split is stable across runs).
 */
export function compileClassPolicies(deviceClass: DeviceClass, target: IotPolicyTarget): IotPolicyDocument[] {
  const sizing: IotPolicyTarget = { ...target, accountId: SIZING_ACCOUNT_ID, sourceVpceId: SIZING_VPCE_ID };
  const chunks: Array<Array<{ action: TopicAction; topic: string }>> = [[]];
  for (const action of TOPIC_ACTIONS) {
    for (const topic of deviceClass[action]) {
      const current = chunks[chunks.length - 1];
      current.push({ action, topic });
      if (current.length > 1 && policyCharacters(buildDocument(current, sizing)) > MAX_POLICY_CHARACTERS) {
        current.pop();
        chunks.push([{ action, topic }]);
      }
    }
  }
  return chunks.filter((chunk) => chunk.length > 0).map((chunk) => buildDocument(chunk, target));
}

/** The length IoT Core checks: the document's characters, whitespace excluded. */
export function policyCharacters(document: IotPolicyDocument): number {
  return JSON.stringify(document).replace(/\s/g, "").length;
}

/** The ARN of a topic (`topic/...`) or topic filter (`topicfilter/...`), `{thing}` as the policy variable. */
export function topicArn(target: IotPolicyTarget, resourceType: "topic" | "topicfilter", topic: string): string {
  return `${arnPrefix(target)}:${resourceType}/${topic.split(THING_PLACEHOLDER).join(THING_NAME_VARIABLE)}`;
}

function buildDocument(grants: ReadonlyArray<{ action: TopicAction; topic: string }>, target: IotPolicyTarget): IotPolicyDocument {
  const statements: IotPolicyStatement[] = [];
  for (const action of TOPIC_ACTIONS) {
    const resources = grants.filter((g) => g.action === action).map((g) => topicArn(target, ACTION[action].resourceType, g.topic));
    if (resources.length > 0) statements.push({ Effect: "Allow", Action: ACTION[action].action, Resource: resources });
  }
  return { Version: "2012-10-17", Statement: statements };
}

function arnPrefix(target: IotPolicyTarget): string {
  return `arn:${target.partition}:iot:${target.region}:${target.accountId}`;
}
