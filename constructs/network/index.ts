export { IsolatedIotNetwork, SUBNET_ROLE_TAG } from "./isolated-iot-network";
export type { IsolatedIotNetworkProps, NetworkSubnet, SubnetSpec, SubnetRole, FlowLogsDisabled } from "./isolated-iot-network";
export { FlowLogs, FLOW_LOG_FORMAT } from "./flow-logs";
export type { FlowLogSettings, FlowLogsProps } from "./flow-logs";
export { MIN_FLOW_LOG_RETENTION_DAYS, CLOUDWATCH_RETENTION_DAYS, flowLogRetentionProblem } from "../../core/flow-log-retention";
export type { FlowLogStore } from "../../core/flow-log-retention";
export { addressPlanIssues, MAX_ACL_ENTRIES_PER_DIRECTION } from "../../core/address-plan";
export type { AddressPlan } from "../../core/address-plan";
