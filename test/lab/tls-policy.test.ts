import { readFileSync } from "node:fs";
import { labPaths } from "../../lab";
import { handshake, LabFixture, labPrerequisites, startLab, TlsVersion } from "./lab-harness";

const lab = labPrerequisites();

/** The declared policy, what the rendered mosquitto.conf says, and what the broker does with each version. */
const POLICIES = [
  { policy: "IoTSecurityPolicy_TLS13_1_3_2022_10", lowest: "tlsv1.3", accepts: ["1.3"], refuses: ["1.2", "1.1"] },
  { policy: "IoTSecurityPolicy_TLS13_1_2_2022_10", lowest: "tlsv1.2", accepts: ["1.3", "1.2"], refuses: ["1.1"] },
] as const;

lab.describe.each(POLICIES)("an environment declaring broker.tlsPolicy $policy", ({ policy, lowest, accepts, refuses }) => {
  let fx: LabFixture;
  beforeAll(async () => {
    fx = await startLab({ "sensor-a": "sensor" }, { tlsPolicy: policy });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  test(`the lab broker's configuration sets tls_version ${lowest}`, () => {
    const conf = readFileSync(labPaths(fx.pkiDir, fx.config.name).config, "utf8");
    expect(conf.split("\n").filter((line) => line.startsWith("tls_version"))).toEqual([`tls_version ${lowest}`]);
  });

  test.each(accepts.map((v) => [v]))("a TLS %s client completes the handshake", (version) => {
    const result = handshake(fx, version as TlsVersion);
    expect({ protocol: result.protocol, accepted: result.accepted, output: result.accepted ? "" : result.output }).toEqual({
      protocol: `TLSv${version}`,
      accepted: true,
      output: "",
    });
  });

  test.each(refuses.map((v) => [v]))("a TLS %s client is refused by the broker", (version) => {
    const result = handshake(fx, version as TlsVersion);
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/alert protocol version|wrong version number|unsupported protocol|no protocols available/i);
  });
});
