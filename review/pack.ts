import { RuleDefinition } from "./rule";
import { registeredCa } from "./rules/identity/registered-ca";
import { noPrivateKeys } from "./rules/identity/no-private-keys";
import { singleLoginPath } from "./rules/identity/single-login-path";
import { closedWorld } from "./rules/closed-world/understood-types-only";
import { noWildcardGrants } from "./rules/authorization/no-wildcard-grants";
import { thingScopedConnect } from "./rules/authorization/thing-scoped-connect";
import { endpointOnlyConnect } from "./rules/authorization/endpoint-only-connect";
import { modelledDeviceRights } from "./rules/authorization/modelled-device-rights";
import { mqttTlsOnly } from "./rules/firewall/mqtt-tls-only";
import { deviceSourcesOnly } from "./rules/firewall/device-sources-only";
import { deviceEgressToBrokerOnly } from "./rules/firewall/device-egress-to-broker-only";
import { describedGroups } from "./rules/firewall/described-groups";
import { vpcFlowLog } from "./rules/logging/vpc-flow-log";
import { encryptedRetainedLogGroup } from "./rules/logging/encrypted-retained-log-group";
import { hardenedLogBucket } from "./rules/logging/hardened-log-bucket";
import { iotLoggingEnabled } from "./rules/logging/iot-logging-enabled";
import { alarmsCanFire } from "./rules/logging/alarms-can-fire";
import { authFailureAlarms } from "./rules/logging/auth-failure-alarms";
import { hardenedMqBroker } from "./rules/amazon-mq/hardened-broker";
import { noInternetGateway } from "./rules/network/no-internet-gateway";
import { localRoutesOnly } from "./rules/network/local-routes-only";
import { noPublicIps } from "./rules/network/no-public-ips";
import { lockedDefaultGroup } from "./rules/network/locked-default-group";
import { subnetAclsScoped } from "./rules/network/subnet-acls-scoped";
import { officeDenied } from "./rules/network/office-denied";
import { accessScopes } from "./rules/network/access-scopes";
import { tls13DomainPolicy } from "./rules/tls/tls13-domain-policy";
import { privateMqBroker } from "./rules/amazon-mq/private-broker";
import { atsConfigurationAdvisory } from "./rules/tls/ats-configuration-advisory";

/**
 * moat's rule pack: each rule with what reports show about it. docs/rules.md is generated from
 * it (`npm run rules-doc`). Rule bodies hold none of this, so ids, wording and severities change here alone.
 */
