import { DeviceClass, THING_NAME_VARIABLE, THING_PLACEHOLDER, TopicAction, TopicModel } from "../../../authz";
import { deviceRights, DeviceGrant, Reach } from "../../device-rights";
import { provisioningTemplates } from "../../provisioning-templates";
import { arnResource } from "../../iot-policies";
import { ReviewModel } from "../../model";
import { fail, RuleCheck, unknown, Violation } from "../../rule";
import { knownText, showText } from "../../segment";
import { blocks, isRecord, Value } from "../../value";

/** The IoT actions the topic model speaks of, with the ARN resource type each takes. */
const TOPIC_ACTIONS: ReadonlyMap<string, { readonly action: TopicAction; readonly type: "topic" | "topicfilter" }> = new Map([
  ["iot:publish", { action: "publish", type: "topic" }],
  ["iot:subscribe", { action: "subscribe", type: "topicfilter" }],
  ["iot:receive", { action: "receive", type: "topic" }],
]);

/** Topic rule actions (provider 6.x block names): each moves device messages somewhere. */
const RULE_ACTIONS = [
  "republish",
  "cloudwatch_alarm",
  "cloudwatch_logs",
  "cloudwatch_metric",
  "dynamodb",
  "dynamodbv2",
  "elasticsearch",
  "firehose",
  "http",
  "iot_analytics",
  "iot_events",
  "kafka",
  "kinesis",
  "lambda",
  "location",
  "opensearch",
  "s3",
  "sns",
  "sqs",
  "step_functions",
  "timestream",
];

/**
 * What each device class can do, from every source (device-rights.ts), is what the topic
 * model grants it and no more: every Publish, Subscribe and Receive on its own topics (scoped by
 * the thing name) or on a shared topic in the direction the model lists; no other action (Connect
 * is AUTHZ-2's); and no topic rule moving messages where the model cannot follow them.
 */
export const modelledDeviceRights: RuleCheck = (model, context) => {
  const rights = deviceRights(model);
  const out: Violation[] = [...rights.violations];
  const classesOf = context.topics ? classReach(model, context.topics) : undefined;
  for (const grant of rights.grants) out.push(...judgeGrant(grant, context.topics, classesOf));
  out.push(...topicRules(model));
  if (context.topics) out.push(...classPlacement(model, context.topics));
  return dedupe(out);
};

/**
 * Where devices land decides which class's rights they hold. With more than one class, the
 * template must place each device by its certificate's OU (`<prefix><OU>`, the OU set by moat's
 * CA); a fixed class group puts every device in that class. A Terraform group membership moves
 * one thing into a group outside the template.
 */
function classPlacement(model: ReviewModel, topics: TopicModel): Violation[] {
  const out: Violation[] = [];
  const classOfGroup = new Map<string, DeviceClass>();
  for (const group of model.ofType("aws_iot_thing_group")) {
    const name = group.attributes.name;
    const match = typeof name === "string" ? classNamed(topics, name) : undefined;
    if (match && typeof name === "string") classOfGroup.set(name, match);
  }
  if (topics.classes.length > 1) {
    for (const template of provisioningTemplates(model)) {
      for (const entry of template.thingGroups) {
        if (typeof entry === "string" && classOfGroup.has(entry)) {
          out.push(
            fail(
              template.resource.address,
              `the provisioning template puts every device into ${entry}: devices of every class get class ${classOfGroup.get(entry)?.name}'s rights; place each device by its certificate's OU`,
            ),
          );
        } else if (!isByOu(entry) && typeof entry !== "string") {
          out.push(
            unknown(
              template.resource.address,
              `the provisioning template places devices in ${JSON.stringify(entry)}, which the review cannot resolve to a class`,
            ),
          );
        }
      }
    }
  }
  for (const membership of model.ofType("aws_iot_thing_group_membership")) {
    out.push(
      fail(
        membership.address,
        `puts thing ${String(membership.attributes.thing_name)} into group ${String(membership.attributes.thing_group_name)} outside the provisioning template: the thing holds that group's rights whatever its certificate's class`,
      ),
    );
  }
  return out;
}

