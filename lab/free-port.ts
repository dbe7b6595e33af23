import { createServer } from "node:net";
import { LAB_HOST } from "./mosquitto-config";

/** A TCP port that was free on loopback a moment ago (bound to port 0, read, released). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LAB_HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
