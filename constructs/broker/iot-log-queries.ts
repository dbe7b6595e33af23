import { Construct } from "constructs";
import { CloudwatchQueryDefinition } from "@cdktf/provider-aws/lib/cloudwatch-query-definition";
import { unknownQueryFields } from "../../flows/query-fields";

/** The log group IoT Core writes to (logging options v2). */
export const IOT_LOG_GROUP = "AWSIotLogsV2";

/**
 * Attributes of message-broker log entries (AWS IoT "CloudWatch Logs AWS IoT log entries":
 * Connect, Disconnect, Connection.AuthNError, Publish-In, Subscribe ... and the common ones).
 */
export const IOT_LOG_FIELDS = [
  "@timestamp",
  "timestamp",
  "logLevel",
  "traceId",
  "accountId",
  "status",
  "eventType",
  "protocol",
  "clientId",
  "principalId",
  "sourceIp",
  "sourcePort",
  "reason",
  "details",
  "topicName",
] as const;

/** Logs Insights questions about who failed to authenticate or authorize, and who connects how often. */
export const IOT_LOG_QUERIES = [
  {
    id: "auth-failures-by-client",
    query: [
      `filter status = "Failure" and (eventType = "Connection.AuthNError" or reason = "AUTHORIZATION_FAILURE" or reason = "AUTHENTICATION_FAILURE")`,
      "stats count(*) as failures, min(@timestamp) as first_seen, max(@timestamp) as last_seen by eventType, clientId, sourceIp, reason",
      "sort failures desc",
      "limit 1000",
    ].join("\n| "),
  },
  {
    id: "connects-by-client",
    query: [
      `filter eventType = "Connect"`,
      "stats count(*) as connects, count_distinct(sourceIp) as sources, max(@timestamp) as last_seen by clientId, status",
      "sort connects desc",
      "limit 1000",
    ].join("\n| "),
  },
] as const;

export interface IotLogQueriesProps {
  /** Prefix of query names, e.g. `iot-prod`. */
  readonly name: string;
}

/** Saved Logs Insights queries on the IoT Core log group; each is checked against the documented log attributes. */
export class IotLogQueries extends Construct {
  constructor(scope: Construct, id: string, props: IotLogQueriesProps) {
    super(scope, id);
    for (const q of IOT_LOG_QUERIES) {
      const unknown = unknownQueryFields(q.query, "logs-insights", IOT_LOG_FIELDS);
      if (unknown.length > 0) throw new Error(`saved query ${q.id} names fields IoT Core logs do not have: ${unknown.join(", ")}`);
      new CloudwatchQueryDefinition(this, q.id, {
        name: `moat/${props.name}/iot/${q.id}`,
        logGroupNames: [IOT_LOG_GROUP],
        queryString: q.query,
      });
    }
  }
}
