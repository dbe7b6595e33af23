import { MoatError } from "../errors";
import { buildApp } from "./app";

// The cdktf app (cdktf.json): `cdktf synth` writes one stack per environment file,
// `cdktf deploy iot-<env>` deploys one. MOAT_ENV=dev limits the build to one environment.
try {
  const environments = process.env.MOAT_ENV ? process.env.MOAT_ENV.split(",") : undefined;
  buildApp({ environments }).app.synth();
} catch (err) {
  if (!(err instanceof MoatError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
}
