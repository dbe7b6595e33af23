import * as crypto from "node:crypto";

type Digest = {
  (algorithm: string, data: Buffer, encoding: "hex"): string;
  (algorithm: string, data: Buffer, encoding: "buffer"): Buffer;
};

function withHashObject(algorithm: string, data: Buffer, encoding: "hex"): string;
function withHashObject(algorithm: string, data: Buffer, encoding: "buffer"): Buffer;
function withHashObject(algorithm: string, data: Buffer, encoding: "hex" | "buffer"): string | Buffer {
  const hash = crypto.createHash(algorithm).update(data);
  return encoding === "buffer" ? hash.digest() : hash.digest("hex");
}

/**
 * A one-shot digest. crypto.hash (Node 20.12 and later) makes no Hash object, whose native handle
 * the garbage collector must otherwise release: bulk hashes every CSR and every certificate's key.
 * Older Node 20 releases take createHash.
 */
export const digest: Digest = typeof crypto.hash === "function" ? crypto.hash : withHashObject;
