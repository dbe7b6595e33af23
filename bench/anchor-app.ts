import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The synth anchor (issue 16): from moat's synthesized cdk.tf.json of each stack, writes a plain
 * cdktf app that declares the same provider, backend, variables, data sources, resources and
 * outputs with the provider's own classes (deep imports) and literal values. What it costs to
 * synthesize is what cdktf charges for these resources; what moat costs beyond it is config,
 * constructs and the review at synth. Generated from the output, so it follows moat as it changes.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Block = { [key: string]: Json };

const PROVIDER_LIB = path.dirname(require.resolve("@cdktf/provider-aws/lib/provider"));
const LIB_ROOT = path.dirname(PROVIDER_LIB);

// Attributes whose value is a map: its keys are data (tag names, table parameters), not
// attribute names, so they keep their spelling.
const MAP_ATTRIBUTES = new Set(["tags", "tags_all", "parameters", "variables", "environment"]);
// Meta-arguments take construct references in the classes' config; the anchor writes them as the
// raw values moat wrote, through an override.
const META_ARGUMENTS = new Set(["depends_on", "lifecycle", "provider", "count", "for_each"]);

const BACKENDS: Record<string, string> = { s3: "S3Backend", local: "LocalBackend" };

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function camelize(value: Json): Json {
  if (Array.isArray(value)) return value.map(camelize);
  if (value === null || typeof value !== "object") return value;
  const out: Block = {};
  for (const [key, inner] of Object.entries(value)) {
    out[camel(key)] = MAP_ATTRIBUTES.has(key) ? inner : camelize(inner);
  }
  return out;
}

