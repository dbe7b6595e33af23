/**
 * Name patterns that more than one layer checks (the environment schema, the constructs, the
 * topic model, the CA). One definition each, so a YAML file, a construct prop and a certificate
 * can never disagree about what a valid name is.
 */

/**
 * Environment names (`environments/<name>.yaml`): 1-31 of lowercase letters, digits and `-`,
 * starting with a letter. The name becomes a file name, a PKI store directory, the stack
 * `iot-<name>` and the prefix of resource names, so it must be safe in all of them.
 */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** What is wrong with `name` as an environment name, as one line; undefined when it is one. */
export function environmentNameProblem(name: string): string | undefined {
  if (ENVIRONMENT_NAME.test(name)) return undefined;
  return `environment name ${JSON.stringify(name)} is not valid; use 1-31 lowercase letters, digits and '-', starting with a letter`;
}

/** The cdktf stack of an environment: `cdktf deploy iot-prod` deploys environments/prod.yaml. */
export function environmentStackName(environment: string): string {
  return `iot-${environment}`;
}

/** The environment an `iot-<env>` stack name is of; undefined for any other stack. */
export function stackEnvironment(stack: string): string | undefined {
  const environment = stack.startsWith("iot-") ? stack.slice("iot-".length) : undefined;
  return environment !== undefined && ENVIRONMENT_NAME.test(environment) ? environment : undefined;
}

/** AWS region names, such as `eu-west-1` or `us-gov-west-1`. */
export const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** Availability zone names: a region name and a zone letter (`eu-west-1a`). */
export const AVAILABILITY_ZONE = new RegExp(`${REGION.source.slice(0, -1)}[a-z]$`);

/**
 * Device class names (`topics.classes` keys): 1-63 of lowercase letters, digits and `-`, starting
 * with a letter. The class becomes the certificate's OU and part of the thing group name
 * (`<broker name>-<class>`), which must stay within IoT Core's 128 characters.
 */
export const DEVICE_CLASS = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * AWS IoT thing names: 1-128 of `[a-zA-Z0-9:_-]`. The name is the certificate CN, the MQTT
 * username and client id in the lab and `${iot:Connection.Thing.ThingName}` in IoT policies,
 * where a `/`, `+` or `#` would widen the topics a device may touch.
 */
export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/**
 * The lab's application identity (`lab.application.name`): the backend that reads what devices
 * publish and sends them commands. Two to four dot-separated labels of lowercase letters, digits
 * and `-` (`backend.app`), at most 64 characters (an X.520 CN). The dot is the point: THING_NAME
 * has none, so an application name can never be a device's name, its MQTT username or an IoT
 * thing that just-in-time provisioning would create.
 */
export const APPLICATION_NAME = /^(?=.{3,64}$)[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){1,3}$/;