export const MOAT_PACK: readonly RuleDefinition[] = [
  {
    id: "NET-1",
    severity: "error",
    title: "The IoT segment VPC has no internet, egress-only or NAT gateway",
    why: "A gateway gives devices and broker a path to and from the Internet, undoing the isolation the fleet relies on.",
    fix: "Remove the gateway; devices reach AWS IoT through the iot.data interface endpoint.",
    matches: [],
    check: noInternetGateway,
  },
  {
    id: "NET-2",
    severity: "error",
    title: "Segment route tables have local routes only",
    why: "A route to a gateway, NAT, peering, transit gateway or VPN lets traffic leave the segment.",
    fix: "Remove the route and any peering, transit or VPN attachment; keep only the VPC's local route.",
    matches: [],
    check: localRoutesOnly,
  },
  {
    id: "NET-3",
    severity: "error",
    title: "Subnets do not map public IPs on launch",
    why: "A public address makes an instance reachable from the Internet the moment a route appears.",
    fix: "Set map_public_ip_on_launch = false (and assign_ipv6_address_on_creation = false); remove Elastic IPs.",
    matches: ["CKV_AWS_130", "AWS-0164", "EC2.15"],
    check: noPublicIps,
  },
  {
    id: "NET-4",
    severity: "error",
    title: "The default security group is managed with no ingress and no egress rules",
    why: "Anything launched without a group lands in the default group; AWS's default rules let its members talk freely.",
    fix: "Add aws_default_security_group for each VPC with no ingress and no egress blocks, and attach no rules to it.",
    matches: ["CKV2_AWS_12", "AWS-0173", "EC2.2"],
    check: lockedDefaultGroup,
  },
  {
    id: "NET-5",
    // An error: the ACLs carry promises 1 and 2 of the brief (isolation, only 8883) when a security
    // group is wrong or bypassed; what this rule reports now is always a real widening (an allow
    // beyond what the subnet's role needs, a second ACL, AWS's allow-all default), never style.
    severity: "error",
    title: "Every subnet has exactly one network ACL of the stack, allowing only what its role needs",
    why: "ACLs are the stateless second layer behind security groups. A subnet has one ACL (the last association wins, entries are never merged); an allow beyond device-to-endpoint TCP 8883 and its replies (allow-all, the same split into 0.0.0.0/1 and 128.0.0.0/1, a lateral allow to the whole VPC, an Internet range) removes that layer.",
    fix: "Associate exactly one moat ACL with every subnet; in it allow only TCP 8883 from device to endpoint subnets and ephemeral-port replies back; keep the default ACL without allow entries.",
    matches: ["CKV2_AWS_1", "CKV_AWS_352"],
    check: subnetAclsScoped,
  },
  {
    id: "NET-6",
    severity: "error",
    title: "Office CIDRs from the environment are denied and not routed",
    why: "Devices are untrusted; the office network must not be reachable from the segment, nor reach into it.",
    fix: "Deny each office CIDR (all protocols, both ways) in every subnet's ACL before any allow, and remove routes and security group rules for it.",
    matches: [],
    assumes:
      "The office ranges are those of the environment (network.officeCidrs); the file does not name them. Reviewed without an environment, the rule reports unknown. An office reached through a range the environment does not list (a VPN's wider pool, say) is invisible to it.",
    check: officeDenied,
  },
  {
    id: "NET-7",
    severity: "error",
    title: "Access scopes hold on the segment's reachability graph: nothing outside reaches it, devices reach only the broker on TCP 8883",
    why: "Shape rules look for known bad spellings; a path can be opened in ways no shape names (0.0.0.0/1 with 128.0.0.0/1, a prefix list, a second ACL association, an allow numbered before its deny, a group put on something else). The graph computes which address spaces reach which, on which ports, through routes, the one ACL per subnet and the security groups, so any path that breaks the segment's promises is found whatever wrote it.",
    fix: "Remove the resources the finding names as the path (its 'through' list) so the edge disappears from `moat review --graph`; devices need only TCP 8883 to the broker endpoint.",
    matches: [],
    assumes:
      "Routes, ACLs and security groups are judged each on its own between the segment and outside (any one may be bypassed or changed outside the stack); inside the VPC an edge needs every layer. Devices carry the device security groups (every group not on the broker side and not attached by the stack). The Internet is every public range; other networks are those routes name; office ranges come from the environment. AWS's DNS resolver is not filtered by ACLs or groups and is not drawn. IPv6 peers count as the Internet (the segment is IPv4 only). A path whose resources NET-1..6 or FW-1..3 already name is reported there only.",
    check: accessScopes,
  },
  {
    id: "FW-1",
    severity: "error",
    title: "Broker-side ingress is TCP 8883 only",
    why: "MQTT on 1883 is cleartext: credentials and payloads travel unencrypted; any other open port widens the attack surface.",
    fix: "Allow only TCP 8883 (from_port = to_port = 8883) on the broker endpoint's security group.",
    matches: [],
    check: mqttTlsOnly,
  },
  {
    id: "FW-2",
    severity: "error",
    title: "8883 ingress comes only from the device subnets; no group takes ingress from 0.0.0.0/0 or ::/0",
    why: "A broker open to 0.0.0.0/0 or ::/0 can be reached and brute-forced from anywhere the network allows. The broker side is found by its attachments (security_group_ids, endpoint security group associations, ENI attachments); a group outside it may still be attached to something reachable, so Internet-wide ingress is an error on every group of the segment.",
    fix: "Allow 8883 from the device subnet CIDRs (subnets tagged moat:role=device) or the device security group only; remove 0.0.0.0/0 and ::/0 ingress from every group.",
    matches: ["EC2.18"],
    check: deviceSourcesOnly,
  },
  {
    id: "FW-3",
    // An error: a device group that accepts ingress or reaches anything but the broker breaks
    // promises 1 and 2 of the brief (issue 13).
    severity: "error",
    title: "Devices send only to the broker endpoint on 8883, and DNS inside the VPC; they take no ingress",
    why: "A compromised device with open egress can scan the segment or exfiltrate data. Devices need no ingress: they open every MQTT connection and security groups are stateful, so an ingress rule only lets a compromised neighbour reach them.",
    fix: "Limit the device security group's egress to TCP 8883 to the endpoint's group or subnets, and port 53 to the VPC CIDR; remove its ingress rules.",
    matches: ["CKV_AWS_382", "AWS-0104"],
    check: deviceEgressToBrokerOnly,
  },
  {
    id: "FW-4",
    severity: "warn",
    title: "Every security group and rule has a description",
    why: "A reviewer cannot tell an intended rule from a leftover without one.",
    fix: "Describe each group and rule (moat's Port/Peer value objects write descriptions for you).",
    matches: ["CKV_AWS_23", "AWS-0099", "AWS-0124"],
    check: describedGroups,
  },
  {
    id: "TLS-1",
    severity: "error",
    title: "Device traffic is served by an IoT domain configuration with a TLS 1.3 security policy",
    why: "Older IoT policies (IoTSecurityPolicy_TLS12_1_0_*) accept TLS 1.0 and 1.1 with weak ciphers. A stack without a DATA domain configuration of its own leaves the policy to the AWS-created iot:Data-ATS configuration, which Terraform cannot manage: the plan then enforces nothing.",
    fix: "Set tls_config.security_policy to an IoTSecurityPolicy_TLS13_* policy on every domain configuration, and serve devices from one: moat's broker creates a DATA domain configuration with broker.tlsPolicy (on an AWS-managed domain, or broker.customDomain) and its private zone answers that name (docs/tls.md).",
    matches: [],
    check: tls13DomainPolicy,
  },
  {
    id: "TLS-2",
    severity: "error",
    title: "No Amazon MQ broker is publicly accessible",
    why: "A public broker is reachable from the Internet, bypassing the segment.",
    fix: "Set publicly_accessible = false and place the broker in the segment's subnets.",
    matches: ["CKV_AWS_69", "AWS-0072"],
    check: privateMqBroker,
  },
  {
    id: "TLS-3",
    severity: "warn",
    title: "The AWS-created iot:Data-ATS domain configuration carries a TLS 1.3 policy (set once per account, outside the plan)",
    why: "IoT Core picks a domain configuration by the TLS server name (SNI). A client that reaches the iot.data endpoint and sends the account's ATS endpoint name meets iot:Data-ATS, whose policy no plan sets and which may still be a legacy IoTSecurityPolicy_TLS12_1_0_* (TLS 1.0 and 1.1).",
    fix: "Once per account and region, run the `aws iot update-domain-configuration --domain-configuration-name iot:Data-ATS --tls-config securityPolicy=...` command the finding names; then suppress the finding with that reason.",
    matches: [],
    check: atsConfigurationAdvisory,
  },
  {
    id: "AUTH-1",
    severity: "error",
    title: "A CA is registered for mutual TLS; no AWS-generated device keys",
    why: "Without a registered CA devices cannot prove identity; an aws_iot_certificate without csr or certificate_pem puts its private key in Terraform state.",
    fix: "Register the moat issuing CA (aws_iot_ca_certificate, active) and issue device certificates from CSRs with 'moat pki'.",
    matches: [],
    check: registeredCa,
  },
  {
    id: "AUTH-2",
    severity: "error",
    title: "No PEM private key anywhere in the configuration",
    why: "Terraform config and state are read by many people and systems; a key there is a key leaked.",
    fix: "Keep private keys out of Terraform: pass only public PEMs, issue from CSRs, drop tls_private_key.",
    matches: [],
    check: noPrivateKeys,
  },
  {
    id: "AUTH-3",
    severity: "error",
    title: "Devices log in only with a certificate of the one CA moat registers",
    why: "Every other door IoT Core offers (a custom authorizer, a domain configuration defaulting to one or to SigV4, a second CA, a certificate registered without moat's CA or issued by AWS's, a role alias, fleet provisioning) admits a client that moat's CA never vouched for and that its revocation list cannot stop.",
    fix: "Remove the authorizer, role alias, fleet provisioning template, extra CA or Terraform-registered certificate; devices get certificates from 'moat pki' and register through the CA's JITP template. A deliberate second CA (a rotation) needs a review suppression with its reason.",
    matches: [],
    check: singleLoginPath,
  },
  {
    id: "AUTHZ-1",
    severity: "error",
    title: "IoT policies grant no * or ? action or resource and no MQTT # or + topic",
    why: "A wildcard (IAM's * and ?, MQTT's # and +) lets one stolen device certificate read or write topics of other devices or the whole fleet.",
    fix: "Name actions and topics explicitly; scope topics with ${iot:Connection.Thing.ThingName} (the topic schema in the environment does this).",
    matches: ["IOT_POLICY_OVERLY_PERMISSIVE_CHECK"],
    check: noWildcardGrants,
  },
  {
    id: "AUTHZ-2",
    severity: "error",
    title: "iot:Connect is scoped to client/${iot:Connection.Thing.ThingName} with IsAttached true",
    why: "Otherwise a device can connect under another device's client id and take over its session.",
    fix: 'Allow iot:Connect only on client/${iot:Connection.Thing.ThingName} with "Bool": {"iot:Connection.Thing.IsAttached": "true"}.',
    matches: [],
    check: thingScopedConnect,
  },
  {
    id: "AUTHZ-3",
    severity: "error",
    title: "iot:Connect requires aws:SourceVpce = the segment's endpoint",
    why: "Without it a stolen certificate works from the Internet through the public IoT endpoint.",
    fix: 'Add "StringEquals": {"aws:SourceVpce": <iot.data endpoint id>} to the iot:Connect statement.',
    matches: [],
    check: endpointOnlyConnect,
  },
  {
    id: "AUTHZ-4",
    severity: "error",
    title: "Each device class holds exactly the rights the topic model grants it, from every source",
    why: "A right that comes from somewhere other than the compiled class policies (an attached external policy, a policy inside the JITP or provisioning template, a parent thing group, a topic rule that republishes or forwards) or that names another thing's topic, a shared topic in the wrong direction, a basic ingest topic or an action the model has no place for lets one stolen certificate read or write beyond its own device.",
    fix: "Grant topics only through the environment's topics: section (moat compiles one policy set per class and attaches it to the class's thing group); remove external policy attachments, inline template policies, topic rules and actions other than Publish, Subscribe and Receive.",
    matches: [],
    check: modelledDeviceRights,
  },
  {
    id: "LOG-1",
    severity: "error",
    title: "The segment VPC has a flow log of ALL traffic",
    why: "Without flow logs there is no record of who connected to the broker, or tried to.",
    fix: "Add aws_flow_log with vpc_id = the segment VPC and traffic_type = ALL.",
    matches: ["CKV2_AWS_11", "AWS-0178", "EC2.6"],
    check: vpcFlowLog,
  },
  {
    id: "LOG-2",
    severity: "error",
    title: "The flow-log group uses a KMS CMK and keeps logs 365 days or more",
    why: "Logs must outlive an incident's discovery and be readable only by those the key policy allows.",
    fix: "Set kms_key_id to an aws_kms_key and retention_in_days >= 365 on the log group.",
    matches: ["CKV_AWS_158", "CKV_AWS_338", "AWS-0017", "CloudWatch.16"],
    check: encryptedRetainedLogGroup,
  },
  {
    id: "LOG-3",
    severity: "error",
    title: "An S3 log store blocks public access, uses SSE-KMS, versioning, TLS-only policy and lifecycle",
    why: "A public, unencrypted or overwritable log bucket leaks or loses the evidence.",
    fix: "Add the public access block, SSE-KMS default encryption, versioning, a policy denying aws:SecureTransport=false and a lifecycle rule.",
    matches: [
      "CKV2_AWS_6",
      "CKV_AWS_145",
      "CKV_AWS_21",
      "CKV2_AWS_61",
      "AWS-0086",
      "AWS-0087",
      "AWS-0088",
      "AWS-0090",
      "AWS-0091",
      "AWS-0093",
      "AWS-0094",
    ],
    check: hardenedLogBucket,
  },
  {
    id: "LOG-4",
    severity: "error",
    title: "AWS IoT logging is enabled",
    why: "IoT logs are the only record of connects, auth failures and policy denials at the broker.",
    fix: "Add aws_iot_logging_options with default_log_level INFO or WARN (or ERROR), never DISABLED.",
    matches: ["LOGGING_DISABLED_CHECK"],
    check: iotLoggingEnabled,
  },
  {
    id: "LOG-5",
    severity: "error",
    title: "Every alarm can fire on a rising count and notifies someone",
    why: "An alarm that waits for the count of failures to fall, needs more datapoints than it evaluates, filters on a unit its metric never carries, is disabled or has no action still satisfies a check that an alarm exists, and stays silent through the attack it was written for.",
    fix: "Use GreaterThanThreshold (or GreaterThanOrEqualToThreshold) on the metric itself, datapoints_to_alarm <= evaluation_periods, no unit, actions_enabled true and alarm_actions naming the on-call SNS topic.",
    matches: [],
    check: alarmsCanFire,
  },
  {
    id: "MON-1",
    severity: "warn",
    title: "Alarms that notify someone on broker auth failures and on rejected 8883 flows",
    why: "Credential stuffing and scanning show up as auth errors and rejected flows long before a breach; an alarm with no action (or actions disabled) tells no one.",
    fix: "Alarm on the AWS/IoT metrics AWS documents (docs/aws-iot.md): Connection.AuthNError, Connect.AuthError, PublishIn.AuthError (or PublishRetained.AuthError), Subscribe.AuthError and PublishOut.AuthError (a metric-math alarm counts when its returned expression uses them), and on a flow-log metric filter for REJECT on 8883; give each alarm alarm_actions (an SNS topic) and leave actions_enabled true.",
    matches: [],
    check: authFailureAlarms,
  },
  {
    id: "MQ-1",
    severity: "error",
    title: "An Amazon MQ broker keeps audit and general logs, auto-upgrades and uses a CMK",
    why: "Without logs there is no trail; without upgrades known CVEs stay; without a CMK the data key is AWS's.",
    fix: "Enable logs.audit and logs.general, auto_minor_version_upgrade = true, and encryption_options with use_aws_owned_key = false and kms_key_id.",
    matches: ["CKV_AWS_48", "CKV_AWS_197", "CKV_AWS_207", "CKV_AWS_209", "MQ.2"],
    check: hardenedMqBroker,
  },
  {
    id: "CW-1",
    severity: "error",
    title: "Everything Terraform applies to the segment is something the review understands",
    why: "The review is a closed world: a resource type no rule knows (a client VPN, another provider's gateway, a CloudFormation stack), a block it does not evaluate (module, dynamic, import, provisioner, count known only at apply time) or another file of the stack directory can open a path or grant a permission that no rule sees. Unknown is never a pass.",
    fix: "Remove it, or, after a human review of what it does, suppress CW-1 for its Terraform address with the reason (docs/review-closed-world.md); a rule that learns the type removes the need.",
    matches: [],
    check: closedWorld,
  },
];
