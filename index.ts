// The public API of the `moat` package (`import { ... } from "moat"`): the constructs for your own
// cdktf stacks, the environment stack, and the errors they throw. Every name is listed here on
// purpose: a new export is a decision, and api/moat.api.md (checked by a test) shows it in review.
// The plain libraries have their own entry points: "moat/pki", "moat/review", "moat/authz",
// "moat/config".

// Network segment and its flow logs.
export { IsolatedIotNetwork, SUBNET_ROLE_TAG } from "./constructs/network/isolated-iot-network";
export type {
  IsolatedIotNetworkProps,
  NetworkSubnet,
  SubnetSpec,
  SubnetRole,
  FlowLogsDisabled,
} from "./constructs/network/isolated-iot-network";
export { FlowLogs } from "./constructs/network/flow-logs";
export type { FlowLogSettings, FlowLogsProps } from "./constructs/network/flow-logs";
export { MIN_FLOW_LOG_RETENTION_DAYS } from "./core/flow-log-retention";
export type { FlowLogStore } from "./core/flow-log-retention";

// Firewall intent.
export { Port } from "./constructs/security/port";
export { Peer } from "./constructs/security/peer";
export type { PeerTarget, NamedCidr } from "./constructs/security/peer";
export { Connections } from "./constructs/security/connections";
export { IsolatedSecurityGroup } from "./constructs/security/isolated-security-group";
export type { IsolatedSecurityGroupProps } from "./constructs/security/isolated-security-group";

// The broker.
export { IotCoreBroker } from "./constructs/broker/iot-core-broker";
export type {
  IotCoreBrokerProps,
  BrokerNetwork,
  BrokerPlacement,
  IotCustomDomain,
  IotTlsPolicy,
} from "./constructs/broker/iot-core-broker";
export type { IotLogLevel } from "./constructs/broker/broker-logging";

// One environment file -> one stack, and the review that runs at synth.
export { IotEnvironmentStack, stackName } from "./stacks/environment-stack";
export type { IotEnvironmentStackProps } from "./stacks/environment-stack";
export { buildApp } from "./stacks/app";
export type { BuildAppOptions } from "./stacks/app";
export { ReviewAspect } from "./constructs/review/review-aspect";
export type { ReviewAspectProps } from "./constructs/review/review-aspect";

// What goes wrong, as types a caller can catch.
export { MoatError, UsageError, ValidationError } from "./errors";
