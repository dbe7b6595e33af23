import { Construct } from "constructs";
import { IotCaCertificate } from "@cdktf/provider-aws/lib/iot-ca-certificate";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { ValidationError } from "../../errors";
import { jitpTemplateBody, JitpTemplateOptions } from "./jitp-template";
import { parsePublicCertificate } from "./pem";
import { serviceTrustPolicy } from "../security/service-trust-policy";
import { allowExampleCaVariable, EXAMPLE_CA_ERROR, isExampleCa } from "./example-ca";
import { REASON_RULE, reasonProblem } from "../../core/reason";

/** The AWS managed policy the JITP role must have, per the just-in-time provisioning page. */
export const JITP_MANAGED_POLICY = "AWSIoTThingsRegistration";

export interface CaRegistrationProps {
  readonly name: string;
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  readonly accountId: string;
  /** The environment's issuing CA certificate (public PEM only). */
  readonly caCertificatePem: string;
  /**
   * Proof of possession for DEFAULT mode: a certificate with CN = the account's registration code, signed by the CA.
   * @default undefined: SNI_ONLY mode, which requires `sniOnlyReason`
   */
  readonly verificationCertificatePem?: string;
  /**
   * Why SNI_ONLY mode is acceptable; used only without a verification certificate.
   * @default undefined (a verification certificate is then required)
   */
  readonly sniOnlyReason?: string;
  readonly template: JitpTemplateOptions;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * Registers the issuing CA with IoT Core for mutual TLS and just-in-time provisioning.
 *
 * Mode DEFAULT (the secure default) proves to AWS that we hold the CA key: a verification
 * certificate with CN = the account's registration code, signed by the CA. The CA key never
 * enters Terraform: `moat pki verification-cert` signs it offline and the stack reads only that
 * public PEM. SNI_ONLY needs no proof (the same CA may be registered in several accounts) and is
 * accepted only with a stated reason, e.g. a dev account synthesized without AWS access.
 */
export class CaRegistration extends Construct {
  public readonly caCertificateId: string;
  public readonly caCertificateArn: string;
  public readonly certificateMode: "DEFAULT" | "SNI_ONLY";
  public readonly provisioningRoleArn: string;

  constructor(scope: Construct, id: string, props: CaRegistrationProps) {
    super(scope, id);
    const ca = parsePublicCertificate(props.caCertificatePem, "the issuing CA certificate");
    if (!ca.ca)
      throw new ValidationError(
        `the issuing CA certificate (${ca.subject}) is not a CA certificate (basicConstraints CA:false); pass the issuing CA, not a device certificate`,
      );
    if (props.verificationCertificatePem !== undefined) {
      const verification = parsePublicCertificate(props.verificationCertificatePem, "the CA verification certificate");
      if (!verification.checkIssued(ca) || !verification.verify(ca.publicKey)) {
        throw new ValidationError(
          "the CA verification certificate is not signed by the issuing CA; regenerate it with moat pki verification-cert for this environment",
        );
      }
      this.certificateMode = "DEFAULT";
    } else if (props.sniOnlyReason !== undefined) {
      const problem = reasonProblem(props.sniOnlyReason);
      if (problem)
        throw new ValidationError(
          `no CA verification certificate, and sniOnlyReason ${problem}: why no proof of CA key possession is acceptable`,
        );
      this.certificateMode = "SNI_ONLY";
    } else {
      throw new ValidationError(
        `no CA verification certificate: pass verificationCertificatePem (get the code with \`aws iot get-registration-code\`, then \`moat pki verification-cert --env E --registration-code CODE\`), or register the CA in SNI_ONLY mode with sniOnlyReason (${REASON_RULE})`,
      );
    }

    const role = new IamRole(this, "provisioning-role", {
      namePrefix: `${props.name}-jitp-`,
      description: "Assumed by IoT Core to run the just-in-time provisioning template of the moat CA",
      assumeRolePolicy: serviceTrustPolicy("iot.amazonaws.com", props.accountId),
      tags: props.tags,
    });
    this.provisioningRoleArn = role.arn;
    // AWS's just-in-time provisioning page requires the AWSIoTThingsRegistration managed policy
    // and does not say which of its actions JITP calls; a missing one leaves certificates
    // PENDING_ACTIVATION with no error a user sees. So the managed policy, not a guess at its
    // subset (narrowing it is listed in docs/aws-iot.md as something to verify in an account).
    new IamRolePolicyAttachment(this, "provisioning-permissions", {
      role: role.name,
      policyArn: `arn:${props.partition}:iam::aws:policy/service-role/${JITP_MANAGED_POLICY}`,
    });

    // The committed example CA synthesizes (tests, a fresh clone) but must never reach AWS.
    const exampleGuard = isExampleCa(ca)
      ? { precondition: [{ condition: allowExampleCaVariable(this).booleanValue, errorMessage: EXAMPLE_CA_ERROR }] }
      : undefined;
    const registered = new IotCaCertificate(this, "ca", {
      lifecycle: exampleGuard,
      caCertificatePem: props.caCertificatePem,
      active: true,
      allowAutoRegistration: true,
      certificateMode: this.certificateMode,
      verificationCertificatePem: props.verificationCertificatePem,
      registrationConfig: { roleArn: this.provisioningRoleArn, templateBody: jitpTemplateBody(props.template) },
      tags: props.tags,
    });
    this.caCertificateId = registered.id;
    this.caCertificateArn = registered.arn;
  }
}
