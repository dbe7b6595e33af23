/**
 * Classes 4 and 5 of issue 13: device rights from every source Terraform gives, and per-device
 * scoping for every action, each as an edit of a clean synthesized stack that AUTHZ-4 must block.
 */
import { describeVariants, findResource } from "./clean-stacks";
import { Json } from "./fixture-stack";

const THING = "$${iot:Connection.Thing.ThingName}";
const ARN = (s: Json) => {
  const [account] = findResource(s, "aws_iot_policy", (p) => p.name.endsWith("-connect"))[1].policy.match(
    /\$\{data\.aws_caller_identity\.[^}]+\}/,
  );
  return `arn:aws:iot:eu-west-1:${account}`;
};
const policyOf = (s: Json, suffix: string): [string, Json] => findResource(s, "aws_iot_policy", (p) => p.name.endsWith(suffix));
const groupOf = (s: Json, klass: string): string => findResource(s, "aws_iot_thing_group", (g) => g.name.endsWith(`-${klass}`))[0];
/** Adds one Allow statement to a class policy of the clean stack; returns its address. */
const grant = (s: Json, suffix: string, action: string, resource: string): string => {
  const [name, policy] = policyOf(s, suffix);
  const doc = JSON.parse(policy.policy);
  doc.Statement.push({ Effect: "Allow", Action: action, Resource: resource });
  policy.policy = JSON.stringify(doc);
  return `aws_iot_policy.${name}`;
};
const ca = (s: Json): [string, Json] => findResource(s, "aws_iot_ca_certificate");
/** Adds a resource to the JITP template of the stack's CA; returns the CA's address. */
const templateResource = (s: Json, id: string, body: Json): string => {
  const [name, cert] = ca(s);
  const template = JSON.parse(cert.registration_config.template_body);
  template.Resources[id] = body;
  cert.registration_config.template_body = JSON.stringify(template);
  return `aws_iot_ca_certificate.${name}`;
};
const add = (s: Json, type: string, name: string, body: Json): string => {
  s.resource[type] = { ...(s.resource[type] ?? {}), [name]: body };
  return `${type}.${name}`;
};

