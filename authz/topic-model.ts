import { DEVICE_CLASS } from "../core/names";
import { MoatError } from "../errors";
import { RESERVED_TOPIC_ALLOW_LIST } from "./reserved-topics";
import { THING_PLACEHOLDER, topicProblem } from "./topic-limits";
import { reasonProblem } from "../core/reason";

/** What a device may do with a topic; each maps to one IoT policy action. */
export type TopicAction = "publish" | "subscribe" | "receive";

export const TOPIC_ACTIONS: readonly TopicAction[] = ["publish", "subscribe", "receive"];

/** A topic without `{thing}`, used by every device of a class on purpose. */
export interface SharedTopic {
  readonly topic: string;
  /** Why the whole class may use it: at least a sentence. */
  readonly reason: string;
}

/** A validated device class: its devices' rights, each topic written with `{thing}`. */
export interface DeviceClass {
  readonly name: string;
  readonly description?: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  readonly receive: readonly string[];
  readonly sharedTopics: readonly SharedTopic[];
}

/** The validated topic-permission model of one environment. */
export interface TopicModel {
  /** The file it came from, for messages. */
  readonly file: string;
  /** Classes sorted by name, so compiled output does not depend on YAML key order. */
  readonly classes: readonly DeviceClass[];
}

/** A thrown model error: one line per problem, each naming the file, the class and the topic. */
export class TopicModelError extends MoatError {
  constructor(
    public readonly file: string,
    public readonly problems: readonly string[],
  ) {
    super(problems.map((problem) => `${file}: ${problem}`).join("\n"));
    this.name = "TopicModelError";
  }
}

/**
 * Validates the `topics:` section of an environment (already shape-checked by the config loader,
 * or any plain object) and returns the model the compilers take. Collects every problem.
 *
 * Beyond each topic's own rules (topic-limits.ts):
 * - a topic without `{thing}` is refused unless it is in the class's `sharedTopics` with a reason,
 *   so a device reaches only its own topics by default; a shared entry that no list uses is refused;
 * - `subscribe` and `receive` must name the same topics: on IoT Core a subscription without
 *   receive delivers nothing, and Mosquitto has a single `read` right for both, so any other
 *   combination would make the cloud and the lab broker disagree;
 * - `$aws/` topics only from the reserved allow-list, and only for the actions listed there.
 */
export function parseTopicModel(topics: unknown, file: string): TopicModel {
  const problems: string[] = [];
  const classesInput = isObject(topics) ? topics.classes : undefined;
  if (!isObject(classesInput) || Object.keys(classesInput).length === 0) {
    throw new TopicModelError(file, [
      "topics.classes must declare at least one device class, e.g. sensor: { publish: [devices/{thing}/telemetry] }",
    ]);
  }
  const classes: DeviceClass[] = [];
  for (const name of Object.keys(classesInput).sort()) {
    const parsed = parseClass(name, classesInput[name], problems);
    if (parsed) classes.push(parsed);
  }
  if (problems.length > 0) throw new TopicModelError(file, problems);
  return { file, classes };
}

function parseClass(name: string, input: unknown, problems: string[]): DeviceClass | undefined {
  const where = `topics.classes.${name}`;
  if (!DEVICE_CLASS.test(name)) {
    problems.push(
      `${where}: class name ${JSON.stringify(name)} is not valid; use lowercase letters, digits and '-', starting with a letter`,
    );
    return undefined;
  }
  if (!isObject(input)) {
    problems.push(`${where}: must be a mapping with publish, subscribe, receive and sharedTopics lists`);
    return undefined;
  }
  const before = problems.length;
  const lists = {} as Record<TopicAction, string[]>;
  for (const action of TOPIC_ACTIONS) lists[action] = stringList(input[action], `${where}.${action}`, problems);

  const shared: SharedTopic[] = [];
  const sharedInput = input.sharedTopics ?? [];
  if (!Array.isArray(sharedInput)) {
    problems.push(`${where}.sharedTopics: must be a list of {topic, reason}`);
  } else {
    sharedInput.forEach((entry, i) => {
      const at = `${where}.sharedTopics[${i}]`;
      if (!isObject(entry) || typeof entry.topic !== "string" || typeof entry.reason !== "string") {
        problems.push(`${at}: must be {topic, reason} with two strings`);
        return;
      }
      const topic = entry.topic;
      if (topic.includes(THING_PLACEHOLDER)) {
        problems.push(`${at} ${JSON.stringify(topic)}: contains {thing}, so it is per device, not shared; remove it from sharedTopics`);
      } else if (reasonProblem(entry.reason)) {
        problems.push(`${at} ${JSON.stringify(topic)}: reason ${reasonProblem(entry.reason)}: why every device of the class may use it`);
      } else if (shared.some((s) => s.topic === topic)) {
        problems.push(`${at} ${JSON.stringify(topic)}: listed twice in sharedTopics; keep one entry`);
      } else {
        shared.push({ topic, reason: entry.reason.trim() });
      }
    });
  }

  for (const action of TOPIC_ACTIONS) {
    const seen = new Set<string>();
    lists[action].forEach((topic, i) => {
      const at = `${where}.${action}[${i}] ${JSON.stringify(topic)}`;
      if (seen.has(topic)) return problems.push(`${at}: listed twice; keep one entry`);
      seen.add(topic);
      const problem = topicProblem(topic) ?? reservedProblem(topic, action);
      if (problem) return problems.push(`${at}: ${problem}`);
      if (!topic.includes(THING_PLACEHOLDER) && !shared.some((s) => s.topic === topic)) {
        return problems.push(
          `${at}: has no {thing} level, so every device of the class could use it; add {thing} (devices/{thing}/...) or list it in sharedTopics with a reason`,
        );
      }
      return undefined;
    });
  }
  for (const [from, to] of [
    ["subscribe", "receive"],
    ["receive", "subscribe"],
  ] as const) {
    for (const topic of lists[from]) {
      if (!lists[to].includes(topic)) {
        problems.push(
          `${where}.${from} ${JSON.stringify(topic)}: is not in ${to}; a device needs both to get messages (and the lab broker's single 'read' right grants both), so list it in both`,
        );
      }
    }
  }
  for (const entry of shared) {
    if (!TOPIC_ACTIONS.some((action) => lists[action].includes(entry.topic))) {
      problems.push(
        `${where}.sharedTopics ${JSON.stringify(entry.topic)}: is not used by publish, subscribe or receive; remove it or use it`,
      );
    }
  }
  if (problems.length > before) return undefined;
  const description = typeof input.description === "string" ? input.description : undefined;
  return { name, description, publish: lists.publish, subscribe: lists.subscribe, receive: lists.receive, sharedTopics: shared };
}

function reservedProblem(topic: string, action: TopicAction): string | undefined {
  if (!topic.startsWith("$")) return undefined;
  const allowed = RESERVED_TOPIC_ALLOW_LIST.get(topic);
  if (!allowed) {
    return `is a reserved $aws/ topic that is not on moat's allow-list (the device's own shadow and job topics, see authz/reserved-topics.ts)`;
  }
  if (!allowed.includes(action)) return `is a reserved topic a device may only ${allowed.join("/")}, not ${action}`;
  return undefined;
}

function stringList(value: unknown, where: string, problems: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    problems.push(`${where}: must be a list of topic strings`);
    return [];
  }
  return value as string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
