/**
 * `--metrics-port`: a /metrics endpoint for Prometheus, and /healthz: 200, or 503 with the
 * reason `problem` gives (the agent cannot reach Redis).
 */
import { createServer, type Server } from 'node:http';
import { formatMetrics, listenOrExplain, PROMETHEUS_CONTENT_TYPE, type Metric } from '@sweep-runner/shared';

export function serveMetrics(port: number, host: string, collect: () => Metric[], problem: () => string | undefined): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
    } else if (path === '/metrics') {
      response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(formatMetrics(collect()));
    } else if (path === '/healthz') {
      const trouble = problem();
      response.writeHead(trouble ? 503 : 200, { 'content-type': 'text/plain' }).end(`${trouble ?? 'ok'}\n`);
    } else {
      response.writeHead(404).end();
    }
  });
  return listenOrExplain(server, host, port, { port: '--metrics-port', host: '--metrics-host' }).then(() => server);
}
