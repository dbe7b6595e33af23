/**
 * The topic-permission model: parse and validate `topics:` from an environment, then compile it to
 * AWS IoT policy documents and to a Mosquitto ACL that grant the same rights. Plain library: no cdktf.
 */
export { parseTopicModel, TopicModelError, TOPIC_ACTIONS } from "./topic-model";
export type { TopicModel, DeviceClass, SharedTopic, TopicAction } from "./topic-model";
export { topicProblem, worstCaseTopic, THING_PLACEHOLDER, MAX_THING_NAME_BYTES, MAX_TOPIC_BYTES, MAX_TOPIC_SLASHES } from "./topic-limits";
export { RESERVED_TOPIC_ALLOW_LIST } from "./reserved-topics";
export {
  compileIotPolicies,
  compileConnectPolicy,
  compileClassPolicies,
  policyCharacters,
  topicArn,
  THING_NAME_VARIABLE,
  MAX_POLICY_CHARACTERS,
  MAX_POLICIES_PER_CLASS,
} from "./iot-policy";
export type { IotPolicyTarget, IotPolicyDocument, IotPolicyStatement, ClassPolicies, CompiledIotPolicies } from "./iot-policy";
export { compileMosquittoAcl } from "./mosquitto-acl";
export type { LabDevice, MosquittoAclOptions } from "./mosquitto-acl";
