import { isRecord, Ref, Value } from "./value";

/** Where a resource was written, for reports and SARIF locations. */
export interface SourceLocation {
  /** The file reviewed, as given on the command line. */
  readonly file: string;
  /** 1-based line of the resource in that file, when found (filled in for findings). */
  readonly line?: number;
  /** The cdktf construct path (`iot-dev/network/vpc`), when the file records it. */
  readonly constructPath?: string;
}

/** One resource or data source, from a cdk.tf.json or a plan, in one shape. */
export interface Resource {
  /** `aws_vpc`. */
  readonly type: string;
  /** `aws_vpc.main`, `data.aws_region.current`, `module.m.aws_vpc.main[0]`. */
  readonly address: string;
  readonly mode: "managed" | "data";
  /** Attributes with references as {@link Ref} and apply-time values as `Unknown`. */
  readonly attributes: { readonly [key: string]: Value };
  /** Addresses this resource refers to. */
  readonly references: ReadonlySet<string>;
  /**
   * Some string in it holds a PEM block (`-----BEGIN `), noticed on the pass that reads its
   * strings anyway, so rules looking for key material walk only the values that have one.
   */
  readonly holdsPem: boolean;
  readonly location: SourceLocation;
}

/** A value outside any resource (an output, a local, a variable default) that rules may scan. */
export interface LooseValue {
  /** `output.ca_pem`, `locals.x`, `provider.aws`. */
  readonly address: string;
  readonly value: Value;
  readonly location: SourceLocation;
  /** As {@link Resource.holdsPem}. */
  readonly holdsPem: boolean;
}

const NONE: readonly Resource[] = [];

/** One reviewed stack: every resource of a cdk.tf.json or a plan. */
export class ReviewModel {
  private readonly find: (address: string) => Resource | undefined;
  private readonly byType = new Map<string, Resource[]>();

  constructor(
    /** The stack name (cdktf's stack directory; for a plan, its paired stack's, `iot-<env>`, or the file's name). */
    public readonly stack: string,
    public readonly file: string,
    public readonly format: "cdktf" | "plan",
    public readonly resources: readonly Resource[],
    public readonly looseValues: readonly LooseValue[] = [],
    /** Finds an address's line in the file; asked only for findings, since most resources never need one. */
    private readonly lineOf: (address: string) => number | undefined = () => undefined,
    /**
     * Finds a resource by address from the loader's own index, so no map of every address is built.
     * @default a map of `resources` by address, built here
     */
    find?: (address: string) => Resource | undefined,
  ) {
    const byAddress = find ? undefined : new Map<string, Resource>();
    // Loaders list a type's resources together: look its list up once per run, not per resource.
    let list: Resource[] | undefined;
    for (const r of resources) {
      byAddress?.set(r.address, r);
      if (r.mode !== "managed") continue;
      if (list === undefined || list[0].type !== r.type) {
        list = this.byType.get(r.type);
        if (!list) this.byType.set(r.type, (list = []));
      }
      list.push(r);
    }
    this.find = find ?? ((address) => byAddress?.get(address));
  }

  /** Resources of one type, managed only. */
  ofType(type: string): readonly Resource[] {
    return this.byType.get(type) ?? NONE;
  }

  get(address: string): Resource | undefined {
    return this.find(address);
  }

  /** The resource a value points at (a {@link Ref}), if it is in this file. */
  target(value: Value | undefined): Resource | undefined {
    return value instanceof Ref ? this.find(value.address) : undefined;
  }

  /** Where a resource, loose value or the stack itself is written, with its line when found. */
  locate(address: string): SourceLocation {
    const resource = this.find(address);
    const location = resource?.location ?? this.looseValues.find((l) => l.address === address)?.location ?? { file: this.file };
    const line = location.line ?? this.lineOf(address);
    return line === undefined ? location : { ...location, line };
  }
}

/** A resource's tag value, from `tags` (or `tags_all` in plans). */
export function tag(resource: Resource, key: string): Value | undefined {
  for (const field of ["tags", "tags_all"]) {
    const tags = resource.attributes[field];
    if (isRecord(tags) && tags[key] !== undefined) return tags[key];
  }
  return undefined;
}

/**
 * A value computed from a model once and shared by every rule that needs it (security group
 * rules, ACL entries, parsed policies). Models are never changed after loading, so the
 * cache cannot go stale; rules stay pure functions of the model.
 */
export function derived<T>(compute: (model: ReviewModel) => T): (model: ReviewModel) => T {
  const cache = new WeakMap<ReviewModel, T>();
  return (model) => {
    if (!cache.has(model)) cache.set(model, compute(model));
    return cache.get(model) as T;
  };
}

/** The marker every PEM block starts with; loaders flag strings holding it. */
export const PEM_MARKER = "-----BEGIN ";
