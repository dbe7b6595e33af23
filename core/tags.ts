/**
 * Tags the review relies on to find the IoT segment's parts in synthesized JSON alone.
 * The network constructs write them; the review reads them.
 */
export const ROLE_TAG = "moat:role";

export const Role = {
  /** A subnet devices live in, or a security group devices use. */
  DEVICE: "device",
  /** A subnet the broker's interface endpoint lives in. */
  ENDPOINT: "endpoint",
} as const;
