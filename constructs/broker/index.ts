export { IotCoreBroker } from "./iot-core-broker";
export type { IotCoreBrokerProps, BrokerNetwork, BrokerPlacement, IotCustomDomain, IotTlsPolicy } from "./iot-core-broker";
export { AUTH_FAILURE_METRICS } from "./auth-failure-alarms";
export type { IotLogLevel } from "./broker-logging";
export { jitpTemplateBody } from "./jitp-template";
export { iotPolicyExpression } from "./iot-policy-expression";
