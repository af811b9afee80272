#!/usr/bin/env bash
# Schemathesis against a live collector, from its own OpenAPI document: once anonymously and
# once as each staff role, every check, a fixed small example budget and seed so the run is
# the same each time and stays under a few minutes. Fails on any failure, and if the server
# is not alive at the end. Device endpoints need signed requests: schemathesis sees them only
# refused (401/403), which the spec documents; the upload (a tar body schemathesis cannot
# make) is left out. Warnings are off: a role refused the other roles' operations (403) is the
# point, not a misconfigured token.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${UNDERSTUDY_BIN:-.build/debug/understudy}
venv=.build-fuzz
examples=${SCHEMATHESIS_EXAMPLES:-10}
[[ -x $venv/bin/schemathesis ]] || {
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/fuzz-requirements.txt
}
work=$(mktemp -d)
trap 'kill -9 "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/share

cp scripts/demo-policy.yaml "$work/policy.yaml"
"$bin" policy keygen "$work/org" >/dev/null
"$bin" policy sign --key "$work/org.key" "$work/policy.yaml" >/dev/null
# The fuzzer sends a few thousand requests without credentials from one address: the limit on
# those (tested on its own in CollectorFaultTests) is raised so they reach the routes.
printf 'policy_keys: [%s]\nkek_file: %s\nanonymous_requests_per_minute: 100000\n' "$work/org.pub" "$work/server.kek" >"$work/collector.yaml"
"$bin" serve --port 0 --data "$work/data" --config "$work/collector.yaml" --admin-key-file "$work/admin.key" >"$work/serve.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/^Collector listening on \([^,]*\),.*/\1/p' "$work/serve.log")
  [[ -n $url ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $url ]] || { echo "schemathesis: the collector did not start" >&2; exit 1; }
admin=(--server "$url" --key-file "$work/admin.key")
officer=(--server "$url" --user fuzz-privacy_officer --key-file "$work/privacy_officer.key")
for role in privacy_officer reviewer scientist; do
  "$bin" admin add-user "fuzz-$role" --role "$role" "${admin[@]}" >"$work/$role.key" 2>/dev/null
  # Roles that read contributors' data sign in once the (first) privacy officer approves them.
  [[ $role == privacy_officer ]] || "$bin" admin approve-user "fuzz-$role" "${officer[@]}" >/dev/null
done
"$bin" admin publish-policy "$work/policy.yaml" "${officer[@]}" >/dev/null

token() { # USER KEYFILE
  curl -sf "$url/v1/login" -H 'Content-Type: application/json' \
    -d "{\"user\":\"$1\",\"key\":\"$(tr -d '\n' <"$2")\"}" | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

status=0
# Left out: uploads (they need a signed body), and what ends the run's own sessions by design
# (sign out, a new key, removing a user): the role matrix and staffLifecycle test those.
run() { # NAME [HEADER]
  echo "== schemathesis as $1"
  local auth=()
  [[ -n ${2:-} ]] && auth=(-H "$2")
  "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$url/openapi.yaml" --url "$url" --checks all --max-examples "$examples" --seed 1 \
    --exclude-path '/v1/segments/{id}' --exclude-path /v1/logout --exclude-path '/v1/users/{name}/key' --exclude-path '/v1/users/{name}' \
    --warnings off --no-color "${auth[@]}" || status=1
}
run anonymous
# Every token first: a run as one role must not be able to stop a later one from signing in.
declare -A tokens
tokens[admin]=$(token admin "$work/admin.key")
for role in privacy_officer reviewer scientist; do tokens[$role]=$(token "fuzz-$role" "$work/$role.key"); done
for role in admin privacy_officer reviewer scientist; do run "$role" "Authorization: Bearer ${tokens[$role]}"; done

curl -sf "$url/health" >/dev/null || { echo "schemathesis: the collector is not alive at the end" >&2; cat "$work/serve.log" >&2; exit 1; }
exit $status