describeVariants("device permissions from every source (class 4, AUTHZ-4)", [
  {
    variant: "an external policy attached to a class group",
    env: "prod",
    rule: "AUTHZ-4",
    message: /attaches policy LegacyFleetPolicy, which is not an aws_iot_policy of this stack/,
    apply: (s) =>
      add(s, "aws_iot_policy_attachment", "legacy", {
        policy: "LegacyFleetPolicy",
        target: `\${aws_iot_thing_group.${groupOf(s, "sensor")}.arn}`,
      }),
  },
  {
    variant: "an inline policy in the JITP template granting another thing's topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /template policy extra: iot:Receive on topic\/devices\/device-7\/commands is granted to classes gateway, sensor/,
    apply: (s) =>
      templateResource(s, "extra", {
        Type: "AWS::IoT::Policy",
        Properties: {
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "iot:Receive", Resource: `${ARN(s)}:topic/devices/device-7/commands` }],
          }),
        },
      }),
  },
  {
    variant: "an external policy named in the JITP template",
    env: "dev",
    rule: "AUTHZ-4",
    message: /template policy legacy attaches policy LegacyWidePolicy/,
    apply: (s) => templateResource(s, "legacy", { Type: "AWS::IoT::Policy", Properties: { PolicyName: "LegacyWidePolicy" } }),
  },
  {
    variant: "the gateway policy also attached to the sensor group",
    env: "dev",
    rule: "AUTHZ-4",
    message: /iot:Subscribe on topicfilter\/fleet\/firmware is granted to class sensor,/,
    apply: (s) => {
      const [name] = policyOf(s, "-gateway-0");
      add(s, "aws_iot_policy_attachment", "gateway_to_sensor", {
        policy: `\${aws_iot_policy.${name}.name}`,
        target: `\${aws_iot_thing_group.${groupOf(s, "sensor")}.arn}`,
      });
      return `aws_iot_policy.${name}`;
    },
  },
  {
    variant: "a parent thing group whose policy every sensor inherits",
    env: "prod",
    rule: "AUTHZ-4",
    message: /iot:Publish on topic\/fleet\/firmware is granted to class sensor,/,
    apply: (s) => {
      add(s, "aws_iot_thing_group", "parent", { name: "fleet-root" });
      s.resource.aws_iot_thing_group[groupOf(s, "sensor")].parent_group_name = "${aws_iot_thing_group.parent.name}";
      add(s, "aws_iot_policy", "root", {
        name: "fleet-root",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "iot:Publish", Resource: `${ARN(s)}:topic/fleet/firmware` }],
        }),
      });
      add(s, "aws_iot_policy_attachment", "root", { policy: "${aws_iot_policy.root.name}", target: "${aws_iot_thing_group.parent.arn}" });
      return "aws_iot_policy.root";
    },
  },
  {
    variant: "a fleet provisioning template with an inline policy",
    env: "dev",
    rule: "AUTHZ-4",
    message: /template policy p: iot:Subscribe on topicfilter\/devices\/all/,
    apply: (s) =>
      add(s, "aws_iot_provisioning_template", "claim", {
        name: "claim",
        type: "JITP",
        provisioning_role_arn: "arn:aws:iam::123456789012:role/p",
        template_body: JSON.stringify({
          Resources: {
            p: {
              Type: "AWS::IoT::Policy",
              Properties: {
                PolicyDocument: {
                  Version: "2012-10-17",
                  Statement: [{ Effect: "Allow", Action: "iot:Subscribe", Resource: "arn:aws:iot:eu-west-1:1:topicfilter/devices/all" }],
                },
              },
            },
          },
        }),
      }),
  },
  {
    variant: "a topic rule republishing telemetry onto commands",
    env: "prod",
    rule: "AUTHZ-4",
    message: /republishes device messages to devices\//,
    apply: (s) =>
      add(s, "aws_iot_topic_rule", "bounce", {
        name: "bounce",
        enabled: true,
        sql: "SELECT * FROM 'devices/+/telemetry'",
        sql_version: "2016-03-23",
        republish: { role_arn: "arn:aws:iam::1:role/r", topic: "devices/${topic(2)}/commands" },
      }),
  },
  {
    variant: "a disabled topic rule sending messages to an HTTP endpoint on error",
    env: "dev",
    rule: "AUTHZ-4",
    message: /error_action sends device messages out of the broker \(http\)/,
    apply: (s) =>
      add(s, "aws_iot_topic_rule", "exfil", {
        name: "exfil",
        enabled: false,
        sql: "SELECT * FROM 'devices/+/status'",
        sql_version: "2016-03-23",
        lambda: { function_arn: "arn:aws:lambda:eu-west-1:1:function:f" },
        error_action: { http: { url: "https://collector.example.net/" } },
      }),
  },
]);

describeVariants("where devices land: the class they get (class 4, AUTHZ-4)", [
  {
    variant: "the JITP template puts every device into the gateway group",
    env: "dev",
    rule: "AUTHZ-4",
    message: /puts every device into iot-dev-gateway/,
    apply: (s) => {
      const [name, cert] = ca(s);
      const template = JSON.parse(cert.registration_config.template_body);
      template.Resources.thing.Properties.ThingGroups = ["iot-dev-gateway"];
      cert.registration_config.template_body = JSON.stringify(template);
      return `aws_iot_ca_certificate.${name}`;
    },
  },
  {
    variant: "the template places devices by a parameter the device controls",
    env: "prod",
    rule: "AUTHZ-4",
    status: "unknown",
    message: /cannot resolve to a class/,
    apply: (s) => {
      const [name, cert] = ca(s);
      const template = JSON.parse(cert.registration_config.template_body);
      template.Resources.thing.Properties.ThingGroups = [{ Ref: "AWS::IoT::Certificate::CommonName" }];
      cert.registration_config.template_body = JSON.stringify(template);
      return `aws_iot_ca_certificate.${name}`;
    },
  },
  {
    variant: "a thing moved into the gateway group by Terraform",
    env: "prod",
    rule: "AUTHZ-4",
    message: /puts thing sensor-17 into group/,
    apply: (s) =>
      add(s, "aws_iot_thing_group_membership", "promote", {
        thing_name: "sensor-17",
        thing_group_name: `\${aws_iot_thing_group.${groupOf(s, "gateway")}.name}`,
      }),
  },
]);

