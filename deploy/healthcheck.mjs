// The container image's HEALTHCHECK (deploy/Dockerfile): GET /health on this container's loopback, with node,
// because the runtime image has no curl. Exit 0 = healthy, 1 = unhealthy; what it prints lands in the health log
// (`docker inspect` / `podman healthcheck run`).
//
// "degraded" (sqlgate answers, but some environment's database is down) counts as healthy on purpose: restarting
// sqlgate does not bring a database back, and an unhealthy container is taken out of service (compose
// `depends_on: service_healthy`, swarm, autoheal), which would also cut off every environment that still works.
// Monitoring that cares about the databases reads /health's per-environment status instead.
//
// SQLGATE_HEALTHCHECK_URL: where to ask, when the server does not listen on the image's default port 8008.
const url = process.env.SQLGATE_HEALTHCHECK_URL ?? 'http://127.0.0.1:8008/health';

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  const body = await response.text();
  if (!response.ok) {
    console.log(`unhealthy: ${url} answered ${response.status}: ${body.slice(0, 500)}`);
    process.exit(1);
  }
  const { status } = JSON.parse(body);
  console.log(`${status === 'ok' ? 'healthy' : `healthy (${status})`}: ${body.slice(0, 500)}`);
} catch (err) {
  console.log(`unhealthy: ${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
