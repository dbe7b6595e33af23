import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { loadEnvironment, parseEnvironment } from "../../config";
import { IotEnvironmentStack } from "../../stacks/environment-stack";
import { readCaMaterial } from "../../stacks/ca-material";
import { cleanup, environmentsDir, moatPki, PASSPHRASE, scratch } from "../pki/pki-fixtures";
import { pemBlock } from "../support/pem-block";

// pki.publicDir: the CA's public certificates committed beside the environment file, so a
// clone or a CI runner synthesizes and deploys with no PKI store.
/** prod's root key stays in these throw-away test stores (pki init requires the choice for prod). */
const PROD_ROOT_KEY = ["--root-key-in-store", "throw-away test store, removed after the test"];

describe("the CA's published certificates (pki.publicDir, moat pki publish)", () => {
  let dir: string;
  let ctx: { pkiDir: string; environmentsDir: string };
  let published: string;
  beforeEach(() => {
    dir = scratch("moat-publish-");
    ctx = { pkiDir: join(dir, "store"), environmentsDir: environmentsDir(dir, { keyType: "p256" }) };
    published = join(ctx.environmentsDir, "prod-ca");
    process.env.MOAT_CA_PASSPHRASE = PASSPHRASE;
  });
  afterEach(() => {
    delete process.env.MOAT_CA_PASSPHRASE;
    cleanup(dir);
  });

  const prod = () => loadEnvironment("prod", { dir: ctx.environmentsDir });
  const storeFile = (file: string) => readFileSync(join(ctx.pkiDir, "prod", file), "utf8");

  // The prod CA publishedProdCa starts from is made once and copied into each test's store (the
  // store holds no absolute path); the other CAs the tests make stay new ones, distinct from it.
  let madeProdCa: string | undefined;
  afterAll(() => madeProdCa && cleanup(madeProdCa));

  async function publishedProdCa(): Promise<void> {
    if (!madeProdCa) {
      const made = scratch("moat-publish-ca-");
      expect((await moatPki(["init", "--env", "prod", ...PROD_ROOT_KEY], { ...ctx, pkiDir: made })).code).toBe(0);
      madeProdCa = made;
    }
    cpSync(madeProdCa, ctx.pkiDir, { recursive: true });
    expect((await moatPki(["verification-cert", "--env", "prod", "--registration-code", "0a1b2c3d"], ctx)).code).toBe(0);
    const result = await moatPki(["publish", "--env", "prod"], ctx);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("prod-ca/issuing.pem");
  }

  /** A second prod CA in a store of its own, with prod switched to SNI_ONLY (no verification certificate needed to publish); its store. */
  async function newSniOnlyProdCa(): Promise<string> {
    const store = join(dir, "sni-only");
    expect((await moatPki(["init", "--env", "prod", ...PROD_ROOT_KEY], { ...ctx, pkiDir: store })).code).toBe(0);
    const prodYaml = join(ctx.environmentsDir, "prod.yaml");
    writeFileSync(
      prodYaml,
      readFileSync(prodYaml, "utf8").replace(
        /^broker:\n/m,
        "broker:\n  certificateMode: SNI_ONLY\n  sniOnlyReason: The same CA is registered in the staging and production accounts.\n",
      ),
    );
    return store;
  }

  test("publish copies exactly the public certificates, and synth reads them with no store at all", async () => {
    await publishedProdCa();
    expect(readFileSync(join(published, "issuing.pem"), "utf8")).toBe(storeFile("ca/issuing.pem"));
    expect(readFileSync(join(published, "verification.pem"), "utf8")).toBe(storeFile("aws/verification.pem"));

    const noStore = join(dir, "no-store");
    const stack = new IotEnvironmentStack(Testing.app(), "iot-prod", { environment: prod(), pkiDir: noStore });
    const registered = Object.values(JSON.parse(Testing.synth(stack)).resource.aws_iot_ca_certificate) as Record<string, string>[];
    expect(registered).toHaveLength(1);
    expect(registered[0].ca_certificate_pem).toBe(storeFile("ca/issuing.pem"));
    expect(registered[0].verification_certificate_pem).toBe(storeFile("aws/verification.pem"));
  });

  test("keeps a published CA's committed verification certificate: a new one would replace the CA's registration", async () => {
    await publishedProdCa();
    const committed = readFileSync(join(published, "verification.pem"), "utf8");
    expect((await moatPki(["verification-cert", "--env", "prod", "--registration-code", "9f8e7d6c"], ctx)).code).toBe(0);
    expect(storeFile("aws/verification.pem")).not.toBe(committed);
    const again = await moatPki(["publish", "--env", "prod"], ctx);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /kept .*prod-ca\/verification\.pem: this CA is already published; a new verification certificate would make Terraform replace its IoT Core registration/,
    );
    expect(readFileSync(join(published, "verification.pem"), "utf8")).toBe(committed);

    // A new CA is a new registration: both files are replaced.
    const rotated = join(dir, "rotated");
    expect((await moatPki(["init", "--env", "prod", ...PROD_ROOT_KEY], { ...ctx, pkiDir: rotated })).code).toBe(0);
    expect(
      (await moatPki(["verification-cert", "--env", "prod", "--registration-code", "0a1b2c3d"], { ...ctx, pkiDir: rotated })).code,
    ).toBe(0);
    const rotation = await moatPki(["publish", "--env", "prod"], { ...ctx, pkiDir: rotated });
    expect(rotation.stdout).not.toContain("kept");
    expect(readFileSync(join(published, "issuing.pem"), "utf8")).toBe(readFileSync(join(rotated, "prod", "ca", "issuing.pem"), "utf8"));
    expect(readFileSync(join(published, "verification.pem"), "utf8")).toBe(
      readFileSync(join(rotated, "prod", "aws", "verification.pem"), "utf8"),
    );
  });

  test("repairs a publish that stopped between its two writes: a verification certificate of another CA is replaced, not kept", async () => {
    await publishedProdCa();
    const rotated = join(dir, "rotated");
    expect((await moatPki(["init", "--env", "prod", ...PROD_ROOT_KEY], { ...ctx, pkiDir: rotated })).code).toBe(0);
    expect(
      (await moatPki(["verification-cert", "--env", "prod", "--registration-code", "0a1b2c3d"], { ...ctx, pkiDir: rotated })).code,
    ).toBe(0);
    const rotatedFile = (file: string) => readFileSync(join(rotated, "prod", file), "utf8");
    // What an interrupted publish of the new CA could leave: its issuing certificate beside the old CA's verification certificate.
    writeFileSync(join(published, "issuing.pem"), rotatedFile("ca/issuing.pem"));
    const synthesize = () =>
      Testing.synth(new IotEnvironmentStack(Testing.app(), "iot-prod", { environment: prod(), pkiDir: join(dir, "no-store") }));
    expect(synthesize).toThrow(/the CA verification certificate is not signed by the issuing CA/);

    const repair = await moatPki(["publish", "--env", "prod"], { ...ctx, pkiDir: rotated });
    expect(repair).toMatchObject({ code: 0, stderr: "" });
    expect(repair.stdout).not.toContain("kept");
    expect(readFileSync(join(published, "verification.pem"), "utf8")).toBe(rotatedFile("aws/verification.pem"));
    expect(readCaMaterial(prod(), join(dir, "no-store")).verificationCertificatePem).toBe(rotatedFile("aws/verification.pem"));
    expect(synthesize).not.toThrow();
  });

  test("repairs committed files that are no longer certificates (a merge conflict): publish replaces them", async () => {
    await publishedProdCa();
    const conflicted = (file: string) => `<<<<<<< HEAD\n${readFileSync(file, "utf8")}=======\n${readFileSync(file, "utf8")}>>>>>>> other\n`;
    for (const name of ["issuing.pem", "verification.pem"]) writeFileSync(join(published, name), conflicted(join(published, name)));
    const repair = await moatPki(["publish", "--env", "prod"], ctx);
    expect(repair).toMatchObject({ code: 0, stderr: "" });
    expect(repair.stdout).not.toContain("kept");
    expect(readFileSync(join(published, "issuing.pem"), "utf8")).toBe(storeFile("ca/issuing.pem"));
    expect(readFileSync(join(published, "verification.pem"), "utf8")).toBe(storeFile("aws/verification.pem"));
  });

  test("publishing a new CA without a verification certificate removes the previous CA's", async () => {
    await publishedProdCa();
    const sniOnly = await newSniOnlyProdCa();
    const result = await moatPki(["publish", "--env", "prod"], { ...ctx, pkiDir: sniOnly });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/removed .*prod-ca\/verification\.pem: it was made for the previous CA; commit its removal/);
    expect(existsSync(join(published, "verification.pem"))).toBe(false);
    expect(readFileSync(join(published, "issuing.pem"), "utf8")).toBe(readFileSync(join(sniOnly, "prod", "ca", "issuing.pem"), "utf8"));
  });

  test("removes a committed verification certificate of another CA even when the issuing certificate is already the store's (SNI_ONLY)", async () => {
    await publishedProdCa();
    const sniOnly = await newSniOnlyProdCa();
    // The new CA's issuing certificate is committed already, beside the previous CA's verification certificate.
    writeFileSync(join(published, "issuing.pem"), readFileSync(join(sniOnly, "prod", "ca", "issuing.pem"), "utf8"));
    const result = await moatPki(["publish", "--env", "prod"], { ...ctx, pkiDir: sniOnly });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).not.toContain("kept");
    expect(existsSync(join(published, "verification.pem"))).toBe(false);
  });

  test("refuses a store whose CA is not the committed one: the broker would refuse its devices", async () => {
    await publishedProdCa();
    const otherStore = join(dir, "other");
    expect((await moatPki(["init", "--env", "prod", ...PROD_ROOT_KEY], { ...ctx, pkiDir: otherStore })).code).toBe(0);
    expect(() => readCaMaterial(prod(), otherStore)).toThrow(
      /prod\.yaml: the PKI store's issuing CA \(.*other\/prod\/ca\/issuing\.pem\) is not the CA committed in .*prod-ca\/issuing\.pem, .*run moat pki publish --env prod/,
    );
    // The store the certificates were published from agrees.
    expect(readCaMaterial(prod(), ctx.pkiDir).caCertificatePem).toBe(storeFile("ca/issuing.pem"));
  });

  test("names the command that fixes a missing published certificate", () => {
    expect(() => readCaMaterial(prod(), join(dir, "no-store"))).toThrow(
      /prod\.yaml: pki\.publicDir "prod-ca" has no .*prod-ca\/issuing\.pem; run moat pki publish --env prod/,
    );
  });

  test("needs the published verification certificate in certificate mode DEFAULT", async () => {
    expect((await moatPki(["init", "--env", "prod", ...PROD_ROOT_KEY], ctx)).code).toBe(0);
    mkdirSync(published);
    writeFileSync(join(published, "issuing.pem"), storeFile("ca/issuing.pem"));
    expect(() => readCaMaterial(prod(), ctx.pkiDir)).toThrow(
      /certificateMode DEFAULT needs the CA verification certificate at .*prod-ca\/verification\.pem; .*moat pki verification-cert --env prod .* and moat pki publish --env prod/,
    );
  });

  test("refuses a committed file that holds a private key, before anything is synthesized", () => {
    mkdirSync(published);
    writeFileSync(join(published, "issuing.pem"), pemBlock(["PRIVATE", "KEY"].join(" "), "MC4CAQAwBQYDK2VwBCIEIA=="));
    expect(() => readCaMaterial(prod(), join(dir, "no-store"))).toThrow(/prod-ca\/issuing\.pem contains a PRIVATE KEY block/);
  });

  test("publish refuses, writing nothing, when DEFAULT mode has no verification certificate yet", async () => {
    expect((await moatPki(["init", "--env", "prod", ...PROD_ROOT_KEY], ctx)).code).toBe(0);
    const result = await moatPki(["publish", "--env", "prod"], ctx);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /no verification certificate at .*prod\/aws\/verification\.pem; broker\.certificateMode DEFAULT needs one: .*moat pki verification-cert --env prod/,
    );
    expect(existsSync(published)).toBe(false);
  });

  test("publish refuses an environment without pki.publicDir", async () => {
    expect((await moatPki(["init", "--env", "lab", "--unencrypted-dev-key"], ctx)).code).toBe(0);
    const result = await moatPki(["publish", "--env", "lab"], ctx);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/lab\.yaml has no pki\.publicDir; add one \(such as publicDir: lab-ca\)/);
  });

  test("the test store the PR workflow uses holds no prod CA: a team's own committed prod CA is never held against the test CA", () => {
    const testStore = join(__dirname, "..", "fixtures", "pki");
    expect(existsSync(join(testStore, "dev", "ca", "issuing.pem"))).toBe(true);
    expect(existsSync(join(testStore, "prod"))).toBe(false);
    expect(readFileSync(join(__dirname, "..", "..", ".github", "workflows", "review.yml"), "utf8")).toContain(
      "MOAT_PKI_DIR: ${{ vars.MOAT_PKI_DIR || 'test/fixtures/pki' }}",
    );
  });

  test.each(["../ca", "/etc/moat", "a/../../ca", "./ca"])("pki.publicDir %s must stay below the environment file's directory", (value) => {
    const text = readFileSync(join(ctx.environmentsDir, "prod.yaml"), "utf8").replace("publicDir: prod-ca", `publicDir: "${value}"`);
    expect(text).toContain(value);
    expect(() => parseEnvironment(text, "environments/prod.yaml", "prod")).toThrow(
      /^environments\/prod\.yaml: pki\.publicDir ".*" is not a relative directory below the environment file's directory/,
    );
  });
});
