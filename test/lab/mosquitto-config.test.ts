import { checkLabPort, renderMosquittoConfig } from "../../lab";

const directives = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => l.trim());

describe("renderMosquittoConfig", () => {
  const text = renderMosquittoConfig({ env: "dev", source: "environments/dev.yaml", port: 18883 });
  const lines = directives(text);

  test("has exactly one listener, TLS on loopback at the chosen port, and no plaintext one", () => {
    expect(lines.filter((l) => l.startsWith("listener "))).toEqual(["listener 18883 127.0.0.1"]);
    expect(lines.filter((l) => /^port\s/.test(l) || l.startsWith("bind_address"))).toEqual([]);
    expect(text).not.toMatch(/1883\b(?!3)/);
  });

  test.each([
    "per_listener_settings true",
    "allow_anonymous false",
    "require_certificate true",
    "use_identity_as_username true",
    "use_username_as_clientid true",
    "tls_version tlsv1.2",
    "cafile chain.pem",
    "certfile server.pem",
    "keyfile server.key",
    "crlfile crl.pem",
    "acl_file acl",
    "pid_file mosquitto.pid",
    "log_dest file mosquitto.log",
    "user mosquitto",
  ])("sets %s", (line) => {
    expect(lines).toContain(line);
  });

  test("names every file relative to the broker directory (the broker cannot traverse the CA store above it)", () => {
    const fileDirectives = lines.filter((l) => /^(cafile|certfile|keyfile|crlfile|acl_file|pid_file|log_dest file) /.test(l));
    expect(fileDirectives).toHaveLength(7);
    for (const l of fileDirectives) expect(l.split(" ").pop()).not.toMatch(/\//);
  });

  test("allows only forward-secret AEAD suites for TLS 1.2", () => {
    const ciphers =
      lines
        .find((l) => l.startsWith("ciphers "))
        ?.split(" ")[1]
        .split(":") ?? [];
    expect(ciphers.length).toBeGreaterThan(0);
    for (const c of ciphers) expect(c).toMatch(/^ECDHE-.*(GCM|CHACHA20-POLY1305)/);
  });

  test("defaults to port 8883", () => {
    expect(directives(renderMosquittoConfig({ env: "dev", source: "x" }))).toContain("listener 8883 127.0.0.1");
  });

  test("refuses a broker user that is not a user name", () => {
    expect(() => renderMosquittoConfig({ env: "dev", source: "x", user: "root\nlistener 1883" })).toThrow(
      /broker user .* is not a valid user name/,
    );
  });
});

describe("checkLabPort", () => {
  test.each([0, 80, 1023, 65536, 3.5, NaN])("refuses %p with the valid range", (port) => {
    expect(() => checkLabPort(port)).toThrow(/use a whole number from 1024 to 65535/);
  });

  test("refuses 1883, the plaintext MQTT port", () => {
    expect(() => checkLabPort(1883)).toThrow(/1883 is the plaintext MQTT port/);
  });

  test("accepts 8883 and other user ports", () => {
    expect(checkLabPort(8883)).toBe(8883);
    expect(checkLabPort(65535)).toBe(65535);
  });
});
