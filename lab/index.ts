/**
 * The lab: a real local Mosquitto broker rendered from an environment (the same YAML, PKI and
 * topic model as the cloud), lab devices, and a device simulator. Plain library: no cdktf.
 */
export { labPaths, BROKER_FILES } from "./lab-paths";
export type { LabPaths } from "./lab-paths";
export { renderMosquittoConfig, checkLabPort, MQTT_TLS_PORT, LAB_HOST } from "./mosquitto-config";
export type { MosquittoConfigOptions } from "./mosquitto-config";
export { writeBrokerFiles, SERVER_DNS_NAMES, SERVER_IP_ADDRESSES } from "./broker-files";
export type { BrokerFilesOptions } from "./broker-files";
export { brokerUser, BROKER_USER_NAME } from "./broker-user";
export type { BrokerUser } from "./broker-user";
export { findMosquitto, defaultSearchPath, runningBroker, spawnBroker, stopBroker } from "./broker-process";
export type { SpawnOptions } from "./broker-process";
export type { RunningBroker } from "./broker-process";
export { labUp, labDown, labStatus, reloadLabBroker, refreshLabAcl } from "./lab-broker";
export type { LabUpOptions, LabUpResult, ReloadOptions, ReloadResult } from "./lab-broker";
export { enrollLabDevice, labDeviceClass, labDeviceFiles, labRoster } from "./lab-devices";
export type { EnrollOptions, Enrollment, LabDeviceFiles } from "./lab-devices";
export { openSession, closeSession, SessionRefused } from "./mqtt-session";
export type { Session, SessionOptions, TlsMaterial } from "./mqtt-session";
export { simulateDevice, publishTopicProblem } from "./device-simulator";
export type { SimulatorOptions, SimulatorResult } from "./device-simulator";
export { boundSockets, listeningTcpPorts } from "./listening-sockets";
export { freeLoopbackPort } from "./free-port";
export type { BoundSocket } from "./listening-sockets";
export { applicationTopics, ensureLabApplication, labApplicationFiles, labApplicationName, sendCommand, watchDevices } from "./application";
export type {
  ApplicationFiles,
  DeviceTopic,
  LabApplication,
  LabApplicationOptions,
  SendOptions,
  SendResult,
  WatchOptions,
} from "./application";
