import { createHash } from "node:crypto";
import { STUB_ACCOUNT } from "./aws-stub";

type Json = Record<string, any>;

/** cty type as `terraform providers schema -json` writes it: "string", ["list", T], ["object", {...}]. */
type CtyType = string | [string, any];
interface Block {
  readonly attributes?: Record<string, { type?: CtyType; nested_type?: { attributes: Block["attributes"]; nesting_mode: string } }>;
  readonly block_types?: Record<string, { nesting_mode: string; block: Block }>;
}
export interface ProviderSchema {
  readonly resource_schemas: Record<string, { version: number; block: Block }>;
}

const REGION = "eu-west-1";
const PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]';

/** Id prefixes AWS uses for the resources moat's stacks create. */
const ID_PREFIX: Record<string, string> = {
  aws_vpc: "vpc-",
  aws_subnet: "subnet-",
  aws_security_group: "sg-",
  aws_default_security_group: "sg-",
  aws_network_acl: "acl-",
  aws_default_network_acl: "acl-",
  aws_route_table: "rtb-",
  aws_default_route_table: "rtb-",
  aws_route_table_association: "rtbassoc-",
  aws_vpc_endpoint: "vpce-",
  aws_vpc_security_group_ingress_rule: "sgr-",
  aws_vpc_security_group_egress_rule: "sgr-",
  aws_flow_log: "fl-",
  aws_internet_gateway: "igw-",
  aws_nat_gateway: "nat-",
  aws_eip: "eipalloc-",
  aws_route53_zone: "Z",
};

/**
 * The state a first plan leaves once applied: every planned value as it is, every value the plan
 * left to apply time filled the way AWS would (ids with the resource's prefix, ARNs in the
 * account of the stub, references resolved to the value of what they refer to), so that a
 * later plan of the same stack with `-refresh=false` shows literal ids and real update diffs.
 * Lists AWS fills from other resources (a security group's rules) are empty, as right after
 * the apply that created them.
 */
export function appliedState(plan: Json, schema: ProviderSchema): Json {
  const changes: Json[] = plan.resource_changes.filter((c: Json) => c.mode === "managed" && c.change.actions.includes("create"));
  const config = new Map<string, Json>(
    (plan.configuration?.root_module?.resources ?? []).map((r: Json) => [r.address, r.expressions ?? {}]),
  );
  const known = new Map<string, Json>();
  for (const r of plan.prior_state?.values?.root_module?.resources ?? []) known.set(r.address, r.values);
  const filling = new Set<string>();

  const valueOf = (address: string): Json | undefined => {
    if (known.has(address)) return known.get(address);
    const change = changes.find((c) => c.address === address);
    if (!change || filling.has(address)) return undefined;
    filling.add(address);
    const block = schema.resource_schemas[change.type]?.block;
    if (!block) throw new Error(`no provider schema for ${change.type} (${address})`);
    const filler = new Filler(change, valueOf);
    const values = filler.block(change.change.after ?? {}, change.change.after_unknown ?? {}, block, config.get(address) ?? {}, []);
    known.set(address, values);
    return values;
  };
  const resources = changes.map((c) => {
    valueOf(c.address);
    return {
      mode: "managed",
      type: c.type,
      name: c.name,
      provider: PROVIDER,
      instances: [{ schema_version: schema.resource_schemas[c.type].version, attributes: known.get(c.address), sensitive_attributes: [] }],
    };
  });
  return {
    version: 4,
    terraform_version: plan.terraform_version,
    serial: 1,
    lineage: "00000000-0000-4000-8000-00000000a11d",
    outputs: {},
    resources,
  };
}

class Filler {
  private readonly hex: string;

  constructor(
    private readonly change: Json,
    private readonly valueOf: (address: string) => Json | undefined,
  ) {
    this.hex = createHash("sha256").update(change.address).digest("hex");
  }

