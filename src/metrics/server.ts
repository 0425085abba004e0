// The Prometheus scrape endpoint: GET /metrics over plain HTTP on a configured address.
import http from 'http';
import type { Registry } from 'prom-client';
import type { Logger } from '../log';
import { createRegistry, type MetricsSource } from './collectors';

export class MetricsServer {
  private readonly registry: Registry;
  private server?: http.Server;
  private address?: string;
  private port?: number;

  constructor(
    source: MetricsSource,
    private readonly log: Logger,
  ) {
    this.registry = createRegistry(source);
  }

  async listen(address: string, port: number): Promise<void> {
    const server = http.createServer((request, response) => {
      if (request.method !== 'GET' || request.url !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at GET /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve());
    });
    // A later error (an accept out of file descriptors) must not end the process.
    server.on('error', (err) => this.log.error({ err: err.message }, 'metrics: accept failed'));
    this.server = server;
    this.address = address;
    this.port = port;
  }

  /** Listening on this address and port (a reload may move it). */
  boundTo(address: string, port: number | undefined): boolean {
    return this.server !== undefined && this.address === address && this.port === port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
