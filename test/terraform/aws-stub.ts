import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

/** The account and region every offline plan is made for: fake, and the same in every fixture. */
export const STUB_ACCOUNT = "123456789012";
export const STUB_IOT_ENDPOINT = "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com";

/**
 * The two AWS calls a first `terraform plan` of a moat stack makes, answered on 127.0.0.1:
 * STS GetCallerIdentity (the aws_caller_identity data source) and IoT DescribeEndpoint (the
 * aws_iot_endpoint data source). Anything else gets a 400 whose body names the request, so a
 * new call the provider starts making shows up as a plan error, not as a silently wrong value.
 */
export interface AwsStub {
  /** `http://127.0.0.1:<port>`, for the provider's `endpoints` block. */
  readonly url: string;
  /** Requests the stub refused, for the caller's error message. */
  readonly refused: readonly string[];
  close(): Promise<void>;
}

export async function startAwsStub(): Promise<AwsStub> {
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => answer(req, Buffer.concat(chunks).toString("utf8"), res, refused));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answer(req: IncomingMessage, body: string, res: ServerResponse, refused: string[]): void {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (req.method === "POST" && new URLSearchParams(body).get("Action") === "GetCallerIdentity") {
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
        `<Arn>arn:aws:iam::${STUB_ACCOUNT}:user/moat-plan</Arn><UserId>AIDAMOATPLANSTUB00001</UserId><Account>${STUB_ACCOUNT}</Account>` +
        `</GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000001</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
    return;
  }
  if (req.method === "GET" && url.pathname === "/endpoint") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ endpointAddress: STUB_IOT_ENDPOINT }));
    return;
  }
  const what = `${req.method} ${url.pathname}${url.search} ${body.slice(0, 200)}`.trim();
  refused.push(what);
  res.writeHead(400, { "content-type": "application/json" });
  res.end(JSON.stringify({ message: `moat's plan stub answers only STS GetCallerIdentity and IoT DescribeEndpoint; it refused: ${what}` }));
}
