import { cidrOf } from "./cidr-value";
import { Value } from "./value";

/**
 * IPv4 address sets as sorted, disjoint inclusive ranges: what an address space of the
 * reachability graph covers, and what is left of it after an ACL's earlier denies.
 */
export type Ranges = readonly (readonly [number, number])[];

export const EVERYWHERE: Ranges = [[0, 2 ** 32 - 1]];

/** A literal IPv4 CIDR value as ranges; undefined when the value is not one. */
export function rangesOf(value: Value | undefined): Ranges | undefined {
  const cidr = cidrOf(value);
  return cidr ? [[cidr.first, cidr.last]] : undefined;
}

export function union(...sets: Ranges[]): Ranges {
  const all = sets.length === 1 ? [...sets[0]] : sets.flat();
  all.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (let i = 0; i < all.length; i++) {
    const first = all[i][0];
    const last = all[i][1];
    const previous = out[out.length - 1];
    if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
    else out.push([first, last]);
  }
  return out;
}

/** Sorted by first address, none overlapping: what union, subtract and rangesOf make. */
function isSorted(r: Ranges): boolean {
  for (let i = 1; i < r.length; i++) if (r[i][0] <= r[i - 1][1]) return false;
  return true;
}

export function intersect(a: Ranges, b: Ranges): Ranges {
  if (a.length === 0 || b.length === 0) return [];
  if (a.length === 1 && b.length === 1) {
    const first = Math.max(a[0][0], b[0][0]);
    const last = Math.min(a[0][1], b[0][1]);
    return first <= last ? [[first, last]] : [];
  }
  const out: [number, number][] = [];
  if (isSorted(a) && isSorted(b)) {
    // One merge walk: the overlaps come out in order, and adjacent ones join as union joins them.
    for (let i = 0, j = 0; i < a.length && j < b.length;) {
      const first = Math.max(a[i][0], b[j][0]);
      const last = Math.min(a[i][1], b[j][1]);
      if (first <= last) {
        const previous = out[out.length - 1];
        if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
        else out.push([first, last]);
      }
      if (a[i][1] < b[j][1]) i++;
      else j++;
    }
    return out;
  }
  for (const [af, al] of a)
    for (const [bf, bl] of b) {
      const first = Math.max(af, bf);
      const last = Math.min(al, bl);
      if (first <= last) out.push([first, last]);
    }
  return union(out);
}

/** True when the two sets share an address: `!isEmpty(intersect(a, b))` without making the intersection. */
export function overlaps(a: Ranges, b: Ranges): boolean {
  if (a.length === 0 || b.length === 0) return false;
  if (isSorted(a) && isSorted(b)) {
    for (let i = 0, j = 0; i < a.length && j < b.length;) {
      if (Math.max(a[i][0], b[j][0]) <= Math.min(a[i][1], b[j][1])) return true;
      if (a[i][1] < b[j][1]) i++;
      else j++;
    }
    return false;
  }
  for (const [af, al] of a) for (const [bf, bl] of b) if (Math.max(af, bf) <= Math.min(al, bl)) return true;
  return false;
}

export function subtract(a: Ranges, b: Ranges): Ranges {
  let rest: [number, number][] = a.map(([f, l]) => [f, l]);
  for (const [bf, bl] of b) {
    const next: [number, number][] = [];
    for (const [f, l] of rest) {
      if (bl < f || bf > l) next.push([f, l]);
      else {
        if (f < bf) next.push([f, bf - 1]);
        if (bl < l) next.push([bl + 1, l]);
      }
    }
    rest = next;
  }
  return rest;
}

export function isEmpty(r: Ranges): boolean {
  return r.length === 0;
}
