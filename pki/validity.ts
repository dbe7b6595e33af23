import { MoatError } from "../errors";

/** Devices with a slightly slow clock must not see a brand-new certificate as not yet valid. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Leaf certificate validity when neither the caller nor the environment (pki.deviceValidityDays) says. */
export const DEFAULT_LEAF_DAYS = 365;

/** A certificate's validity request. */
export interface ValidityOptions {
  /** Days from now. @default the caller's profile default */
  readonly validityDays?: number;
  /** Explicit start, overriding the computed one (tests use it to make expired certificates). */
  readonly notBefore?: Date;
  /** Explicit end, overriding `validityDays`. */
  readonly notAfter?: Date;
}

/**
 * The validity window: from `now` minus the clock-skew allowance for `validityDays`, unless
 * overridden, truncated to whole seconds (X.509 times have no fractions) and never past the
 * issuer's own end, since a relying party would reject the tail anyway.
 */
export function validityWindow(
  options: ValidityOptions,
  defaultDays: number,
  now: Date,
  issuerNotAfter?: Date,
): { notBefore: Date; notAfter: Date } {
  const days = options.validityDays ?? defaultDays;
  if (!Number.isInteger(days) || days < 1) {
    throw new MoatError(`validity ${days} days is not valid; use a whole number of days >= 1`);
  }
  const notBefore = wholeSeconds(options.notBefore ?? new Date(now.getTime() - CLOCK_SKEW_MS));
  let notAfter = wholeSeconds(options.notAfter ?? new Date(now.getTime() + days * DAY_MS));
  if (issuerNotAfter !== undefined && notAfter > issuerNotAfter) notAfter = issuerNotAfter;
  if (notAfter <= notBefore) {
    throw new MoatError(`validity ends ${notAfter.toISOString()} before it starts ${notBefore.toISOString()}; check notBefore/notAfter`);
  }
  return { notBefore, notAfter };
}

/** X.509 times have no fractions of a second; the index and CRLs record what the DER says. */
export const wholeSeconds = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

/** `days` after `from`. */
export const daysAfter = (from: Date, days: number): Date => new Date(from.getTime() + days * DAY_MS);
