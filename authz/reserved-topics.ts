import { TopicAction } from "./topic-model";

/**
 * The `$aws/` topics a device class may name. AWS IoT Core reserves every topic starting with
 * `$`; most of them belong to the service (lifecycle events, rules ingest, fleet provisioning)
 * and a device that can publish to them can impersonate the service or skip the rules engine.
 *
 * The allow-list is the device's OWN classic shadow and its OWN job notifications, each only in
 * the direction the protocol uses: the device publishes requests, subscribes to and receives
 * the responses. Every entry is scoped by `{thing}`, so no device reaches another's shadow or jobs.
 * Left out on purpose: named shadows and `jobs/<jobId>/...` (they need a per-request name, i.e.
 * a wildcard), `$aws/events/...` (service to back end, not to devices), `$aws/rules/...`
 * (basic ingest bypasses topic policies' intent) and `$aws/certificates|provisioning-templates`
 * (fleet provisioning; moat uses just-in-time provisioning instead).
 */
export const RESERVED_TOPIC_ALLOW_LIST: ReadonlyMap<string, readonly TopicAction[]> = new Map<string, readonly TopicAction[]>([
  ...["get", "update", "delete"].map((op) => [`$aws/things/{thing}/shadow/${op}`, ["publish"]] as const),
  ...[
    "get/accepted",
    "get/rejected",
    "update/accepted",
    "update/rejected",
    "update/delta",
    "update/documents",
    "delete/accepted",
    "delete/rejected",
  ].map((reply) => [`$aws/things/{thing}/shadow/${reply}`, ["subscribe", "receive"]] as const),
  ...["get", "start-next"].map((op) => [`$aws/things/{thing}/jobs/${op}`, ["publish"]] as const),
  ...["notify", "notify-next", "get/accepted", "get/rejected", "start-next/accepted", "start-next/rejected"].map(
    (reply) => [`$aws/things/{thing}/jobs/${reply}`, ["subscribe", "receive"]] as const,
  ),
]);