/** The provider class for a Terraform type, found by its own `tfResourceType`, and its module. */
function classFor(kind: "resource" | "data", type: string): { module: string; name: string } {
  const dashed = type.replace(/_/g, "-");
  const dir = kind === "data" ? `data-${dashed}` : dashed.replace(/^aws-/, "");
  const module = `@cdktf/provider-aws/lib/${dir}`;
  if (!fs.existsSync(path.join(LIB_ROOT, dir))) throw new Error(`anchor: no provider module ${module} for ${kind} ${type}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(module) as Record<string, { tfResourceType?: string }>;
  const name = Object.keys(exports).find((k) => exports[k]?.tfResourceType === type);
  if (!name) throw new Error(`anchor: ${module} exports no class for ${kind} ${type}`);
  return { module, name };
}

function withoutMetadata(body: Block): Block {
  const out: Block = {};
  for (const [key, value] of Object.entries(body)) if (key !== "//") out[key] = value;
  return out;
}

/** Source lines declaring one resource or data source in `stack`. */
function declare(className: string, name: string, body: Block): string[] {
  const config: Block = {};
  const overrides: [string, Json][] = [];
  for (const [key, value] of Object.entries(withoutMetadata(body))) {
    if (META_ARGUMENTS.has(key)) overrides.push([key, value]);
    else config[camel(key)] = MAP_ATTRIBUTES.has(key) ? value : camelize(value);
  }
  if (!overrides.length) return [`new ${className}(stack, ${JSON.stringify(name)}, ${JSON.stringify(config)});`];
  return [
    `{ const r = new ${className}(stack, ${JSON.stringify(name)}, ${JSON.stringify(config)});`,
    ...overrides.map(([key, value]) => `  r.addOverride(${JSON.stringify(key)}, ${JSON.stringify(value)});`),
    "}",
  ];
}

/** Source of one stack's builder function. */
function stackSource(stackName: string, synthesized: Block, imports: Map<string, string>): string[] {
  const lines = [`{`, `const stack = new TerraformStack(app, ${JSON.stringify(stackName)});`];
  const terraform = synthesized.terraform as Block;
  for (const [type, config] of Object.entries((terraform.backend as Block | undefined) ?? {})) {
    const className = BACKENDS[type];
    if (!className) throw new Error(`anchor: no backend class for backend "${type}"`);
    // The class's config, then moat's raw values over it: LocalBackend makes a path absolute and
    // S3Backend in cdktf 0.21 has no use_lockfile.
    lines.push(`{ const b = new ${className}(stack, ${JSON.stringify(camelize(config))});`);
    for (const [key, value] of Object.entries(config as Block))
      lines.push(`  b.addOverride(${JSON.stringify(key)}, ${JSON.stringify(value)});`);
    lines.push("}");
  }
  for (const provider of ((synthesized.provider as Block).aws as Block[]) ?? []) {
    lines.push(`new AwsProvider(stack, "aws", ${JSON.stringify(camelize(withoutMetadata(provider)))});`);
  }
  for (const [name, body] of Object.entries((synthesized.variable as Block) ?? {})) {
    lines.push(`new TerraformVariable(stack, ${JSON.stringify(name)}, ${JSON.stringify(camelize(withoutMetadata(body as Block)))});`);
  }
  for (const kind of ["data", "resource"] as const) {
    for (const [type, instances] of Object.entries((synthesized[kind] as Block) ?? {})) {
      const { module, name: className } = classFor(kind, type);
      imports.set(className, module);
      for (const [name, body] of Object.entries(instances as Block)) lines.push(...declare(className, name, body as Block));
    }
  }
  for (const [name, body] of Object.entries((synthesized.output as Block) ?? {})) {
    // An output's value is data: only the output's own attribute names are camel-cased.
    const { value, ...rest } = withoutMetadata(body as Block);
    lines.push(`new TerraformOutput(stack, ${JSON.stringify(name)}, ${JSON.stringify({ ...(camelize(rest) as Block), value })});`);
  }
  lines.push("}");
  return lines;
}

/**
 * Writes the anchor app for `stacks` (stack name -> path of its cdk.tf.json) to `file`.
 * Type checking is off in the generated file: values are moat's literals, some of them
 * `${...}` references where the class types a number or a list.
 */
export function writeAnchorApp(stacks: Record<string, string>, file: string): void {
  const imports = new Map<string, string>([["AwsProvider", "@cdktf/provider-aws/lib/provider"]]);
  const body: string[] = [];
  for (const [stackName, jsonPath] of Object.entries(stacks)) {
    body.push(...stackSource(stackName, JSON.parse(fs.readFileSync(jsonPath, "utf8")) as Block, imports));
  }
  const source = [
    "// @ts-nocheck -- generated by bench/anchor-app.ts from moat's cdk.tf.json; do not edit.",
    `import { App, LocalBackend, S3Backend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";`,
    ...[...imports].map(([name, module]) => `import { ${name} } from ${JSON.stringify(module)};`),
    "const app = new App();",
    ...body,
    "app.synth();",
    "",
  ].join("\n");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, source);
}

/**
 * Names of the blocks (`resource.<type>.<name>`, `data...`, `output.<name>`) whose content differs
 * between moat's stack and the anchor's: the anchor must declare exactly what moat declares.
 */
export function differingBlocks(moatJson: string, anchorJson: string): string[] {
  const read = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Block;
  const strip = (value: Json): Json =>
    Array.isArray(value)
      ? value.map(strip)
      : value && typeof value === "object"
        ? Object.fromEntries(Object.entries(withoutMetadata(value)).map(([k, v]) => [k, strip(v)]))
        : value;
  const a = read(moatJson);
  const b = read(anchorJson);
  const names: string[] = [];
  for (const section of ["resource", "data", "output", "variable", "provider"]) {
    const flat = (doc: Block) => {
      const out = new Map<string, string>();
      for (const [k, v] of Object.entries((doc[section] as Block) ?? {})) {
        if (section === "resource" || section === "data")
          for (const [n, body] of Object.entries(v as Block)) out.set(`${section}.${k}.${n}`, JSON.stringify(strip(body)));
        else out.set(`${section}.${k}`, JSON.stringify(strip(v)));
      }
      return out;
    };
    const fa = flat(a);
    const fb = flat(b);
    for (const key of new Set([...fa.keys(), ...fb.keys()])) if (fa.get(key) !== fb.get(key)) names.push(key);
  }
  const backend = (doc: Block) => JSON.stringify((doc.terraform as Block).backend);
  if (backend(a) !== backend(b)) names.push("terraform.backend");
  return names;
}
