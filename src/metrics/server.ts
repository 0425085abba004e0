// The Prometheus scrape endpoint: GET /metrics over plain HTTP on a configured address. Any local
// user can reach it, so it is bounded: few connections at once (one more is closed as soon as it
// is accepted), and a client that is slow to send its request or idle between requests is dropped.
// A flood of clients then costs the daemon at most MAX_METRICS_CONNECTIONS descriptors, never those its
// vhost, QMP and control sockets need.
import http from 'http';
import type { Registry } from 'prom-client';
import type { Logger } from '../log';
import { createRegistry, type MetricsSource } from './collectors';

/** Scrapers connected at once; Prometheus needs one per scrape. */
export const MAX_METRICS_CONNECTIONS = 16;
/** A request's headers, and the whole request, must arrive within these. */
export const METRICS_HEADERS_TIMEOUT_MS = 5000;
export const METRICS_REQUEST_TIMEOUT_MS = 10000;
/** A kept-alive connection with no request for this long is closed (a scrape interval is longer). */
export const METRICS_KEEP_ALIVE_TIMEOUT_MS = 5000;
/** Any connection with no traffic at all for this long is closed. */
export const METRICS_IDLE_TIMEOUT_MS = 10000;

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
    const server = http.createServer(
      {
        headersTimeout: METRICS_HEADERS_TIMEOUT_MS,
        requestTimeout: METRICS_REQUEST_TIMEOUT_MS,
        keepAliveTimeout: METRICS_KEEP_ALIVE_TIMEOUT_MS,
        // How often the two timeouts above are checked; the default (30 s) would let them slip.
        connectionsCheckingInterval: 1000,
      },
      (request, response) => {
        if (request.method !== 'GET' || request.url !== '/metrics') {
          response.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at GET /metrics\n');
          return;
        }
        this.registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
          (err: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
        );
      },
    );
    server.maxConnections = MAX_METRICS_CONNECTIONS;
    server.setTimeout(METRICS_IDLE_TIMEOUT_MS, (socket) => socket.destroy());
    // A bad request or a timeout closes the connection at once: without this listener Node 20
    // left a client that never sent a byte connected past headersTimeout and the idle timeout.
    server.on('clientError', (_err, socket) => socket.destroy());
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
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // A kept-alive scraper would otherwise hold the close (and a reload's new port) open.
    server.closeAllConnections();
    await closed;
  }
}
