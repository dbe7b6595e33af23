import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { load } from "js-yaml";
import { parseTopicModel } from "../authz";
import { DEFAULT_ENVIRONMENTS_DIR, EnvironmentConfig, listEnvironments, loadEnvironment } from "../config";
import { cidrProblem } from "../core/cidr";
import { stackEnvironment } from "../core/names";
import { MoatError } from "../errors";
import { pkiPaths } from "../pki/paths";
import { publishedCaDir, publishedCaPaths, readCertificateFile } from "../pki/published";
import { ReviewContext } from "./rule";
import { Suppression } from "./suppressions";

/** What the review needs to know from an environment file. */
export function contextFromEnvironment(env: EnvironmentConfig, options: { readonly pkiDir?: string } = {}): ReviewContext {
  return {
    officeCidrs: env.network.officeCidrs,
    deviceSubnetCidrs: env.network.deviceSubnets.map((s) => s.cidr),
    minRetentionDays: Math.max(365, env.logs.retentionDays),
    topics: parseTopicModel(env.topics, env.file),
    authFailureThreshold: env.broker.authFailureThreshold,
    caCertificatePem: environmentCa(env, options.pkiDir ?? process.env.MOAT_PKI_DIR ?? ".pki"),
  };
}

/**
 * The issuing CA certificate the environment's stack registers, where synth would read it: the
 * committed `pki.publicDir`, else the PKI store (`pkiDir`). Undefined when neither
 * holds one (a review away from the CA's material), and AUTH-3 then says what it cannot check.
 */
function environmentCa(env: EnvironmentConfig, pkiDir: string): string | undefined {
  const file =
    env.pki.publicDir !== undefined
      ? publishedCaPaths(publishedCaDir(env.file, env.pki.publicDir)).issuingCert
      : pkiPaths(pkiDir, env.name).issuingCert;
  return existsSync(file) ? readCertificateFile(file) : undefined;
}

/** The environment's `review.suppressions`, applying to its own stack only. */
export function suppressionsFromEnvironment(env: EnvironmentConfig, stack: string): Suppression[] {
  return env.review.suppressions.map((s) => ({ rule: s.rule, resource: s.resource, reason: s.reason, source: env.file, stacks: [stack] }));
}

/** Whether a stack is reviewed against an environment file: `--env` for all, else an `iot-<env>` name. */
export function needsEnvironment(stack: string, env: string | undefined): boolean {
  return env !== undefined || stackEnvironment(stack) !== undefined;
}

/**
 * The base branch's environment directory: the one given, else `environments` beside the base's
 * cdktf.out (where a checkout of the base branch keeps it). Never this branch's own directory
 * by default: that is the mistake this guards against. Undefined when there is none.
 */
export function baseEnvironmentsDir(base: string, given: string | undefined, headDir: string | undefined): string | undefined {
  if (given !== undefined) {
    if (!existsSync(given))
      throw new MoatError(`--base-environments-dir ${given}: no such directory; give the base checkout's environments/`, 2);
    return given;
  }
  const segments = resolve(base).split(sep);
  const out = segments.lastIndexOf("cdktf.out");
  if (out < 0) return undefined;
  const beside = join(segments.slice(0, out).join(sep) || sep, DEFAULT_ENVIRONMENTS_DIR);
  const head = resolve(headDir ?? DEFAULT_ENVIRONMENTS_DIR);
  if (!existsSync(beside) || (existsSync(head) && realpathSync(beside) === realpathSync(head))) return undefined;
  return beside;
}

/** The refusal when a base stack needs its environment and the base branch's files are not known. */
export function refuseBase(base: string, stack: string): never {
  throw new MoatError(
    `--base ${base}: stack ${stack} needs the base branch's environment files, and none are beside it; pass --base-environments-dir with the base checkout's environments/ (this branch's would report findings the base never had as fixed)`,
    2,
  );
}

