/** One problem found in the input, at a key path such as `network.deviceSubnets[1].cidr`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** `a.b[2]` style path joining; the root has no leading dot. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return parent === "" ? key : `${parent}.${key}`;
}
