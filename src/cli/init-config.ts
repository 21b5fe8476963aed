import { DEMO_TOOLS_YAML } from '../config/demo-tools.js';

/** The commented sqlgate.yaml that `sqlgate init` writes. */
export const INIT_CONFIG = `# sqlgate configuration. Every key is documented in docs/configuration.md.
# \${VAR} is read from the environment; \${VAR:-default} gives a default.
# Secrets can come from files: password_file: /run/secrets/db_password (or database_file for the whole URL).

server:
  host: 127.0.0.1        # behind a reverse proxy keep loopback; auth.mode none refuses other addresses
  port: 8008
  # allowed_hosts: [data.example.com]         # host names this server answers to behind a proxy
  # allowed_origins: [https://app.example.com] # browser origins allowed to call /<env>/mcp
  # max_body_bytes: 1048576
  # shutdown_grace: 10s   # on SIGTERM, calls in flight may finish for this long (docs/operations/shutdown-and-timeouts.md)
  # headers_timeout: 10s  # slow clients: headers, whole request, idle keep-alive (request_timeout, keep_alive_timeout)

log:
  level: info            # trace | debug | info | warn | error | fatal | silent

# sqlgate's own state: users, personal tokens, OAuth clients, grants and token hashes, signing keys
# (docs/users.md). Back it up. postgres://… lets several instances share it.
# store:
#   url: "sqlite:./data/sqlgate-state.sqlite"

# Who may connect (docs/configuration.md#auth, docs/connect-claude.md). sqlgate is its own OAuth server:
# create users with "sqlgate users add alice --env demo", then add https://<your host>/demo/mcp in Claude.
auth:
  mode: oauth            # or none (loopback only)
  # public_url: https://data.example.com     # the URL users reach; required behind a proxy
  # trusted_proxies: [127.0.0.1]             # proxies whose X-Forwarded-* headers are believed
  # access_token_ttl: 1h
  # refresh_token_ttl: 30d
  # upstream:                                # single sign-on with your OpenID Connect provider
  #   issuer: https://login.example.com
  #   client_id: sqlgate
  #   client_secret: \${SSO_CLIENT_SECRET}
  #   role_mappings: [{ group: analysts, environments: [demo] }]     # or roles: [analyst]

# Named roles (docs/configuration.md#roles): "sqlgate users add bob --role analyst" gives bob what analyst gives.
# roles:
#   analyst: { environments: { demo: read } }
#   ops:     { environments: { "*": write }, limits: { calls_per_minute: 600 } }

# Prometheus metrics at /metrics (docs/operations/metrics.md); off unless one of these is set.
# metrics:
#   listen: 127.0.0.1:9464                   # a listener of its own, for the scraper
#   token: \${METRICS_TOKEN}                 # or alone: /metrics on this port, behind a bearer token

# Each environment is served at /<name>/mcp (Streamable HTTP) and /<name>/sse (legacy SSE).
environments:
  demo:
    database: "sqlite:./data/demo.sqlite"
    demo: true             # generate the demo sales database into this file when it is missing
    read_only: true
    description: Demo sales database
    # Tools defined here sit next to the built-in ones (docs/configuration.md#tools); each runs through the
    # same read-only gate and limits as execute_sql. "execute_sql: false" would offer only curated tools.
${DEMO_TOOLS_YAML}
  # analytics:
  #   database: "postgres://reader@127.0.0.1:5432/sales?sslmode=prefer"
  #   password_file: /run/secrets/analytics_password
  #   read_only: true
  #   max_rows: 500                  # rows returned per query (default 1000)
  #   statement_timeout_ms: 30000    # enforced in the database
  #   pool: { max: 5, acquire_timeout_ms: 5000 }

  # shop:
  #   database: "mysql://app:\${SHOP_PASSWORD}@127.0.0.1:3306/shop"   # mariadb:// works too
  #   read_only: false

  # finance:
  #   database: "sqlserver://claude_demo:\${MSSQL_PASSWORD}@sql.example.com:1433/DemoDB?encrypt=true"
  #   read_only: true
  #   tls: { reject_unauthorized: true }
`;
