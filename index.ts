// The public API of the `moat` package: constructs for other stacks, and the plain libraries.
export * from "./constructs/network";
export * from "./constructs/security";
export * from "./constructs/broker";
export * from "./authz";
export { ReviewAspect } from "./stacks/review-aspect";
export type { ReviewAspectProps } from "./stacks/review-aspect";
export { IotEnvironmentStack, stackName } from "./stacks/environment-stack";
export type { IotEnvironmentStackProps } from "./stacks/environment-stack";
export { buildApp } from "./stacks/app";
export type { BuildAppOptions } from "./stacks/app";
export { loadEnvironment, listEnvironments, parseEnvironment, EnvironmentError } from "./config";
export type { EnvironmentConfig, SubnetConfig, DeviceClassConfig } from "./config";
export { MoatError, UsageError } from "./errors";
