#!/bin/sh
# Gets the first Let's Encrypt certificate for the nginx in front of sqlgate (deploy/nginx/), by HTTP-01 over
# certbot's webroot. nginx cannot start without a certificate and the certificate needs nginx to answer the
# challenge, so: a placeholder certificate → start nginx → certbot certonly --webroot → reload nginx. Renewals
# are certbot's (`certbot renew`, the compose file's certbot service or the Debian package's timer).
#
#   ./setup-letsencrypt.sh            with docker compose, in this directory (docker-compose.yml, .env)
#   ./setup-letsencrypt.sh --host     nginx and certbot installed on this machine
#   ./setup-letsencrypt.sh --staging  either, against Let's Encrypt's staging CA (untrusted certificates, high limits)
#
# Settings come from the environment, then from .env beside this script:
#   SQLGATE_DOMAIN      the host name (required)
#   LETSENCRYPT_EMAIL   the ACME account's contact address (optional)
#   ACME_SERVER         the ACME directory URL (default: Let's Encrypt production; --staging: staging)
# and, with --host only:
#   LETSENCRYPT_DIR     certbot's --config-dir, where live/<domain>/ is written (default /etc/letsencrypt)
#   WEBROOT             the root of /.well-known/acme-challenge/ in nginx (default /var/www/certbot)
#   NGINX_CMD           the nginx command (default: nginx); started when `$NGINX_CMD -s reload` finds none running
#   CERTBOT_CMD         the certbot command (default: certbot), e.g. with --work-dir and --logs-dir
# REQUESTS_CA_BUNDLE reaches certbot as usual (an ACME server with a private CA, as the tests' pebble).
set -eu

PRODUCTION=https://acme-v02.api.letsencrypt.org/directory
STAGING=https://acme-staging-v02.api.letsencrypt.org/directory

here=$(cd "$(dirname "$0")" && pwd)
mode=compose
staging=no
for arg in "$@"; do
  case $arg in
    --host) mode=host ;;
    --staging) staging=yes ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-letsencrypt.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

# .env supplies what the environment does not (compose reads the same file for its own ${…}).
if [ -f "$here/.env" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in '' | '#'*) continue ;; esac
    key=${line%%=*}
    value=${line#*=}
    case $key in *[!A-Za-z0-9_]* | '') continue ;; esac
    value=${value#\"}; value=${value%\"}; value=${value#\'}; value=${value%\'}
    eval "is_set=\${$key+yes}"
    [ "$is_set" = yes ] || eval "$key=\$value"
  done < "$here/.env"
fi

domain=${SQLGATE_DOMAIN:-}
if [ -z "$domain" ]; then
  echo "setup-letsencrypt.sh: SQLGATE_DOMAIN is not set (in the environment or in $here/.env)" >&2
  exit 2
fi
case $domain in
  *[!A-Za-z0-9.-]* | .* | *.) echo "setup-letsencrypt.sh: SQLGATE_DOMAIN is not a host name: $domain" >&2; exit 2 ;;
esac
server=${ACME_SERVER:-$PRODUCTION}
[ "$staging" = no ] || server=$STAGING
email=${LETSENCRYPT_EMAIL:-}
case $email in
  *[!A-Za-z0-9@._+-]*) echo "setup-letsencrypt.sh: LETSENCRYPT_EMAIL is not an address: $email" >&2; exit 2 ;;
esac
if [ -n "$email" ]; then contact="--email $email"; else contact=--register-unsafely-without-email; fi

if [ "$mode" = compose ]; then
  cd "$here"
  if [ ! -f sqlgate.yaml ]; then
    echo "setup-letsencrypt.sh: $here/sqlgate.yaml is missing: cp sqlgate.example.yaml sqlgate.yaml, then edit it" >&2
    exit 2
  fi
  letsencrypt=/etc/letsencrypt
  webroot=/var/www/certbot
  # Files are written in one-off certbot containers, on the compose file's certificate and webroot volumes.
  shell() { docker compose run --rm --no-deps --entrypoint sh certbot -c "$1"; }
  start_nginx() { docker compose up -d nginx; }
  reload_nginx() { docker compose exec nginx nginx -s reload; }
  certbot_run() { docker compose run --rm --no-deps --entrypoint certbot certbot "$@"; }
else
  letsencrypt=${LETSENCRYPT_DIR:-/etc/letsencrypt}
  webroot=${WEBROOT:-/var/www/certbot}
  shell() { sh -c "$1"; }
  # Word splitting on purpose: NGINX_CMD and CERTBOT_CMD are commands with their options.
  start_nginx() { $NGINX_CMD -t -q && { $NGINX_CMD -s reload 2>/dev/null || $NGINX_CMD; }; }
  reload_nginx() { $NGINX_CMD -s reload; }
  certbot_run() { $CERTBOT_CMD "$@"; }
  NGINX_CMD=${NGINX_CMD:-nginx}
  CERTBOT_CMD=${CERTBOT_CMD:-certbot}
fi
live=$letsencrypt/live/$domain

if shell "test -f $letsencrypt/renewal/$domain.conf"; then
  echo "A certificate for $domain exists already ($live); certbot renews it. Nothing to do."
  exit 0
fi

placeholder="rm -rf $live && mkdir -p $live $webroot && openssl req -x509 -nodes -newkey rsa:2048 -days 1 \
-subj /CN=$domain -keyout $live/privkey.pem -out $live/fullchain.pem 2>/dev/null"
# certbot writes live/<domain>/ only where there is none (else it picks <domain>-0001), so the placeholder goes.
remove_placeholder="rm -rf $live $letsencrypt/archive/$domain $letsencrypt/renewal/$domain.conf"

echo "== A placeholder certificate for $domain, so that nginx can start"
shell "$placeholder" || { echo "setup-letsencrypt.sh: could not write a placeholder certificate in $live" >&2; exit 1; }

echo "== Starting nginx"
start_nginx

echo "== Asking $server for a certificate (HTTP-01 challenge through $webroot)"
shell "$remove_placeholder"
# In compose mode the nginx service reloads itself every 12 hours; on a host, certbot reloads it after a renewal.
hook=
[ "$mode" = compose ] || hook="$NGINX_CMD -s reload"
# shellcheck disable=SC2086 # $contact is an option and its value
if ! certbot_run certonly --webroot -w "$webroot" -d "$domain" --config-dir "$letsencrypt" $contact \
  --server "$server" --agree-tos --non-interactive --no-eff-email ${hook:+--deploy-hook "$hook"}; then
  # Put the placeholder back: nginx must still find a certificate when it restarts or reloads.
  shell "$placeholder"
  echo "setup-letsencrypt.sh: certbot could not get a certificate for $domain. Check that $domain resolves to this" >&2
  echo "machine and that port 80 reaches nginx from the internet, then run this again." >&2
  exit 1
fi

echo "== Reloading nginx with the new certificate"
reload_nginx
if [ "$mode" = compose ]; then
  # The rest: the certbot service that renews (and anything not started yet).
  docker compose up -d
fi
echo "Done: https://$domain/ has a certificate from $server."
