import type { TopicModel } from "../authz";
import { ReviewModel } from "./model";

export type Severity = "error" | "warn";

/** What a review knows beyond the synthesized file: the environment's intent. */
export interface ReviewContext {
  /**
   * Office networks the segment must neither route to nor allow (config `network.officeCidrs`).
   * @default undefined: not known, so NET-6 reports "unknown" instead of passing
   */
  readonly officeCidrs?: readonly string[];
  /**
   * Device subnet CIDRs from the environment, checked against the subnets tagged
   * `moat:role=device` in the file.
   * @default undefined: the tagged subnets alone decide
   */
  readonly deviceSubnetCidrs?: readonly string[];
  /**
   * Minimum flow-log retention in days.
   * @default 365
   */
  readonly minRetentionDays?: number;
  /**
   * The environment's topic model: what each device class may publish, subscribe to and receive.
   * @default undefined: AUTHZ-4 then checks only that every topic is scoped to the device's thing
   * name, and reports topics without that scope as unknown
   */
  readonly topics?: TopicModel;
  /**
   * The environment's `broker.authFailureThreshold`: failures per period above which an alarm must fire.
   * @default undefined: LOG-5 does not bound alarm thresholds
   */
  readonly authFailureThreshold?: number;
  /**
   * The environment's issuing CA certificate (PEM), from `pki.publicDir` or the PKI store:
   * the only CA AUTH-3 accepts in `aws_iot_ca_certificate`.
   * @default undefined: not known, so AUTH-3 cannot tell the registered CA from another one (see docs/review-identity.md)
   */
  readonly caCertificatePem?: string;
}

/** One place where a rule does not hold, or cannot be decided from the file. */
export interface Violation {
  /** Address of the resource at fault (`aws_security_group.broker`), or `stack` for the stack as a whole. */
  readonly resource: string;
  readonly message: string;
  /** The file does not say (a value known only at apply time): reported, never a pass. */
  readonly unknown?: boolean;
}

/** A rule body: pure, over the model; returns only what is wrong or undecidable. */
export type RuleCheck = (model: ReviewModel, context: ReviewContext) => Violation[];

/** A rule with the metadata reports show; the body knows none of it. */
export interface RuleDefinition {
  /** `FW-2`. */
  readonly id: string;
  readonly severity: Severity;
  /** What must hold, in one line. */
  readonly title: string;
  /** Why it matters: the attack or failure it prevents. */
  readonly why: string;
  /** How to fix a violation. */
  readonly fix: string;
  /**
   * Equivalent public checks (checkov `CKV_*`, trivy `AWS-*`, Security Hub controls, AWS IoT Device
   * Defender audit checks), empty where none exists.
   */
  readonly matches: readonly string[];
  /**
   * What the rule takes for granted and cannot see in the file (docs/rules.md shows it).
   * @default undefined: the rule relies on nothing beyond the pack-wide assumptions in docs/rules.md
   */
  readonly assumes?: string;
  readonly check: RuleCheck;
}

/** The address rules use for a finding about the stack as a whole. */
export const STACK = "stack";

/** A violation builder that keeps rule bodies short. */
export function fail(resource: string, message: string): Violation {
  return { resource, message };
}

export function unknown(resource: string, message: string): Violation {
  return { resource, message, unknown: true };
}
