import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { labDeviceFiles, labPaths } from "../../lab";
import { pkiPaths } from "../../pki";
import { LabFixture, labPrerequisites, startLab } from "./lab-harness";

const lab = labPrerequisites();

type Version = "1.1" | "1.2" | "1.3";

/**
 * One real handshake with `openssl s_client` pinned to one TLS version, as the enrolled device.
 * SECLEVEL=0 keeps OpenSSL 3 from refusing TLS 1.1 itself: the refusal must come from the broker.
 */
function handshake(fx: LabFixture, version: Version): { protocol?: string; accepted: boolean; output: string } {
  const files = labDeviceFiles(fx.pkiDir, fx.config.name, "sensor-a");
  const flag = { "1.1": "-tls1_1", "1.2": "-tls1_2", "1.3": "-tls1_3" }[version];
  const cipher = version === "1.3" ? [] : ["-cipher", "DEFAULT@SECLEVEL=0"];
  const run = spawnSync(
    "openssl",
    [
      "s_client",
      "-connect",
      `127.0.0.1:${fx.port}`,
      "-CAfile",
      pkiPaths(fx.pkiDir, fx.config.name).chain,
      "-cert",
      files.cert,
      "-key",
      files.key,
      flag,
      ...cipher,
    ],
    { input: "", encoding: "utf8", timeout: 10_000 },
  );
  const output = run.stdout + run.stderr;
  // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" after a handshake; "New, (NONE), Cipher is (NONE)" after a refusal.
  const session = /^New, (\S+), Cipher is (\S+)$/m.exec(output);
  const accepted = run.status === 0 && session !== null && session[2] !== "(NONE)";
  return { protocol: session?.[1], accepted, output };
}

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
    const result = handshake(fx, version as Version);
    expect({ protocol: result.protocol, accepted: result.accepted, output: result.accepted ? "" : result.output }).toEqual({
      protocol: `TLSv${version}`,
      accepted: true,
      output: "",
    });
  });

  test.each(refuses.map((v) => [v]))("a TLS %s client is refused by the broker", (version) => {
    const result = handshake(fx, version as Version);
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/alert protocol version|wrong version number|unsupported protocol|no protocols available/i);
  });
});
