import { MoatError } from "../errors";
import { buildApp } from "./app";

// The cdktf app (cdktf.json): `cdktf synth` writes one stack per environment file,
// `cdktf deploy iot-<env>` deploys one. MOAT_ENV=dev limits the build to one environment.
function main(): void {
  try {
    const environments = process.env.MOAT_ENV ? process.env.MOAT_ENV.split(",") : undefined;
    buildApp({ environments }).app.synth();
  } catch (err) {
    if (!(err instanceof MoatError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  }
}

// On the next turn of the event loop, not inside Node's module loader: cdktf records a full
// stack trace for every token it creates, and the loader's frames under this file would be in
// each one, which makes formatting the traces slower (docs/benchmarks.md).
setImmediate(main);
