import { existsSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { EnvironmentConfig } from "../config";
import { refreshLabAcl, reloadLabBroker } from "../lab";
import { MoatError, UsageError } from "../errors";
import {
  bulkIssue,
  chooseDeviceClass,
  crlStatus,
  initCa,
  issueDeviceWithKey,
  issueFromCsr,
  KEY_TYPES,
  IssuedCertificate,
  listIssued,
  pkiPaths,
  publishCa,
  publishedCaDir,
  readCsrFile,
  REVOCATION_REASONS,
  rootKeyReasonFile,
  RevocationReason,
  revoke,
  verificationCert,
  writeCrl,
  writeFileAtomic,
} from "../pki";
import { choice, CliSpec, OptionTable, requireOption } from "./args";
import {
  environmentCommand,
  EnvironmentContext,
  EnvironmentGroup,
  environmentGroupSpec,
  runEnvironmentCommand,
} from "./environment-command";
import { CliIo } from "./moat";

/** What the helpers below use of a subcommand's context. */
type Context = Omit<EnvironmentContext<OptionTable>, "values">;

const REASONS = Object.keys(REVOCATION_REASONS).filter((r): r is RevocationReason => r in REVOCATION_REASONS);
const CERTIFICATE_STATUSES: readonly IssuedCertificate["status"][] = ["valid", "revoked", "expired"];

const COMMANDS = {
  init: environmentCommand({
    summary: "Creates the environment's root and issuing CA, and a first CRL.",
    options: {
      "key-type": choice(KEY_TYPES, { description: "CA key type", defaultNote: "the environment's pki.keyType", prefix: "init: " }),
      "unencrypted-dev-key": { type: "boolean", description: "lab/dev only (pki.allowLocalKeys): no passphrase on the CA keys" },
      "if-missing": { type: "boolean", description: "do nothing when the CA exists" },
      "root-key-out": {
        type: "string",
        value: "FILE",
        description: "write the root key to a new file outside the store (keep it offline)",
      },
      "root-key-in-store": { type: "string", value: "REASON", description: "keep the root key in the store and record why" },
    },
    run: (ctx) => {
      const v = ctx.values;
      const config = ctx.config();
      const existing = pkiPaths(ctx.pkiDir, ctx.env);
      // `npm start` creates the dev CA once; init itself never overwrites a CA.
      if (v["if-missing"] && existsSync(existing.issuingCert)) {
        ctx.io.stdout(`CA for '${ctx.env}' already exists in ${existing.envDir}; nothing to do\n`);
        return 0;
      }
      const keyType = v["key-type"] ?? config.pki.keyType;
      const unencrypted = v["unencrypted-dev-key"];
      if (unencrypted) requireLocalKeys(config, "--unencrypted-dev-key");
      const rootKeyOut = v["root-key-out"];
      const rootKeyInStoreReason = v["root-key-in-store"];
      // Secure by default: a production CA's root key goes offline unless someone says why not.
      if (!config.pki.allowLocalKeys && rootKeyOut === undefined && rootKeyInStoreReason === undefined) {
        throw new MoatError(
          `${config.file} has pki.allowLocalKeys false (production devices), so the root CA key does not go into the online store by default: give --root-key-out FILE (a new file outside the store, kept offline), or --root-key-in-store "REASON" to keep it in the store and record why`,
        );
      }
      const result = initCa({
        pkiDir: ctx.pkiDir,
        env: ctx.env,
        keyType,
        passphrase: unencrypted ? undefined : ctx.passphrase(),
        unencryptedDevKey: unencrypted,
        crlValidityDays: config.pki.crlValidityDays,
        rootKeyOut,
        rootKeyInStoreReason,
      });
      for (const warning of result.warnings) ctx.io.stderr(`moat pki: ${warning}\n`);
      const rootKey =
        rootKeyOut !== undefined
          ? `  root key ${result.rootKeyFile} (not in the store: keep it offline; only a new issuing CA needs it)\n`
          : rootKeyInStoreReason !== undefined
            ? `  root key ${result.rootKeyFile} (in the store; reason recorded in ${rootKeyReasonFile(result.paths)})\n`
            : "";
      ctx.io.stdout(
        `created ${keyType} CA for '${ctx.env}' in ${result.paths.envDir}\n  root     ${result.paths.rootCert}\n${rootKey}  issuing  ${result.paths.issuingCert}\n  chain    ${result.paths.chain}\n  crl      ${result.paths.crl} (nextUpdate ${result.crlNextUpdate.toISOString()})\n`,
      );
      return 0;
    },
  }),
  issue: environmentCommand({
    summary:
      "Issues a device certificate from the device's CSR (--csr, --out), or, lab/dev only, with a key made here (--device, --out-dir).",
    options: {
      csr: { type: "string", value: "FILE", description: "the device's CSR (PEM)" },
      out: { type: "string", value: "FILE", description: "where the certificate goes" },
      device: {
        type: "string",
        value: "ID",
        description: "lab/dev only (pki.allowLocalKeys): the device to make a key and certificate for",
      },
      "out-dir": { type: "string", value: "DIR", description: "with --device: where key, certificate and chain go" },
      class: { type: "string", value: "C", description: "device class, written as the certificate's OU (required with several classes)" },
    },
    run: async (ctx) => {
      const v = ctx.values;
      const config = ctx.config();
      const validityDays = config.pki.deviceValidityDays;
      if (v.device !== undefined) {
        if (v.csr !== undefined || v.out !== undefined)
          throw new UsageError("issue: give --device with --out-dir, or --csr with --out, not both");
        requireLocalKeys(config, "--device");
        const outDir = requireOption("moat pki issue", "out-dir", v["out-dir"]);
        const deviceClass = classOption(v.class, config);
        const paths = issueDeviceWithKey({
          pkiDir: ctx.pkiDir,
          env: ctx.env,
          deviceId: v.device,
          deviceClass,
          outDir,
          passphrase: ctx.passphrase(),
          validityDays,
          keyType: config.pki.keyType,
        });
        ctx.io.stdout(
          `issued ${paths.serial} for ${v.device} (class ${deviceClass})\n  key    ${paths.key}\n  cert   ${paths.cert}\n  chain  ${paths.chain}\n`,
        );
        warnSecondCertificates(ctx, v.device);
        return refreshLab(ctx, config);
      }
      const csrFile = requireOption("moat pki issue", "csr", v.csr);
      const outOption = requireOption("moat pki issue", "out", v.out);
      const deviceClass = classOption(v.class, config);
      const out = outputFile(outOption, "--out");
      const issued = issueFromCsr({
        pkiDir: ctx.pkiDir,
        env: ctx.env,
        csrPem: readCsrFile(csrFile, "give --csr the path of a PEM CSR file"),
        csrName: csrFile,
        deviceClass,
        passphrase: ctx.passphrase(),
        validityDays,
      });
      writeFileAtomic(out, issued.certPem);
      ctx.io.stdout(`issued ${issued.serial} (class ${deviceClass}) -> ${out} (chain: ${pkiPaths(ctx.pkiDir, ctx.env).chain})\n`);
      warnSecondCertificates(ctx);
      return refreshLab(ctx, config);
    },
  }),
  bulk: environmentCommand({
    summary: "Issues a certificate per *.csr/*.pem in a directory; resumable, refusals grouped by reason.",
    options: {
      "csr-dir": { type: "string", value: "DIR", required: true, description: "the CSRs" },
      "out-dir": { type: "string", value: "DIR", required: true, description: "where the certificates go (<name>.pem)" },
      class: { type: "string", value: "C", description: "device class of every certificate (required with several classes)" },
    },
    run: async (ctx) => {
      const v = ctx.values;
      const config = ctx.config();
      const csrDir = v["csr-dir"];
      const outDir = v["out-dir"];
      const deviceClass = classOption(v.class, config);
      const started = Date.now();
      const summary = bulkIssue({
        pkiDir: ctx.pkiDir,
        env: ctx.env,
        deviceClass,
        csrDir,
        outDir,
        passphrase: ctx.passphrase(),
        validityDays: config.pki.deviceValidityDays,
        onProgress: (done, total) => ctx.io.stderr(`moat pki bulk: [${progressBar(done / total)}] ${done}/${total}\n`),
      });
      for (const line of groupedRefusals(summary.refused)) ctx.io.stderr(`moat pki bulk: ${line}\n`);
      const seconds = (Date.now() - started) / 1000;
      ctx.io.stdout(
        `bulk: ${summary.total} CSRs of class ${deviceClass}: ${summary.issued} issued, ${summary.skipped} already issued (skipped), ${summary.refused.length} refused in ${seconds.toFixed(1)} s\n`,
      );
      if (summary.issued > 0) warnSecondCertificates(ctx);
      const labCode = summary.issued > 0 ? await refreshLab(ctx, config) : 0;
      return summary.refused.length > 0 ? 1 : labCode;
    },
  }),
  revoke: environmentCommand({
    summary: "Revokes a certificate, signs a new CRL and prints the IoT Core revocation step.",
    options: {
      serial: { type: "string", value: "HEX", description: "the certificate's serial (moat pki list)" },
      device: { type: "string", value: "NAME", description: "or the device: revokes every valid certificate issued for NAME" },
      reason: choice(REASONS, { description: "why (CRL reason code)", default: "unspecified", prefix: "revoke: " }),
    },
    run: async (ctx) => {
      const v = ctx.values;
      const reason = v.reason;
      if ((v.serial === undefined) === (v.device === undefined))
        throw new UsageError("revoke: give --serial HEX or --device NAME (one of the two); run 'moat pki revoke --help'");
      const serials = v.device !== undefined ? validSerialsOf(ctx, v.device) : [requireOption("moat pki revoke", "serial", v.serial)];
      for (const serial of serials) {
        const result = revoke({
          pkiDir: ctx.pkiDir,
          env: ctx.env,
          serial,
          reason,
          passphrase: ctx.passphrase(),
          crlValidityDays: ctx.config().pki.crlValidityDays,
        });
        ctx.io.stdout(
          `revoked ${result.serial}; CRL #${result.crl.crlNumber} nextUpdate ${result.crl.nextUpdate.toISOString()}: deploy ${pkiPaths(ctx.pkiDir, ctx.env).crl} to the brokers\n` +
            `AWS IoT Core does not read CRLs: where the device has connected (just-in-time provisioning registered its certificate), revoke it there too:\n` +
            `  aws iot update-certificate --certificate-id ${result.iotCertificateId} --new-status REVOKED\n`,
        );
      }
      return reloadLab(ctx);
    },
  }),
  crl: environmentCommand({
    summary: "Signs a fresh CRL and prints its nextUpdate.",
    options: { out: { type: "string", value: "FILE", description: "also write the CRL here" } },
    run: async (ctx) => {
      const v = ctx.values;
      if (v.out !== undefined) outputFile(v.out, "--out");
      const crl = writeCrl({
        pkiDir: ctx.pkiDir,
        env: ctx.env,
        passphrase: ctx.passphrase(),
        crlValidityDays: ctx.config().pki.crlValidityDays,
      });
      if (v.out !== undefined) writeFileAtomic(v.out, crl.crlPem);
      const where = v.out ?? pkiPaths(ctx.pkiDir, ctx.env).crl;
      ctx.io.stdout(
        `CRL #${crl.crlNumber} -> ${where}\nnextUpdate ${crl.nextUpdate.toISOString()}: publish a new CRL before then; an expired CRL makes Mosquitto refuse every client\n`,
      );
      return reloadLab(ctx);
    },
  }),
  list: environmentCommand({
    summary: "Lists issued certificates with status and class, and totals; warns when the CRL is near expiry.",
    options: {
      class: { type: "string", value: "C", description: "only certificates of device class C" },
      status: choice(CERTIFICATE_STATUSES, { description: "only certificates of this status", prefix: "list: " }),
      name: { type: "string", value: "NAME", description: "only certificates whose subject CN is NAME" },
      json: { type: "boolean", description: "JSON instead of a table" },
    },
    run: (ctx) => {
      const v = ctx.values;
      const status = v.status;
      const certificates = listIssued({ pkiDir: ctx.pkiDir, env: ctx.env })
        .filter(
          (c) =>
            (v.class === undefined || c.deviceClass === v.class) &&
            (status === undefined || c.status === status) &&
            (v.name === undefined || c.subject === v.name),
        )
        .map(({ certificate: _c, ...rest }) => rest);
      if (v.json) ctx.io.stdout(JSON.stringify(certificates, null, 2) + "\n");
      else {
        ctx.io.stdout(
          `${"serial".padEnd(32)}  ${"status".padEnd(7)}  ${"profile".padEnd(12)}  ${"class".padEnd(16)}  ${"notAfter".padEnd(24)}  subject\n`,
        );
        for (const c of certificates) {
          ctx.io.stdout(
            `${c.serial.padEnd(32)}  ${c.status.padEnd(7)}  ${c.profile.padEnd(12)}  ${(c.deviceClass ?? "-").padEnd(16)}  ${c.notAfter.padEnd(24)}  ${c.subject}\n`,
          );
        }
        const count = (s: string) => certificates.filter((c) => c.status === s).length;
        ctx.io.stdout(
          `${certificates.length} certificate${certificates.length === 1 ? "" : "s"}: ${CERTIFICATE_STATUSES.map((s) => `${count(s)} ${s}`).join(", ")}\n`,
        );
      }
      // A production store made before init asked where the root key goes: say so once per listing.
      const paths = pkiPaths(ctx.pkiDir, ctx.env);
      if (!ctx.config().pki.allowLocalKeys && existsSync(paths.rootKey) && !existsSync(rootKeyReasonFile(paths))) {
        ctx.io.stderr(
          `moat pki: WARNING: the root CA key of '${ctx.env}' is in the store (${paths.rootKey}) and no reason is recorded: move the file to offline media (only a new issuing CA needs it), or write why it stays into ${rootKeyReasonFile(paths)}\n`,
        );
      }
      const crl = crlStatus({ pkiDir: ctx.pkiDir, env: ctx.env });
      if (crl.expired)
        ctx.io.stderr(
          `moat pki: WARNING: CRL #${crl.crlNumber} expired at ${crl.nextUpdate.toISOString()}: brokers refuse every client; run 'moat pki crl --env ${ctx.env}' and deploy it now\n`,
        );
      else if (crl.expiresSoon)
        ctx.io.stderr(
          `moat pki: WARNING: CRL #${crl.crlNumber} expires at ${crl.nextUpdate.toISOString()}; run 'moat pki crl --env ${ctx.env}' and deploy it before then\n`,
        );
      return 0;
    },
  }),
  "verification-cert": environmentCommand({
    summary: "Signs the AWS IoT CA verification certificate (CN = the account's registration code).",
    options: {
      "registration-code": { type: "string", value: "CODE", required: true, description: "from 'aws iot get-registration-code'" },
    },
    run: (ctx) => {
      const v = ctx.values;
      const result = verificationCert({
        pkiDir: ctx.pkiDir,
        env: ctx.env,
        registrationCode: v["registration-code"],
        passphrase: ctx.passphrase(),
      });
      ctx.io.stdout(
        `verification certificate -> ${result.path}\nCA certificate          -> ${pkiPaths(ctx.pkiDir, ctx.env).issuingCert}\n`,
      );
      return 0;
    },
  }),
  publish: environmentCommand({
    summary: "Copies the CA's public certificates to pki.publicDir, to commit: synth and deploy then need no store.",
    options: {},
    run: (ctx) => {
      const config = ctx.config();
      if (config.pki.publicDir === undefined) {
        throw new MoatError(
          `${config.file} has no pki.publicDir; add one (such as publicDir: ${ctx.env}-ca) to say where the CA's public certificates are committed`,
        );
      }
      const dir = publishedCaDir(config.file, config.pki.publicDir);
      const result = publishCa({ pkiDir: ctx.pkiDir, env: ctx.env, dir, requireVerification: config.broker.certificateMode === "DEFAULT" });
      const shown = (file: string) => relative(process.cwd(), file) || file;
      ctx.io.stdout(
        `published the '${ctx.env}' CA's public certificates; commit them:\n${result.written.map((file) => `  ${shown(file)}\n`).join("")}`,
      );
      for (const k of result.kept) ctx.io.stdout(`kept ${shown(k.file)}: ${k.reason}\n`);
      for (const file of result.removed) ctx.io.stdout(`removed ${shown(file)}: it was made for the previous CA; commit its removal\n`);
      return 0;
    },
  }),
};

const GROUP: EnvironmentGroup = {
  summary: "The environment's private CA: root and issuing CA, device certificates, revocation and CRLs.",
  notes:
    "--class C is the device class (a topics.classes key). The CA writes it as the certificate's OU, and AWS IoT provisioning puts the device in that class's thing group. Required when the environment has more than one class. A running lab broker of the environment follows: issue and bulk reload its ACL, revoke and crl restart it on the new CRL.",
  commands: COMMANDS,
};

/** The table of `moat pki` and its subcommands: their help and `moat --help` are made from it. */
export const spec: CliSpec = environmentGroupSpec(GROUP);

/** `moat pki <command> ...` */
export async function run(argv: string[], io: CliIo): Promise<number> {
  return runEnvironmentCommand("pki", argv, io, GROUP);
}

/** The serials of a device's valid certificates: what `revoke --device` revokes. */
function validSerialsOf(ctx: Context, name: string): string[] {
  const serials = listIssued({ pkiDir: ctx.pkiDir, env: ctx.env })
    .filter((c) => c.subject === name && c.status === "valid")
    .map((c) => c.serial);
  if (serials.length === 0)
    throw new MoatError(
      `revoke: no valid certificate of '${name}' in ${pkiPaths(ctx.pkiDir, ctx.env).envDir}; check the name with 'moat pki list --env ${ctx.env} --name ${name}'`,
    );
  return serials;
}

/**
 * After issuing: a name with more than one valid certificate (a re-issue, or two devices that
 * claim one name) is worth a look; the old one stays valid until revoked.
 */
function warnSecondCertificates(ctx: Context, only?: string): void {
  const byName = new Map<string, string[]>();
  for (const c of listIssued({ pkiDir: ctx.pkiDir, env: ctx.env })) {
    if (c.status !== "valid" || c.profile !== "device" || (only !== undefined && c.subject !== only)) continue;
    byName.set(c.subject, [...(byName.get(c.subject) ?? []), c.serial]);
  }
  const repeated = [...byName].filter(([, serials]) => serials.length > 1);
  for (const [name, serials] of repeated.slice(0, 10)) {
    ctx.io.stderr(
      `moat pki: warning: '${name}' now has ${serials.length} valid certificates (${serials.join(", ")}); once the device uses the newest, revoke the others with 'moat pki revoke --env ${ctx.env} --serial HEX'\n`,
    );
  }
  if (repeated.length > 10)
    ctx.io.stderr(
      `moat pki: warning: and ${repeated.length - 10} more names with several valid certificates; see 'moat pki list --env ${ctx.env} --status valid'\n`,
    );
}

/** Refusals with the same reason as one line each: 500 identical refusals are one problem. */
export function groupedRefusals(refused: readonly { readonly file: string; readonly reason: string }[]): string[] {
  const groups = new Map<string, string[]>();
  for (const r of refused) {
    const key = r.reason.split(r.file).join("<file>");
    groups.set(key, [...(groups.get(key) ?? []), r.file]);
  }
  return [...groups].map(([reason, files]) => {
    if (files.length === 1) return `refused ${reason.split("<file>").join(files[0])}`;
    const shown = files.slice(0, 3).join(", ");
    return `refused ${files.length} CSRs: ${reason} (${shown}${files.length > 3 ? ` and ${files.length - 3} more` : ""})`;
  });
}

function requireLocalKeys(config: EnvironmentConfig, flag: string): void {
  if (!config.pki.allowLocalKeys) {
    throw new MoatError(
      `${flag} is lab/dev only and ${config.file} has pki.allowLocalKeys false; devices must send a CSR (moat pki issue --csr), or set allowLocalKeys: true in a lab environment`,
    );
  }
}

/** `--class`, or the environment's only class; refused (exit 1) before anything is issued. */
function classOption(requested: string | undefined, config: EnvironmentConfig): string {
  return chooseDeviceClass({
    classes: Object.keys(config.topics.classes),
    requested,
    source: config.file,
    purpose: "a device certificate",
  });
}

/**
 * A lab broker of the environment grants the new certificates their class's topics: the lab
 * ACL is compiled from the certificates' OUs. Nothing happens where no lab broker was set up.
 */
async function refreshLab(ctx: Context, config: EnvironmentConfig): Promise<number> {
  return labFollowUp(ctx, "ACL", async () => {
    if (await refreshLabAcl(ctx.pkiDir, config)) ctx.io.stdout(`the running '${ctx.env}' lab broker reloaded its ACL\n`);
  });
}

/**
 * A running lab broker of the environment loads the new CRL (Mosquitto checks it only in the
 * handshake, so the lab restarts it). With no lab broker there is nothing to say.
 */
async function reloadLab(ctx: Context): Promise<number> {
  return labFollowUp(ctx, "CRL", async () => {
    const result = await reloadLabBroker(ctx.pkiDir, ctx.env);
    if (result.action !== "none") ctx.io.stdout(result.message + "\n");
  });
}

/** The store is already updated when the lab fails to follow, so that is a warning (exit 1) naming the command that finishes it. */
async function labFollowUp(ctx: Context, what: "ACL" | "CRL", work: () => Promise<void>): Promise<number> {
  try {
    await work();
    return 0;
  } catch (err) {
    if (!(err instanceof MoatError)) throw err;
    const fix = what === "CRL" ? `moat lab reload --env ${ctx.env}` : `moat lab down --env ${ctx.env}' and 'moat lab up --env ${ctx.env}`;
    ctx.io.stderr(
      `moat pki: WARNING: the store is updated but the '${ctx.env}' lab broker did not load the new ${what}: ${err.message}; then run '${fix}'\n`,
    );
    return 1;
  }
}

/** Checks an output file can be written before anything is issued, so a typo never strands a certificate. */
function outputFile(path: string, option: string): string {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new MoatError(`${option} ${path}: directory ${dir} does not exist; create it first`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new MoatError(`${option} ${path} is a directory; give a file name`);
  return path;
}

function progressBar(fraction: number): string {
  const width = 30;
  const filled = Math.round(fraction * width);
  return "#".repeat(filled) + ".".repeat(width - filled);
}
