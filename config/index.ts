export { loadEnvironment, listEnvironments, parseEnvironment, EnvironmentError, DEFAULT_ENVIRONMENTS_DIR } from "./load";
export type { LoadOptions } from "./load";
export type { EnvironmentConfig, EnvironmentFile, SubnetConfig, DeviceClassConfig } from "./schema";
export { environmentJsonSchema, environmentJsonSchemaText } from "./json-schema";
export { parseCidr, cidrProblem, contains, overlaps, isPrivate } from "../core/cidr";
export type { Cidr } from "../core/cidr";
