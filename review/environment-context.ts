import { existsSync } from "node:fs";
import { parseTopicModel } from "../authz";
import { EnvironmentConfig, listEnvironments, loadEnvironment } from "../config";
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
  const file = env.pki.publicDir !== undefined ? publishedCaPaths(publishedCaDir(env.file, env.pki.publicDir)).issuingCert : pkiPaths(pkiDir, env.name).issuingCert;
  return existsSync(file) ? readCertificateFile(file) : undefined;
}

/** The environment's `review.suppressions`, applying to its own stack only. */
export function suppressionsFromEnvironment(env: EnvironmentConfig, stack: string): Suppression[] {
  return env.review.suppressions.map((s) => ({ rule: s.rule, resource: s.resource, reason: s.reason, source: env.file, stacks: [stack] }));
}

/** cdktf stack names are `iot-<env>` (stacks/environment-stack.ts). */
const STACK_NAME = /^iot-([a-z][a-z0-9-]*)$/;

/**
 * The environment a stack was built from: `env` when given, else the one its `iot-<env>` name
 * points to if that file exists; undefined when none applies (rules needing it report unknown).
 */
export function environmentForStack(stack: string, options: { env?: string; dir?: string } = {}): EnvironmentConfig | undefined {
  const name = options.env ?? STACK_NAME.exec(stack)?.[1];
  if (name === undefined) return undefined;
  if (options.env === undefined && !listEnvironments({ dir: options.dir }).includes(name)) return undefined;
  return loadEnvironment(name, { dir: options.dir });
}
