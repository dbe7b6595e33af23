import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** A socket a process has bound and can receive on: a TCP listener or any bound UDP socket. */
export interface BoundSocket {
  readonly protocol: "tcp" | "tcp6" | "udp" | "udp6";
  readonly address: string;
  readonly port: number;
}

const TCP_LISTEN = "0A";

/**
 * Every socket `pid` can be reached on, read from /proc: the process's socket inodes matched
 * against its network namespace's tables. Unlike probing ports, this finds listeners on any
 * port and address, including ones nobody thought to probe (1883, UDP, IPv6).
 */
export function boundSockets(pid: number): BoundSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // The descriptor closed between readdir and readlink.
    }
  }
  const found: BoundSocket[] = [];
  for (const protocol of ["tcp", "tcp6", "udp", "udp6"] as const) {
    for (const row of socketTable(`/proc/${pid}/net/${protocol}`)) {
      const listening = protocol.startsWith("tcp") ? row.state === TCP_LISTEN : row.remotePort === 0;
      if (listening && inodes.has(row.inode)) found.push({ protocol, address: row.address, port: row.port });
    }
  }
  return found;
}

/** TCP ports in LISTEN state for the whole network namespace (any process), from /proc/net. */
export function listeningTcpPorts(): number[] {
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const row of socketTable(table)) if (row.state === TCP_LISTEN) ports.add(row.port);
  }
  return [...ports].sort((a, b) => a - b);
}

interface SocketRow {
  readonly address: string;
  readonly port: number;
  readonly remotePort: number;
  readonly state: string;
  readonly inode: string;
}

function socketTable(path: string): SocketRow[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return []; // no IPv6 in this kernel or namespace
  }
  return text
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 10)
    .map((f) => {
      const [localHex, localPort] = f[1].split(":");
      return {
        address: hexAddress(localHex),
        port: parseInt(localPort, 16),
        remotePort: parseInt(f[2].split(":")[1], 16),
        state: f[3],
        inode: f[9],
      };
    });
}

// /proc/net prints addresses as host-order 32-bit words; x86 and arm64 are little-endian.
function hexAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(":");
}