/** moat's placement by class: `{"Fn::Join": ["", [<prefix>, {"Ref": "AWS::IoT::Certificate::OrganizationalUnit"}]]}`. */
function isByOu(entry: Value): boolean {
  const join = isRecord(entry) ? entry["Fn::Join"] : undefined;
  if (!Array.isArray(join) || join.length !== 2 || join[0] !== "" || !Array.isArray(join[1])) return false;
  const parts = join[1] as readonly Value[];
  return (
    parts.length === 2 && typeof parts[0] === "string" && isRecord(parts[1]) && parts[1].Ref === "AWS::IoT::Certificate::OrganizationalUnit"
  );
}

/** The class a thing group is named for (`<prefix>-<class>`, the longest class name that fits). */
function classNamed(topics: TopicModel, name: string): DeviceClass | undefined {
  return topics.classes.filter((c) => name.endsWith(`-${c.name}`)).sort((a, b) => b.name.length - a.name.length)[0];
}

function judgeGrant(
  grant: DeviceGrant,
  topics: TopicModel | undefined,
  classesOf: ((reach: Reach) => readonly DeviceClass[]) | undefined,
): Violation[] {
  const out: Violation[] = [];
  const { statement: st, address, source } = grant;
  if (st.notAction || st.notResource)
    out.push(
      fail(
        address,
        `${source} uses ${st.notAction ? "NotAction" : "NotResource"}: it grants devices everything but a list, outside the topic model`,
      ),
    );
  for (const action of st.actions) {
    if (typeof action !== "string") {
      out.push(unknown(address, `${source}: action ${String(action)} is known only at apply time`));
      continue;
    }
    const lower = action.toLowerCase();
    if (lower === "iot:connect") continue;
    const topicAction = TOPIC_ACTIONS.get(lower);
    if (!topicAction) {
      out.push(
        fail(
          address,
          `${source} grants devices ${action}, which the topic model has no place for (it grants iot:Publish, iot:Subscribe and iot:Receive on modelled topics only)`,
        ),
      );
      continue;
    }
    for (const resource of st.resources) {
      const text = knownText(resource);
      const part = text === undefined ? undefined : arnResource(text);
      if (part === undefined || part.includes("\u0000")) {
        out.push(unknown(address, `${source}: ${action} resource ${String(resource)} is known only at apply time`));
        continue;
      }
      const problem = classesOf && topics ? beyondModel(part, topicAction, classesOf(grant.reach)) : unscoped(part, topicAction.type);
      if (problem)
        out.push(
          problem.unknown
            ? unknown(address, `${source}: ${action} on ${showText(part)} ${problem.message}`)
            : fail(address, `${source}: ${action} on ${showText(part)} ${problem.message}`),
        );
    }
  }
  return out;
}

const allowed = new WeakMap<DeviceClass, Map<string, ReadonlySet<string>>>();

/** The ARN resources (`topic/devices/${iot:Connection.Thing.ThingName}/telemetry`) the model grants a class for an action, built once per class. */
function allowedResources(deviceClass: DeviceClass, action: TopicAction, type: string): ReadonlySet<string> {
  let byAction = allowed.get(deviceClass);
  if (!byAction) allowed.set(deviceClass, (byAction = new Map()));
  let set = byAction.get(action);
  if (!set)
    byAction.set(
      action,
      (set = new Set(deviceClass[action].map((topic) => `${type}/${topic.split(THING_PLACEHOLDER).join(THING_NAME_VARIABLE)}`))),
    );
  return set;
}

function beyondModel(
  part: string,
  { action, type }: { action: TopicAction; type: string },
  classes: readonly DeviceClass[],
): { message: string; unknown: boolean } | undefined {
  const denied = classes.filter((c) => !allowedResources(c, action, type).has(part));
  if (denied.length === 0) return undefined;
  return {
    message: `is granted to class${denied.length > 1 ? "es" : ""} ${denied.map((c) => c.name).join(", ")}, but the topic model does not let ${denied.length > 1 ? "them" : "it"} ${action} there${hint(part)}`,
    unknown: false,
  };
}

