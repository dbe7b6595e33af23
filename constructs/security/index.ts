export { Port } from "./port";
export { Peer } from "./peer";
export type { PeerTarget, NamedCidr } from "./peer";
export { Connections } from "./connections";
export { IsolatedSecurityGroup } from "./isolated-security-group";
export type { IsolatedSecurityGroupProps } from "./isolated-security-group";
export { serviceTrustPolicy } from "./service-trust-policy";
