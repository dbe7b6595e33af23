/**
 * An evaluator of Mosquitto 2.0 ACL files, following mosquitto's default ACL check:
 * `topic` lines before any `user` line apply to anonymous clients, `topic` lines after
 * `user X` to X only, `pattern` lines to every user with %u / %c substituted; a line's topic
 * may be an MQTT filter (+, #) matched against the message topic; `deny` wins; an access of
 * `readwrite` grants both. `read` is what a client needs to receive (SUBSCRIBE is always
 * granted by the default check and messages are filtered at delivery).
 */
type Access = "read" | "write" | "readwrite" | "deny";

interface Entry {
  readonly kind: "topic" | "pattern";
  readonly user: string | undefined;
  readonly access: Access;
  readonly topic: string;
}

export function parseAcl(text: string): Entry[] {
  const entries: Entry[] = [];
  let user: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [keyword, ...rest] = line.split(" ");
    if (keyword === "user") {
      user = rest.join(" ");
      continue;
    }
    if (keyword !== "topic" && keyword !== "pattern") throw new Error(`unknown ACL line: ${line}`);
    const hasAccess = ["read", "write", "readwrite", "deny"].includes(rest[0]);
    const access = (hasAccess ? rest[0] : "readwrite") as Access;
    const topic = (hasAccess ? rest.slice(1) : rest).join(" ");
    entries.push({ kind: keyword, user, access, topic });
  }
  return entries;
}

export function aclAllows(text: string, username: string, clientId: string, access: "read" | "write", topic: string): boolean {
  const applicable = parseAcl(text)
    .filter((e) => e.kind === "pattern" || e.user === username)
    .map((e) => (e.kind === "pattern" ? { ...e, topic: e.topic.replace(/%u/g, username).replace(/%c/g, clientId) } : e))
    .filter((e) => topicMatchesFilter(e.topic, topic));
  if (applicable.some((e) => e.access === "deny")) return false;
  return applicable.some((e) => e.access === access || e.access === "readwrite");
}

/** MQTT filter matching (mosquitto_topic_matches_sub): + one level, # the rest. */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