  block(after: Json, unknown: Json, block: Block, expressions: Json, path: string[]): Json {
    const out: Json = {};
    for (const [name, attribute] of Object.entries(block.attributes ?? {})) {
      const type = attribute.type ?? ["list", ["object", {}]];
      out[name] = this.value(after?.[name] ?? null, unknown?.[name], type, expressions?.[name], [...path, name]);
    }
    for (const [name, nested] of Object.entries(block.block_types ?? {})) {
      const items = after?.[name];
      const marks = unknown?.[name];
      if (marks === true || items === undefined || items === null) {
        out[name] = nested.nesting_mode === "single" ? null : [];
        continue;
      }
      const list = Array.isArray(items) ? items : [items];
      const filled = list.map((item, i) =>
        this.block(
          item,
          Array.isArray(marks) ? marks[i] : marks,
          nested.block,
          Array.isArray(expressions?.[name]) ? expressions[name][i] : undefined,
          [...path, name],
        ),
      );
      out[name] = nested.nesting_mode === "single" ? filled[0] : filled;
    }
    return out;
  }

  private value(after: any, unknown: any, type: CtyType, expression: Json | undefined, path: string[]): any {
    if (unknown === true) return this.unknown(type, expression, path);
    if (Array.isArray(after) && Array.isArray(unknown))
      return after.map((v, i) => this.value(v, unknown[i], Array.isArray(type) ? type[1] : type, undefined, path));
    if (after && typeof after === "object" && unknown && typeof unknown === "object" && Array.isArray(type) && type[0] === "object") {
      return Object.fromEntries(
        Object.entries(type[1] as Record<string, CtyType>).map(([k, t]) => [
          k,
          this.value(after[k] ?? null, unknown[k], t, undefined, [...path, k]),
        ]),
      );
    }
    return after;
  }

  /** A value AWS fills at apply: what the configuration refers to, else one shaped like AWS's. */
  private unknown(type: CtyType, expression: Json | undefined, path: string[]): any {
    if (expression && "constant_value" in expression) return this.template(expression.constant_value);
    const name = path[path.length - 1];
    if (Array.isArray(type)) {
      if (type[0] === "object")
        return Object.fromEntries(
          Object.entries(type[1] as Record<string, CtyType>).map(([k, t]) => [k, this.unknown(t, undefined, [...path, k])]),
        );
      if (type[0] === "map") return {};
      return this.computedList(name);
    }
    if (type === "number") return 0;
    if (type === "bool") return false;
    return this.computedString(name);
  }

