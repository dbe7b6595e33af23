/**
 * What a single topic string may look like. The rules come from the four places a topic ends up:
 *
 * - MQTT: `#` and `+` are wildcards (no wildcard grants: the seed rule).
 * - IoT policy resources: `*` and `?` are wildcards there, and `${...}` is a policy variable.
 * - Terraform JSON: `${...}` is an interpolation.
 * - Mosquitto ACL files: `%u`/`%c` are substituted, and a line ends at a newline.
 *
 * Rather than escape for each consumer, a level may use only `A-Z a-z 0-9 _ - . : = @`,
 * which means the same thing to all of them; `{thing}` fills a whole level.
 */

/** The placeholder for the connecting device's thing name. */
export const THING_PLACEHOLDER = "{thing}";

/** AWS IoT thing names are at most 128 bytes: topics are sized for the longest one. */
export const MAX_THING_NAME_BYTES = 128;

/** AWS IoT Core: a topic in a publish or subscribe request is at most 256 bytes (UTF-8). */
export const MAX_TOPIC_BYTES = 256;

/** AWS IoT Core: at most 7 forward slashes in a publish or subscribe topic. */
export const MAX_TOPIC_SLASHES = 7;

const LEVEL = /^[A-Za-z0-9_.:=@-]+$/;
const RESERVED_PREFIX = "$aws/";

/** The topic with the longest possible thing name in place of `{thing}`. */
export function worstCaseTopic(topic: string): string {
  return topic.split(THING_PLACEHOLDER).join("x".repeat(MAX_THING_NAME_BYTES));
}

/**
 * The first thing wrong with a topic, phrased to follow the quoted topic in an error
 * (`"a/+" contains '+' ...`), or undefined when it is acceptable. `$aws/` topics are checked
 * against the reserved allow-list elsewhere; here they only have to be well formed.
 */
export function topicProblem(topic: string): string | undefined {
  if (topic.length === 0) return "is empty; write the full topic, e.g. devices/{thing}/telemetry";
  for (const [char, meaning] of WILDCARDS) {
    if (topic.includes(char)) return `contains '${char}' (${meaning}); name every topic exactly, without wildcards`;
  }
  if (topic.startsWith("$") && !topic.startsWith(RESERVED_PREFIX)) {
    return "starts with '$' (a broker-reserved topic); only the listed $aws/ topics are allowed";
  }
  const body = topic.startsWith(RESERVED_PREFIX) ? topic.slice(1) : topic;
  if (body.includes("$")) return "contains '$' after the start (a policy variable or Terraform interpolation); remove it";
  if (topic.startsWith("/") || topic.endsWith("/") || topic.includes("//")) {
    return "has an empty level (leading, trailing or double '/'); remove the extra '/'";
  }
  for (const level of body.split("/")) {
    if (level === THING_PLACEHOLDER) continue;
    if (level.includes("{") || level.includes("}")) {
      return `has level ${JSON.stringify(level)}: {thing} must fill a whole level and is the only placeholder`;
    }
    if (!LEVEL.test(level)) {
      const bad = [...level].find((c) => !LEVEL.test(c)) ?? "";
      return `has ${describeChar(bad)} in level ${JSON.stringify(level)}; use only A-Z a-z 0-9 _ - . : = @ in a level`;
    }
  }
  const slashes = topic.split("/").length - 1;
  if (slashes > MAX_TOPIC_SLASHES) return `has ${slashes} '/' (AWS IoT Core allows ${MAX_TOPIC_SLASHES}); use fewer levels`;
  const bytes = Buffer.byteLength(worstCaseTopic(topic), "utf8");
  if (bytes > MAX_TOPIC_BYTES) {
    return `is ${bytes} bytes with a ${MAX_THING_NAME_BYTES}-byte thing name (AWS IoT Core allows ${MAX_TOPIC_BYTES}); shorten it`;
  }
  return undefined;
}

const WILDCARDS: ReadonlyArray<readonly [string, string]> = [
  ["#", "an MQTT multi-level wildcard"],
  ["+", "an MQTT single-level wildcard"],
  ["*", "an IoT policy wildcard"],
  ["?", "an IoT policy single-character wildcard"],
];

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code === 0x20) return "a space";
  if (code > 0x20 && code < 0x7f) return `'${char}'`;
  // Control, non-ASCII and invisible characters are named by code point so the error shows them.
  return `character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}
