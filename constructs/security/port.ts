import { ValidationError } from "../../errors";
import { MQTT_TLS_PORT } from "../../core/mqtt";

/**
 * A transport port, made only by the factories below. There is deliberately no
 * "all ports" or "all traffic" factory: the segment's firewall names every port it opens.
 */
export class Port {
  /** TCP 8883: MQTT over TLS, the only port the broker side accepts. */
  public static readonly MQTT_TLS = new Port("tcp", MQTT_TLS_PORT, MQTT_TLS_PORT, "MQTT over TLS");

  /** TCP ports a client picks for its side of a connection: return traffic in stateless network ACLs. */
  public static readonly EPHEMERAL_TCP = new Port("tcp", 1024, 65535, "ephemeral (return traffic)");

  /** A single TCP port. */
  public static tcp(port: number, label?: string): Port {
    return new Port("tcp", port, port, label);
  }

  /** A single UDP port. */
  public static udp(port: number, label?: string): Port {
    return new Port("udp", port, port, label);
  }

  private constructor(
    public readonly protocol: "tcp" | "udp",
    public readonly fromPort: number,
    public readonly toPort: number,
    private readonly label?: string,
  ) {
    for (const value of [fromPort, toPort]) {
      if (!Number.isInteger(value) || value < 1 || value > 65535) {
        throw new ValidationError(`port ${value} is not a port number; use 1-65535`);
      }
    }
  }

  /** IANA protocol number, as network ACL rules want it. */
  public get protocolNumber(): string {
    return this.protocol === "tcp" ? "6" : "17";
  }

  /** `TCP 8883 (MQTT over TLS)`: used in rule descriptions. */
  public toString(): string {
    const range = this.fromPort === this.toPort ? `${this.fromPort}` : `${this.fromPort}-${this.toPort}`;
    return `${this.protocol.toUpperCase()} ${range}${this.label ? ` (${this.label})` : ""}`;
  }
}
