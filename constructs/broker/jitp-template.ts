/**
 * The just-in-time provisioning template registered with the CA. On a device's first connection
 * with a certificate from that CA, IoT Core runs it: create the thing named by the certificate's
 * CN, put it in its class's thing group (which carries the class's topic policies), attach the
 * Connect policy to the certificate and activate it. Any failure (unknown class group, bad CN)
 * leaves the certificate PENDING_ACTIVATION: the device is refused.
 */
export interface JitpTemplateOptions {
  /** Name of the Connect policy the template attaches to the certificate. */
  readonly connectPolicyName: string;
  /**
   * How the class is found. `{ fixed: group }`: every device goes to one group (a single-class
   * environment). `{ prefix }`: the group is `<prefix><OU>`, the certificate's OrganizationalUnit
   * naming the class, which the issuing CA must set itself (never copied from the CSR).
   */
  readonly thingGroup: { readonly fixed: string } | { readonly prefix: string };
}

const CN = "AWS::IoT::Certificate::CommonName";
const OU = "AWS::IoT::Certificate::OrganizationalUnit";
const CERT_ID = "AWS::IoT::Certificate::Id";

/**
 * What provisioning does when the thing already exists: a renewed certificate for a known thing
 * name. AWS documents no default, so it is set. The class comes from the newest certificate's OU,
 * which the issuing CA sets: REPLACE makes the thing's group exactly that class (MERGE would keep
 * an old class's rights, DO_NOTHING would ignore a class change, FAIL would leave the renewed
 * certificate PENDING_ACTIVATION). No override is set on the certificate: JITP registers it
 * before the template runs, so DO_NOTHING there would keep every device PENDING_ACTIVATION.
 */
export const THING_OVERRIDES = { ThingGroups: "REPLACE" } as const;

export function jitpTemplateBody(options: JitpTemplateOptions): string {
  const byOu = "prefix" in options.thingGroup;
  const group = "prefix" in options.thingGroup ? { "Fn::Join": ["", [options.thingGroup.prefix, { Ref: OU }]] } : options.thingGroup.fixed;
  const parameters: Record<string, { Type: "String" }> = { [CN]: { Type: "String" }, [CERT_ID]: { Type: "String" } };
  if (byOu) parameters[OU] = { Type: "String" };
  return JSON.stringify({
    Parameters: parameters,
    Resources: {
      thing: { Type: "AWS::IoT::Thing", Properties: { ThingName: { Ref: CN }, ThingGroups: [group] }, OverrideSettings: THING_OVERRIDES },
      certificate: { Type: "AWS::IoT::Certificate", Properties: { CertificateId: { Ref: CERT_ID }, Status: "ACTIVE" } },
      policy: { Type: "AWS::IoT::Policy", Properties: { PolicyName: options.connectPolicyName } },
    },
  });
}
