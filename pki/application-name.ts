import { APPLICATION_NAME, THING_NAME } from "../core/names";
import { MoatError } from "../errors";
import { checkThingName } from "./thing-name";

export { APPLICATION_NAME };

/** Throws unless `name` can be the lab's application identity (see APPLICATION_NAME). */
export function checkApplicationName(name: string, what: string): void {
  if (!APPLICATION_NAME.test(name)) {
    const hint = THING_NAME.test(name) ? " (that is a thing name: an application name must never be one)" : "";
    throw new MoatError(
      `${what}: ${JSON.stringify(name.slice(0, 80))} is not an application name${hint}; use 2-4 dot-separated labels of lowercase letters, digits and '-', such as backend.app`,
    );
  }
}

/**
 * The CA's own check on a device certificate's CN, whatever path the request came by: a thing
 * name, and never an application name, so a device can never hold the application's rights.
 */
export function checkDeviceName(name: string): void {
  if (APPLICATION_NAME.test(name)) {
    throw new MoatError(
      `device certificate: CN ${JSON.stringify(name)} is an application name (it has a dot), not a thing name; the CA issues it only as the lab application's own certificate`,
    );
  }
  checkThingName(name, "device certificate");
}