/**
 * The environment a stack was built from: `env` when given, else the one its `iot-<env>` name
 * points to if that file exists; undefined when none applies (rules needing it report unknown).
 */
export function environmentForStack(stack: string, options: { env?: string; dir?: string } = {}): EnvironmentConfig | undefined {
  const name = options.env ?? stackEnvironment(stack);
  if (name === undefined) return undefined;
  if (options.env === undefined && !listEnvironments({ dir: options.dir }).includes(name)) return undefined;
  return loadEnvironment(name, { dir: options.dir });
}

/**
 * The review context of a stack that no environment file describes (your own stack composing
 * moat's constructs): `--context FILE` (YAML `officeCidrs`, `deviceSubnets`, `minRetentionDays`),
 * then `--office-cidr` and `--device-subnet` flags, which replace the file's lists.
 * Every CIDR is checked here, so a typo is a refusal that names it, not a silent pass.
 */
export function contextFromFlags(options: {
  file?: string;
  officeCidrs?: readonly string[];
  deviceSubnets?: readonly string[];
}): ReviewContext | undefined {
  const fromFile = options.file === undefined ? {} : readContextFile(options.file);
  const context: ReviewContext = {
    ...fromFile,
    ...(options.officeCidrs?.length ? { officeCidrs: checkedCidrs(options.officeCidrs, "--office-cidr") } : {}),
    ...(options.deviceSubnets?.length ? { deviceSubnetCidrs: checkedCidrs(options.deviceSubnets, "--device-subnet") } : {}),
  };
  return Object.keys(context).length > 0 ? context : undefined;
}

const CONTEXT_FORMAT =
  "write YAML with officeCidrs: [CIDR...] (an empty list when there is no office network), deviceSubnets: [CIDR...] and optionally minRetentionDays: N";

function readContextFile(file: string): ReviewContext {
  let doc: unknown;
  try {
    doc = load(readFileSync(file, "utf8"));
  } catch (err) {
    throw new MoatError(`--context ${file}: cannot read it (${(err as Error).message.split("\n")[0]}); ${CONTEXT_FORMAT}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    throw new MoatError(`--context ${file}: not a mapping; ${CONTEXT_FORMAT}`);
  const d = doc as Record<string, unknown>;
  const unknownKeys = Object.keys(d).filter((k) => !["officeCidrs", "deviceSubnets", "minRetentionDays"].includes(k));
  if (unknownKeys.length > 0) throw new MoatError(`--context ${file}: unknown key ${unknownKeys[0]}; ${CONTEXT_FORMAT}`);
  const list = (key: string): readonly string[] | undefined => {
    if (d[key] === undefined) return undefined;
    if (!Array.isArray(d[key]) || !(d[key] as unknown[]).every((v) => typeof v === "string"))
      throw new MoatError(`--context ${file}: ${key} must be a list of CIDR strings; ${CONTEXT_FORMAT}`);
    return checkedCidrs(d[key] as string[], `--context ${file}: ${key}`);
  };
  const days = d.minRetentionDays;
  if (days !== undefined && (typeof days !== "number" || !Number.isInteger(days) || days < 1))
    throw new MoatError(`--context ${file}: minRetentionDays must be a whole number of days; ${CONTEXT_FORMAT}`);
  const officeCidrs = list("officeCidrs");
  const deviceSubnetCidrs = list("deviceSubnets");
  return {
    ...(officeCidrs ? { officeCidrs } : {}),
    ...(deviceSubnetCidrs ? { deviceSubnetCidrs } : {}),
    // The review never accepts less than the 365-day floor, whatever the file says.
    ...(days !== undefined ? { minRetentionDays: Math.max(365, days as number) } : {}),
  };
}

function checkedCidrs(cidrs: readonly string[], where: string): readonly string[] {
  for (const cidr of cidrs) {
    const problem = cidrProblem(cidr);
    if (problem) throw new MoatError(`${where}: "${cidr}" ${problem}`, 2);
  }
  return cidrs;
}
