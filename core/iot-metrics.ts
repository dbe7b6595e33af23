/**
 * The AWS IoT Core CloudWatch metrics (namespace `AWS/IoT`) that count refused requests, by
 * concern, as the IoT developer guide's "AWS IoT metrics and dimensions" page names them
 * (https://docs.aws.amazon.com/iot/latest/developerguide/metrics_dimensions.html; see
 * docs/aws-iot.md). CloudWatch accepts any metric name, so an alarm on a name AWS does not
 * publish sits in OK forever: the broker's alarms and review rule MON-1 both read this one list.
 */
export const IOT_NAMESPACE = "AWS/IoT";

export interface IotFailureConcern {
  /** Short id, used in alarm names. */
  readonly id: string;
  /** What is counted, for messages and alarm descriptions. */
  readonly concern: string;
  /** Names the page documents for it: an alarm on one of these is what MON-1 accepts. */
  readonly documented: readonly string[];
  /**
   * Names moat alarmed on before, which no AWS page we could read lists. They are summed in with
   * the documented ones (a name AWS does not publish adds nothing), so that whichever generation
   * an account emits, the fleet stays watched. They never satisfy MON-1 on their own.
   */
  readonly alternates: readonly string[];
}

/** Broker authentication and authorization failures, one alarm each. */
export const IOT_AUTH_FAILURE_CONCERNS: readonly IotFailureConcern[] = [
  {
    id: "authentication",
    concern: "connect authentication failures (client certificate refused)",
    documented: ["Connection.AuthNError"],
    alternates: ["Connect.AuthNError"],
  },
  { id: "connect-authz", concern: "connect authorization failures", documented: ["Connect.AuthError"], alternates: ["Connect.AuthZError"] },
  {
    id: "publish-authz",
    concern: "publish authorization failures",
    documented: ["PublishIn.AuthError", "PublishRetained.AuthError"],
    alternates: ["PublishIn.AuthZError"],
  },
  {
    id: "subscribe-authz",
    concern: "subscribe authorization failures",
    documented: ["Subscribe.AuthError"],
    alternates: ["Subscribe.AuthZError"],
  },
  { id: "receive-authz", concern: "delivery (receive) authorization failures", documented: ["PublishOut.AuthError"], alternates: [] },
];

/**
 * Just-in-time provisioning metrics (no dimension documented). Each successful provisioning
 * follows one refused first connection, which `Connection.AuthNError` counts; a failed one
 * leaves the certificate PENDING_ACTIVATION and the device refused for good.
 */
export const JITP_SUCCESS_METRIC = "ProvisionThing.Success";
export const JITP_FAILURE_METRICS: readonly string[] = ["ProvisionThing.ClientError", "ProvisionThing.ServerError"];

/** The `Protocol` dimension value of the message broker metrics for MQTT clients. */
export const MQTT_PROTOCOL_DIMENSION = { Protocol: "MQTT" } as const;