describeVariants("template policies under the document rules (AUTHZ-1, AUTHZ-2)", [
  {
    variant: "iot:* in an inline JITP policy",
    env: "dev",
    rule: "AUTHZ-1",
    message: /^template policy wide: allows action iot:\*/,
    apply: (s) =>
      templateResource(s, "wide", {
        Type: "AWS::IoT::Policy",
        Properties: {
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "iot:*", Resource: `${ARN(s)}:topic/devices/${THING}/status` }],
          }),
        },
      }),
  },
  {
    variant: "a Connect on any client id in an inline JITP policy",
    env: "prod",
    rule: "AUTHZ-2",
    message: /^template policy anyone: iot:Connect is allowed on .*client\/device-1/,
    apply: (s) =>
      templateResource(s, "anyone", {
        Type: "AWS::IoT::Policy",
        Properties: {
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: "iot:Connect",
                Resource: `${ARN(s)}:client/device-1`,
                Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } },
              },
            ],
          },
        },
      }),
  },
  {
    variant: "an inline JITP policy that is not JSON",
    env: "prod",
    rule: "AUTHZ-1",
    message: /^template policy broken: the policy is not valid JSON/,
    apply: (s) => templateResource(s, "broken", { Type: "AWS::IoT::Policy", Properties: { PolicyDocument: "{ not json" } }),
  },
]);

describeVariants("per-device scoping for every action (class 5, AUTHZ-4)", [
  {
    variant: "Publish on another thing's commands topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /iot:Publish on topic\/devices\/device-42\/commands is granted to class sensor, .*another thing/,
    apply: (s) => grant(s, "-sensor-0", "iot:Publish", `${ARN(s)}:topic/devices/device-42/commands`),
  },
  {
    variant: "Receive on another thing's commands",
    env: "dev",
    rule: "AUTHZ-4",
    message: /iot:Receive on topic\/devices\/device-42\/commands is granted to class gateway,/,
    apply: (s) => grant(s, "-gateway-0", "iot:Receive", `${ARN(s)}:topic/devices/device-42/commands`),
  },
  {
    variant: "Subscribe to another thing's shadow",
    env: "dev",
    rule: "AUTHZ-4",
    message: /topicfilter\/\$aws\/things\/device-42\/shadow/,
    apply: (s) => grant(s, "-sensor-0", "iot:Subscribe", `${ARN(s)}:topicfilter/$aws/things/device-42/shadow/update/accepted`),
  },
  {
    variant: "RetainPublish on the device's own topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /grants devices iot:RetainPublish/,
    apply: (s) => grant(s, "-sensor-0", "iot:RetainPublish", `${ARN(s)}:topic/devices/${THING}/status`),
  },
  {
    variant: "the HTTP shadow API on another thing",
    env: "prod",
    rule: "AUTHZ-4",
    message: /grants devices iot:UpdateThingShadow/,
    apply: (s) => grant(s, "-gateway-0", "iot:UpdateThingShadow", `${ARN(s)}:thing/device-42`),
  },
  {
    variant: "a gateway publishing to the shared topic it may only read",
    env: "dev",
    rule: "AUTHZ-4",
    message: /iot:Publish on topic\/fleet\/firmware is granted to class gateway,/,
    apply: (s) => grant(s, "-gateway-0", "iot:Publish", `${ARN(s)}:topic/fleet/firmware`),
  },
  {
    variant: "a sensor reading the gateways' shared topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /iot:Receive on topic\/fleet\/firmware is granted to class sensor,/,
    apply: (s) => grant(s, "-sensor-0", "iot:Receive", `${ARN(s)}:topic/fleet/firmware`),
  },
  {
    variant: "a basic ingest topic",
    env: "dev",
    rule: "AUTHZ-4",
    message: /basic ingest/,
    apply: (s) => grant(s, "-sensor-0", "iot:Publish", `${ARN(s)}:topic/$aws/rules/forward/${THING}`),
  },
  {
    variant: "a new unattached policy (attachable outside Terraform) on a shared topic",
    env: "prod",
    rule: "AUTHZ-4",
    message: /iot:Subscribe on topicfilter\/fleet\/firmware is granted to class sensor,/,
    apply: (s) =>
      add(s, "aws_iot_policy", "spare", {
        name: "spare",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["iot:Subscribe"], Resource: [`${ARN(s)}:topicfilter/fleet/firmware`] }],
        }),
      }),
  },
]);