  /** A `.tf.json` template with its references replaced by the values of what they name. */
  private template(value: any): any {
    if (Array.isArray(value)) return value.map((v) => this.template(v));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.template(v)]));
    if (typeof value !== "string") return value;
    const whole = /^\$\{([^${}]+)\}$/.exec(value);
    if (whole) return this.reference(whole[1]);
    return value.replace(/(\$?)\$\{([^{}]+)\}/g, (match, escaped: string, ref: string) =>
      escaped ? match.slice(1) : String(this.reference(ref)),
    );
  }

  private reference(text: string): any {
    const parts = text.trim().split(".");
    const length = parts[0] === "data" ? 3 : 2;
    const target = this.valueOf(parts.slice(0, length).join("."));
    if (target === undefined) throw new Error(`${this.change.address}: cannot fill ${text} (not a resource of the plan, or a cycle)`);
    let value: any = target;
    for (const step of parts.slice(length).flatMap((p) => p.split(/\[(\d+)\]/).filter(Boolean)))
      value = value?.[/^\d+$/.test(step) ? Number(step) : step];
    return value;
  }

  private computedList(name: string): any[] {
    if (this.change.type === "aws_vpc_endpoint" && name === "dns_entry") {
      return [{ dns_name: `vpce-${this.hex.slice(0, 17)}.data.iot.${REGION}.vpce.amazonaws.com`, hosted_zone_id: "Z1MOATVPCE0001" }];
    }
    if (this.change.type === "aws_vpc_endpoint" && name === "network_interface_ids") {
      const subnets = (this.change.change.after?.subnet_ids as unknown[] | undefined)?.length ?? 1;
      return Array.from(
        { length: subnets },
        (_, i) => `eni-${createHash("sha256").update(`${this.change.address}#${i}`).digest("hex").slice(0, 17)}`,
      );
    }
    return [];
  }

  private computedString(name: string): string {
    const type = this.change.type as string;
    const after = this.change.change.after ?? {};
    const id = this.id();
    if (name === "id") return id;
    if (name === "arn") return this.arn(id);
    if (name === "owner_id" || name === "account_id") return STUB_ACCOUNT;
    if (name === "name" && typeof after.name_prefix === "string") return `${after.name_prefix}${this.hex.slice(0, 26)}`;
    if (type === "aws_vpc" && name.endsWith("_id"))
      return `${{ default_security_group_id: "sg-", default_network_acl_id: "acl-", default_route_table_id: "rtb-", main_route_table_id: "rtb-" }[name] ?? "x-"}${hexOf(`${this.change.address}.${name}`)}`;
    if (name === "security_group_rule_id") return `sgr-${hexOf(`${this.change.address}.${name}`)}`;
    if (name === "key_id") return this.uuid();
    // The class AWS gives a log group created without one.
    if (type === "aws_cloudwatch_log_group" && name === "log_group_class") return "STANDARD";
    // An AWS-managed configurable endpoint's name, as IoT Core assigns it: <account prefix>-ats.iot.<region>.amazonaws.com.
    if (type === "aws_iot_domain_configuration" && name === "domain_name")
      return `${this.hex.slice(0, 14)}-ats.iot.${REGION}.amazonaws.com`;
    if (name.endsWith("_id")) return hexOf(`${this.change.address}.${name}`);
    // What AWS returns for an optional setting nobody set (an SNS topic's FIFO scope, a description).
    return "";
  }

  private id(): string {
    const type = this.change.type as string;
    const after = this.change.change.after ?? {};
    const prefix = ID_PREFIX[type];
    if (prefix === "Z") return `Z${this.hex.slice(0, 20).toUpperCase()}`;
    if (prefix) return `${prefix}${this.hex.slice(0, 17)}`;
    if (type === "aws_kms_key") return this.uuid();
    if (typeof after.name === "string") return after.name;
    return this.hex.slice(0, 20);
  }

  private arn(id: string): string {
    const type = this.change.type as string;
    const after = this.change.change.after ?? {};
    const name = typeof after.name === "string" ? after.name : id;
    const region = `${REGION}:${STUB_ACCOUNT}`;
    if (type === "aws_iam_role") return `arn:aws:iam::${STUB_ACCOUNT}:role/${name}`;
    if (type === "aws_sns_topic") return `arn:aws:sns:${region}:${name}`;
    if (type === "aws_cloudwatch_log_group") return `arn:aws:logs:${region}:log-group:${name}`;
    if (type === "aws_kms_key") return `arn:aws:kms:${region}:key/${id}`;
    if (type === "aws_kms_alias") return `arn:aws:kms:${region}:${name}`;
    if (type === "aws_s3_bucket") return `arn:aws:s3:::${after.bucket ?? name}`;
    if (type === "aws_cloudwatch_metric_alarm") return `arn:aws:cloudwatch:${region}:alarm:${after.alarm_name ?? name}`;
    if (type.startsWith("aws_iot_")) return `arn:aws:iot:${region}:${type.replace(/^aws_iot_/, "").replace(/_/g, "")}/${name}`;
    if (type === "aws_route53_zone") return `arn:aws:route53:::hostedzone/${id}`;
    return `arn:aws:ec2:${region}:${type.replace(/^aws_/, "").replace(/_/g, "-")}/${id}`;
  }

  private uuid(): string {
    const h = this.hex;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

function hexOf(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 17);
}
