// moat pki conveniences: revoke by device name, list filters and totals, a warning on a second
// valid certificate, grouped bulk refusals, and help generated per command.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { groupedRefusals } from "../../bin/pki";
import { cleanup, environmentsDir, moatPki, passphraseFile, scratch } from "./pki-fixtures";

describe("moat pki conveniences", () => {
  let dir: string;
  let ctx: { pkiDir: string; environmentsDir: string; passphraseFile: string };
  beforeAll(async () => {
    dir = scratch();
    ctx = { pkiDir: join(dir, "store"), environmentsDir: environmentsDir(dir), passphraseFile: passphraseFile(dir) };
    expect((await moatPki(["init", "--env", "lab"], ctx)).code).toBe(0);
    for (const [device, deviceClass] of [
      ["sensor-1", "sensor"],
      ["sensor-2", "sensor"],
      ["gw-1", "gateway"],
    ]) {
      const issued = await moatPki(
        ["issue", "--env", "lab", "--device", device, "--class", deviceClass, "--out-dir", join(dir, "out", device)],
        ctx,
      );
      expect(issued).toMatchObject({ code: 0, stderr: "" });
    }
  }, 60_000);
  afterAll(() => cleanup(dir));

  test("issuing a second certificate for a name warns, naming both serials", async () => {
    const again = await moatPki(
      ["issue", "--env", "lab", "--device", "sensor-1", "--class", "sensor", "--out-dir", join(dir, "out", "sensor-1-again")],
      ctx,
    );
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(
      /^moat pki: warning: 'sensor-1' now has 2 valid certificates \([0-9A-F]+, [0-9A-F]+\); once the device uses the newest, revoke the others with 'moat pki revoke --env lab --serial HEX'\n$/,
    );
  });

  test("list with filters shows only the matching certificates, with totals", async () => {
    const sensors = await moatPki(["list", "--env", "lab", "--class", "sensor"], ctx);
    expect(sensors.code).toBe(0);
    const rows = sensors.stdout.trim().split("\n");
    expect(rows.slice(1, -1).every((r) => / sensor /.test(r))).toBe(true);
    expect(rows[rows.length - 1]).toBe("3 certificates: 3 valid, 0 revoked, 0 expired");
    const named = JSON.parse((await moatPki(["list", "--env", "lab", "--name", "gw-1", "--json"], ctx)).stdout);
    expect(named.map((c: { subject: string }) => c.subject)).toEqual(["gw-1"]);
    expect(await moatPki(["list", "--env", "lab", "--status", "gone"], ctx)).toMatchObject({
      code: 2,
      stderr: "moat pki: list: --status gone is not one of valid, revoked, expired\n",
    });
  });

  test("revoke --device NAME revokes every valid certificate of that name, and no other", async () => {
    const revoked = await moatPki(["revoke", "--env", "lab", "--device", "sensor-1", "--reason", "keyCompromise"], ctx);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout.match(/^revoked /gm)).toHaveLength(2);
    const list = await moatPki(["list", "--env", "lab", "--status", "revoked", "--json"], ctx);
    expect(JSON.parse(list.stdout).map((c: { subject: string }) => c.subject)).toEqual(["sensor-1", "sensor-1"]);
    expect((await moatPki(["list", "--env", "lab"], ctx)).stdout).toContain("4 certificates: 2 valid, 2 revoked, 0 expired\n");

    expect(await moatPki(["revoke", "--env", "lab", "--device", "sensor-1"], ctx)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("revoke: no valid certificate of 'sensor-1'"),
    });
    expect(await moatPki(["revoke", "--env", "lab", "--device", "gw-1", "--serial", "01"], ctx)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("give --serial HEX or --device NAME (one of the two)"),
    });
  });

  test("bulk prints one grouped line for many CSRs refused for one reason, not one per CSR", async () => {
    const csrDir = join(dir, "bad-csrs");
    mkdirSync(csrDir);
    for (let i = 0; i < 7; i++) writeFileSync(join(csrDir, `d${i}.csr`), "not a CSR\n");
    const run = await moatPki(["bulk", "--env", "lab", "--class", "sensor", "--csr-dir", csrDir, "--out-dir", join(dir, "bulk-out")], ctx);
    expect(run.code).toBe(1);
    const refusals = run.stderr.split("\n").filter((l) => l.includes("refused"));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatch(/^moat pki bulk: refused 7 CSRs: .* \(.*d0\.csr, .*d1\.csr, .*d2\.csr and 4 more\)$/);
  });

  test("groups by reason with the file name taken out, and keeps a single refusal as it was", () => {
    expect(groupedRefusals([{ file: "a.csr", reason: "a.csr: bad signature" }])).toEqual(["refused a.csr: bad signature"]);
    expect(
      groupedRefusals([
        { file: "a.csr", reason: "a.csr: bad signature" },
        { file: "b.csr", reason: "b.csr: bad signature" },
        { file: "c.csr", reason: "c.csr: too big" },
      ]),
    ).toEqual(["refused 2 CSRs: <file>: bad signature (a.csr, b.csr)", "refused c.csr: too big"]);
  });

  test("pki issue --help prints that command's own options, generated from their definitions", async () => {
    const help = await moatPki(["issue", "--help"], ctx);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: moat pki issue --env E \[options\]\n/);
    expect(help.stdout).toMatch(/\n {2}--csr FILE +the device's CSR \(PEM\)\n/);
    expect(help.stdout).toMatch(/\n {2}--class C +device class/);
    expect(help.stdout).toMatch(/\n {2}--pki-dir DIR +PKI store \(default \$MOAT_PKI_DIR, else \.pki\)\n/);
    expect(help.stdout).not.toContain("--registration-code");
    expect(help.stdout).not.toContain("--csr-dir");
  });
});
