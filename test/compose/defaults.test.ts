import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import { parseEnvironment } from "../../config";
import { DEFAULT_IOT_TLS_POLICY } from "../../config/tls-policy";
import { brokerStack, resourcesOf, synthJson } from "../broker/broker-fixture";
import { ROOT } from "../support/run-moat";

/** environments/dev.yaml with some sections removed, so their defaults apply. */
function devWithout(...sections: string[]) {
  const doc = load(readFileSync(join(ROOT, "environments", "dev.yaml"), "utf8")) as Record<string, Record<string, unknown>>;
  for (const section of sections) {
    const [top, key] = section.split(".");
    if (key === undefined) delete doc[top];
    else delete doc[top][key];
  }
  delete doc.review;
  return parseEnvironment(dump(doc), "environments/dev.yaml", "dev");
}

describe("each default lives in one place", () => {
  test("with no broker.tlsPolicy in the environment file and none given to IotCoreBroker, both use the same TLS policy", () => {
    const fromYaml = devWithout("broker.tlsPolicy").broker.tlsPolicy;
    const { stack } = brokerStack({
      customDomain: { domainName: "mqtt.example.com", serverCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc" },
    });
    const [domain] = resourcesOf(synthJson(stack), "aws_iot_domain_configuration");
    expect(domain.tls_config).toEqual({ security_policy: fromYaml });
    expect(fromYaml).toBe(DEFAULT_IOT_TLS_POLICY);
  });

  test("a section left out gets exactly what its fields' defaults give an empty section", () => {
    const omitted = devWithout("broker", "logs", "pki");
    const doc = load(readFileSync(join(ROOT, "environments", "dev.yaml"), "utf8")) as Record<string, unknown>;
    delete doc.review;
    const empty = parseEnvironment(dump({ ...doc, broker: {}, logs: {}, pki: {} }), "environments/dev.yaml", "dev");
    expect(omitted.broker).toEqual(empty.broker);
    expect(omitted.logs).toEqual(empty.logs);
    expect(omitted.pki).toEqual(empty.pki);
    expect(omitted.broker.tlsPolicy).toBe(DEFAULT_IOT_TLS_POLICY);
  });
});
