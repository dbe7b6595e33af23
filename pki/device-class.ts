import { DEVICE_CLASS } from "../core/names";
import { MoatError } from "../errors";

// Device class names are defined once, with the environment schema's (core/names.ts). At most 63
// characters, so a class fits the 64-character X.520 limit of an OrganizationalUnit and, behind a
// broker name of up to 40 characters and '-', the 128 of `[a-zA-Z0-9:_-]` a thing group name may have.
export { DEVICE_CLASS };

/** Throws unless `name` can be a device class (the certificate OU that picks the thing group). */
export function checkDeviceClass(name: string, what: string): void {
  if (!DEVICE_CLASS.test(name)) {
    throw new MoatError(
      `${what}: device class ${JSON.stringify(name.slice(0, 80))} is not a class name; use 1-63 of lowercase letters, digits and '-', starting with a letter`,
    );
  }
}

/** What {@link chooseDeviceClass} chooses from. */
export interface DeviceClassChoice {
  /** The environment's classes (`topics.classes` keys). */
  readonly classes: readonly string[];
  /** The class asked for (`--class`), if any. */
  readonly requested?: string;
  /** The environment file, named in refusals. */
  readonly source: string;
  /** What needs the class, e.g. "a device certificate", named when `--class` is missing. */
  readonly purpose: string;
}

/**
 * The class a new device certificate carries as its OU: the one asked for, which must be one of
 * the environment's classes, or the only class when there is one. With several classes nothing
 * is guessed: a certificate of the wrong class would get the wrong thing group's policies.
 */
export function chooseDeviceClass(choice: DeviceClassChoice): string {
  const classes = [...choice.classes].sort();
  const known = classes.join(", ");
  if (choice.requested === undefined) {
    if (classes.length === 1) return classes[0];
    throw new MoatError(`--class is required for ${choice.purpose}: ${choice.source} has classes ${known}`);
  }
  if (!classes.includes(choice.requested))
    throw new MoatError(`--class '${choice.requested}' is not in ${choice.source} topics.classes; use one of ${known}`);
  return choice.requested;
}
