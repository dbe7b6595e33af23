import { Construct } from "constructs";
import { IotCaCertificate } from "@cdktf/provider-aws/lib/iot-ca-certificate";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { ValidationError } from "../../errors";
import { jitpTemplateBody, JitpTemplateOptions } from "./jitp-template";
import { parsePublicCertificate } from "./pem";
import { serviceTrustPolicy } from "../security/service-trust-policy";

export interface CaRegistrationProps {
  readonly name: string;
  /** `arn:<partition>:iot:<region>:<account>`, account possibly a token. */
  readonly iotArnPrefix: string;
  readonly accountId: string;
  /** The environment's issuing CA certificate (public PEM only). */
  readonly caCertificatePem: string;
  /** Proof of possession for DEFAULT mode: a certificate with CN = the account's registration code, signed by the CA. */
  readonly verificationCertificatePem?: string;
  /** Why SNI_ONLY mode is acceptable; used only without a verification certificate. */
  readonly sniOnlyReason?: string;
  readonly template: JitpTemplateOptions;
  /** Thing groups the template may add things to. */
  readonly thingGroupNames: readonly string[];
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
    if (!ca.ca) throw new ValidationError(`the issuing CA certificate (${ca.subject}) is not a CA certificate (basicConstraints CA:false); pass the issuing CA, not a device certificate`);
    if (props.verificationCertificatePem !== undefined) {
      const verification = parsePublicCertificate(props.verificationCertificatePem, "the CA verification certificate");
      if (!verification.checkIssued(ca) || !verification.verify(ca.publicKey)) {
        throw new ValidationError("the CA verification certificate is not signed by the issuing CA; regenerate it with moat pki verification-cert for this environment");
      }
      this.certificateMode = "DEFAULT";
    } else if ((props.sniOnlyReason ?? "").trim().length >= 20) {
      this.certificateMode = "SNI_ONLY";
    } else {
      throw new ValidationError(
        "no CA verification certificate: pass verificationCertificatePem (get the code with `aws iot get-registration-code`, then `moat pki verification-cert --env E --registration-code CODE`), or register the CA in SNI_ONLY mode with sniOnlyReason (a sentence of at least 20 characters)",
      );
    }

    const role = new IamRole(this, "provisioning-role", {
      namePrefix: `${props.name}-jitp-`,
      description: "Assumed by IoT Core to run the just-in-time provisioning template of the moat CA",
      assumeRolePolicy: serviceTrustPolicy("iot.amazonaws.com", props.accountId),
      tags: props.tags,
    });
    this.provisioningRoleArn = role.arn;
    // What the template does, and nothing else: the AWS managed AWSIoTThingsRegistration policy
    // grants these and ~25 more actions on every resource. Things and certificates are named by
    // devices at first connect, so those two are scoped by type; groups and policy by name.
    new IamRolePolicy(this, "provisioning-permissions", {
      role: role.id,
      name: "jitp-template",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "CreateThingInClassGroup",
            Effect: "Allow",
            Action: ["iot:CreateThing", "iot:DescribeThing", "iot:AddThingToThingGroup", "iot:AttachThingPrincipal", "iot:ListThingGroupsForThing"],
            Resource: [`${props.iotArnPrefix}:thing/*`, ...props.thingGroupNames.map((g) => `${props.iotArnPrefix}:thinggroup/${g}`)],
          },
          {
            Sid: "ActivateCertificate",
            Effect: "Allow",
            Action: ["iot:DescribeCertificate", "iot:UpdateCertificate", "iot:RegisterThing"],
            Resource: `${props.iotArnPrefix}:cert/*`,
          },
          {
            Sid: "AttachConnectPolicy",
            Effect: "Allow",
            Action: ["iot:AttachPolicy", "iot:GetPolicy"],
            Resource: [`${props.iotArnPrefix}:policy/${props.template.connectPolicyName}`, `${props.iotArnPrefix}:cert/*`],
          },
        ],
      }),
    });

    const registered = new IotCaCertificate(this, "ca", {
      caCertificatePem: props.caCertificatePem,
      active: true,
      allowAutoRegistration: true,
      certificateMode: this.certificateMode,
      verificationCertificatePem: props.verificationCertificatePem,
      registrationConfig: { roleArn: role.arn, templateBody: jitpTemplateBody(props.template) },
      tags: props.tags,
    });
    this.caCertificateId = registered.id;
    this.caCertificateArn = registered.arn;
  }
}
