/**
 * An HTTP server on 127.0.0.1 that replays a recorded exchange: each request must be the next one
 * recorded (method and path with its query); it gets the recorded answer. Anything else is
 * answered 599 and noted, so a test sees both what was sent and what was not expected.
 * `{{base}}` in a recorded header or body stands for the server's own URL (GitHub's Link headers
 * name absolute URLs).
 */
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";

export interface RecordedExchange {
  readonly request: { readonly method: string; readonly path: string };
  readonly response: { readonly status: number; readonly headers?: Record<string, string>; readonly body?: unknown };
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export class ReplayServer {
  readonly received: ReceivedRequest[] = [];
  readonly unexpected: string[] = [];
  private next = 0;
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly exchanges: readonly RecordedExchange[],
  ) {}

  /** Starts a server replaying `exchanges` (or the JSON file holding them). */
  static async start(exchanges: readonly RecordedExchange[] | string): Promise<ReplayServer> {
    const list: RecordedExchange[] = typeof exchanges === "string" ? JSON.parse(fs.readFileSync(exchanges, "utf8")).exchanges : [...exchanges];
    let replay: ReplayServer | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => replay!.answer(req, Buffer.concat(chunks).toString("utf8"), res));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    replay = new ReplayServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, list);
    return replay;
  }

  /** True when every recorded exchange was asked for, and nothing else. */
  get done(): boolean {
    return this.next === this.exchanges.length && this.unexpected.length === 0;
  }

  /** What was recorded and not asked for. */
  get pending(): string[] {
    return this.exchanges.slice(this.next).map((e) => `${e.request.method} ${e.request.path}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const got = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
    this.received.push(got);
    const expected = this.exchanges[this.next];
    if (expected === undefined || expected.request.method !== got.method || expected.request.path !== got.path) {
      this.unexpected.push(`${got.method} ${got.path} (expected ${expected ? `${expected.request.method} ${expected.request.path}` : "nothing more"})`);
      res.writeHead(599, { "content-type": "text/plain" }).end("not in the recording");
      return;
    }
    this.next++;
    const fill = (text: string) => text.split("{{base}}").join(this.url);
    const headers = Object.fromEntries(Object.entries(expected.response.headers ?? {}).map(([k, v]) => [k, fill(v)]));
    const payload = expected.response.body === undefined ? "" : typeof expected.response.body === "string" ? expected.response.body : JSON.stringify(expected.response.body);
    res.writeHead(expected.response.status, { "content-type": "application/json; charset=utf-8", ...headers }).end(fill(payload));
  }
}
