/**
 * The IoT Core TLS security policies moat accepts: TLS 1.3 only, or TLS 1.3 with TLS 1.2 for
 * devices that lack 1.3. Never a policy that accepts TLS 1.1 or 1.0.
 */
export const IOT_TLS_POLICIES = ["IoTSecurityPolicy_TLS13_1_3_2022_10", "IoTSecurityPolicy_TLS13_1_2_2022_10"] as const;
export type IotTlsPolicy = (typeof IOT_TLS_POLICIES)[number];

/**
 * The one default, for the environment file and the `IotCoreBroker` construct alike: TLS 1.3 only,
 * the newest version IoT Core offers (secure by default). Fleets with devices that lack TLS 1.3
 * choose `IoTSecurityPolicy_TLS13_1_2_2022_10` explicitly, AWS IoT Core's own default policy
 * ("Transport security in AWS IoT Core",
 * https://docs.aws.amazon.com/iot/latest/developerguide/transport-security.html).
 */
export const DEFAULT_IOT_TLS_POLICY: IotTlsPolicy = "IoTSecurityPolicy_TLS13_1_3_2022_10";
