import { Construct } from "constructs";
import { IotDomainConfiguration } from "@cdktf/provider-aws/lib/iot-domain-configuration";

import { IotTlsPolicy } from "../../config/tls-policy";

export type { IotTlsPolicy };

/** A domain you own, served by IoT Core with your ACM certificate (and the chosen TLS policy). */
export interface IotCustomDomain {
  readonly domainName: string;
  /** ACM certificate for `domainName` (serverAuth, RSA 2048 or P-256). */
  readonly serverCertificateArn: string;
}

export interface BrokerDomainConfigurationProps {
  /** Prefix of the configuration name, e.g. `iot-prod` (names starting `iot:` are AWS's). */
  readonly name: string;
  readonly tlsPolicy: IotTlsPolicy;
  /**
   * Serve a domain you own with your certificate.
   * @default undefined: an AWS-managed domain (AWS names it and serves its ATS certificate)
   */
  readonly customDomain?: IotCustomDomain;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The fleet's own DATA endpoint: an IoT domain configuration that carries the environment's
 * TLS policy, so the plan (not a hand-run command) decides what TLS devices meet.
 *
 * Without a custom domain it is a configurable endpoint on an AWS-managed domain (AWS IoT
 * "Creating and configuring AWS managed domains": only a name, service type DATA and a TLS
 * config; no certificate). AWS assigns its name at apply time, which `domainName` carries.
 * IoT Core picks the configuration by the TLS server name (SNI), so devices must dial exactly
 * this name; the AWS-created `iot:Data-ATS` configuration stays reachable by its own name.
 */
export class BrokerDomainConfiguration extends Construct {
  /** The name devices dial and send as SNI (apply-time for an AWS-managed domain). */
  public readonly domainName: string;
  /** The configuration's name, as `aws iot describe-domain-configuration` takes it. */
  public readonly configurationName: string;

  constructor(scope: Construct, id: string, props: BrokerDomainConfigurationProps) {
    super(scope, id);
    const custom = props.customDomain;
    const domain = new IotDomainConfiguration(this, "domain", {
      name: `${props.name}-data`,
      domainName: custom?.domainName,
      serverCertificateArns: custom ? [custom.serverCertificateArn] : undefined,
      serviceType: "DATA",
      applicationProtocol: "SECURE_MQTT",
      authenticationType: "AWS_X509",
      status: "ENABLED",
      tlsConfig: { securityPolicy: props.tlsPolicy },
      tags: props.tags,
    });
    this.configurationName = domain.name;
    this.domainName = custom?.domainName ?? domain.domainName;
  }
}
