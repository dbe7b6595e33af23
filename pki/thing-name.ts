import { THING_NAME } from "../core/names";
import { MoatError } from "../errors";

export { THING_NAME };

/**
 * Throws unless `name` is a valid thing name. The name becomes the certificate CN, the MQTT
 * username in the lab and `${iot:Connection.Thing.ThingName}` in IoT policies, where a `/`, `+`
 * or `#` would widen the topics a device may touch.
 */
export function checkThingName(name: string, what: string): void {
  if (!THING_NAME.test(name)) {
    const shown = JSON.stringify(name.length > 140 ? name.slice(0, 140) + "..." : name);
    throw new MoatError(
      `${what}: CN ${shown} is not a valid thing name; use 1-128 of letters, digits, ':', '_' and '-' (no '/', '+', '#' or spaces)`,
    );
  }
}