/** Without the topic model: a topic must at least be the device's own (a thing-name level). */
function unscoped(part: string, type: string): { message: string; unknown: boolean } | undefined {
  if (!part.startsWith(`${type}/`)) return { message: `is not a ${type} ARN`, unknown: false };
  if (/^topic(filter)?\/\$aws\/rules\//.test(part)) return { message: hint(part).replace(/^ \(|\)$/g, ""), unknown: false };
  if (part.split("/").includes(THING_NAME_VARIABLE)) return undefined;
  return {
    message:
      "is not scoped to the device's own thing name; without the environment's topic model (--env) whether the class may share it cannot be told",
    unknown: true,
  };
}

function hint(part: string): string {
  if (/^topic(filter)?\/\$aws\/rules\//.test(part)) return " (a basic ingest topic: messages go straight to a rule, past the topic model)";
  if (!part.split("/").includes(THING_NAME_VARIABLE)) return " (a topic of another thing, or shared)";
  return "";
}

/** Which classes a reach covers: class thing groups are named `<prefix>-<class>`; a group that is no class's (or ancestor's) may hold any device. */
function classReach(model: ReviewModel, topics: TopicModel): (reach: Reach) => readonly DeviceClass[] {
  const rights = deviceRights(model);
  // The classes whose devices hold what is attached to a group: its own class and those of the groups below it.
  const classesBelow = new Map<string, Set<DeviceClass>>();
  for (const group of model.ofType("aws_iot_thing_group")) {
    const name = group.attributes.name;
    const match = typeof name === "string" ? classNamed(topics, name) : undefined;
    if (!match) continue;
    for (const holder of [group.address, ...(rights.ancestors.get(group.address) ?? [])]) {
      const set = classesBelow.get(holder);
      if (set) set.add(match);
      else classesBelow.set(holder, new Set([match]));
    }
  }
  // Grants share their policy's reach: each is worked out once.
  const memo = new WeakMap<ReadonlySet<string>, readonly DeviceClass[]>();
  return (reach) => {
    if (reach === "all") return topics.classes;
    let classes = memo.get(reach);
    if (!classes) {
      const reached = new Set<DeviceClass>();
      for (const group of reach) {
        const below = classesBelow.get(group);
        if (!below) {
          reached.clear();
          topics.classes.forEach((c) => reached.add(c));
          break;
        }
        below.forEach((c) => reached.add(c));
      }
      classes = topics.classes.filter((c) => reached.has(c));
      memo.set(reach, classes);
    }
    return classes;
  };
}

/** Every topic rule action moves device messages beyond the topic model: a republish writes a topic no device was granted, the rest leave the broker. */
function topicRules(model: ReviewModel): Violation[] {
  const out: Violation[] = [];
  for (const rule of model.ofType("aws_iot_topic_rule")) {
    const holders = [
      { where: "", body: rule.attributes },
      ...blocks(rule.attributes.error_action).map((b) => ({ where: "error_action ", body: isRecord(b) ? b : {} })),
    ];
    for (const { where, body } of holders) {
      for (const kind of RULE_ACTIONS) {
        for (const block of blocks(body[kind])) {
          if (kind === "republish") {
            const topic = isRecord(block) ? block.topic : undefined;
            out.push(
              fail(
                rule.address,
                `${where}republishes device messages to ${String(topic)}: a device publishing to the rule's topics writes there, which the topic model does not grant`,
              ),
            );
          } else
            out.push(
              fail(rule.address, `${where}sends device messages out of the broker (${kind}), where the topic model cannot follow them`),
            );
        }
      }
    }
  }
  for (const destination of model.ofType("aws_iot_topic_rule_destination")) {
    out.push(
      fail(
        destination.address,
        "a topic rule VPC destination puts rules-engine network interfaces into the VPC, a path the segment's model does not have",
      ),
    );
  }
  return out;
}

function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((v) => {
    const key = `${v.resource}\u0000${v.message}\u0000${v.unknown ? 1 : 0}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
