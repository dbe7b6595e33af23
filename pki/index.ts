/**
 * moat's private CA: a plain library (no cdktf), used by `moat pki`, the lab broker and tests.
 * Every function is synchronous; every refusal is a MoatError with one line naming the input.
 */
export { pkiPaths, PkiPaths } from "./paths";
export { initCa, InitCaOptions, InitCaResult, loadIssuingCa, IssuingCa, rootKeyReasonFile } from "./ca";
export {
  issueFromCsr,
  IssueFromCsrOptions,
  IssuedCertificatePem,
  issueDeviceWithKey,
  IssueDeviceOptions,
  issueServerCert,
  IssueServerOptions,
  issueApplicationWithKey,
  IssueApplicationOptions,
  KeyAndCertificatePaths,
  StoreOptions,
} from "./issue";
export { revoke, RevokeOptions, RevokeResult, writeCrl, WriteCrlOptions } from "./revocation";
export { CrlResult } from "./crl-file";
export { listIssued, crlStatus, CrlStatus, ReadStoreOptions } from "./store-status";
export { verificationCert, VerificationCertOptions, CaRegistrationMaterial } from "./aws-registration";
export { bulkIssue, readCsrFile, BulkOptions, BulkSummary } from "./bulk";
export { checkCsr, CheckedCsr } from "./csr";
export { checkThingName, THING_NAME } from "./thing-name";
export { checkApplicationName, APPLICATION_NAME } from "./application-name";
export { checkDeviceClass, chooseDeviceClass, DeviceClassChoice, DEVICE_CLASS } from "./device-class";
export { deviceSubjectOf, DeviceSubject } from "./certificate";
export { writeFileAtomic } from "../core/atomic-file";
export {
  publishCa,
  PublishCaOptions,
  PublishCaResult,
  publishedCaDir,
  publishedCaPaths,
  PublishedCaPaths,
  readCertificateFile,
} from "./published";
export { KeyType, KEY_TYPES } from "./signer";
export { IssuedCertificate, CertificateProfile, RevocationReason, REVOCATION_REASONS } from "./index-journal";
export { ValidityOptions } from "./validity";
export { buildCsr, CsrRequest } from "./csr-builder";
