// Child process for the concurrency tests. It prepares its work, says it is ready, waits for
// the go file so both children start together, then hammers the store:
//   issue  <pkiDir> <syncDir> <name> <count>        issues count device certificates
//   revoke <pkiDir> <syncDir> <name> <serialsFile>  revokes each serial (one per line)
//   bulk   <pkiDir> <syncDir> <name> <count>        one parallel bulk run (2 threads, batches of 10) over count CSRs
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { buildCsr, bulkIssue, issueFromCsr, loadIssuingCa, revoke } from "../../pki";
import { PASSPHRASE } from "./passphrase";

const [mode, pkiDir, syncDir, name, arg] = process.argv.slice(2);
const store = { pkiDir, env: "lab", passphrase: PASSPHRASE };
let work: (() => void)[];
if (mode === "issue") {
  const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  work = Array.from({ length: Number(arg) }, (_, i) => buildCsr({ commonName: `${name}-${i}`, ...keys })).map(
    (csrPem) => () => issueFromCsr({ ...store, deviceClass: "sensor", csrPem }),
  );
} else if (mode === "bulk") {
  const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const csrDir = `${syncDir}/csrs-${name}`;
  mkdirSync(csrDir);
  for (let i = 0; i < Number(arg); i++) writeFileSync(`${csrDir}/${name}-${i}.csr`, buildCsr({ commonName: `${name}-${i}`, ...keys }));
  const options = { ...store, deviceClass: "sensor", csrDir, outDir: `${syncDir}/out-${name}`, threads: 2, batchSize: 10 };
  work = [() => bulkIssue(options)];
} else {
  work = readFileSync(arg, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((serial) => () => revoke({ ...store, serial, reason: "keyCompromise" }));
}
loadIssuingCa(pkiDir, "lab", PASSPHRASE); // pay the key-decryption KDF before the start line
writeFileSync(`${syncDir}/ready-${name}`, "");
const pause = new Int32Array(new SharedArrayBuffer(4));
while (!existsSync(`${syncDir}/go`)) Atomics.wait(pause, 0, 0, 2);
for (const step of work) step();
