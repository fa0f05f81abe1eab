#!/usr/bin/env bash
# Smoke test of a running FuncRec API: health, event ingestion, recommendations and scoring.
#
# Usage: scripts/smoke.sh [--key KEY] [--key-from-azure] [--wait SECONDS] [--timeout SECONDS] [BASE_URL]
#
#   BASE_URL          e.g. https://func-api-xyz.azurewebsites.net or http://localhost:7071 (or FUNCREC_BASE_URL)
#   --key KEY         function key sent as the x-functions-key header (or FUNCREC_FUNCTION_KEY)
#   --key-from-azure  read the default function key with the Azure CLI from AZURE_RESOURCE_GROUP and
#                     AZURE_FUNCTION_APP_NAME (azd sets both) when no key is given
#   --wait SECONDS    keep retrying wrong answers for up to this long, e.g. right after a deployment
#                     (or FUNCREC_SMOKE_WAIT; default 0: one try per check)
#   --timeout SECONDS limit of each request (or FUNCREC_SMOKE_TIMEOUT; default 30)
#
# Exits 0 when every check passes, 1 on the first failed check, 2 on a usage error.
set -euo pipefail

base_url="${FUNCREC_BASE_URL:-}"
function_key="${FUNCREC_FUNCTION_KEY:-}"
key_from_azure=false
wait_seconds="${FUNCREC_SMOKE_WAIT:-0}"
timeout_seconds="${FUNCREC_SMOKE_TIMEOUT:-30}"

usage() {
  echo "usage: $0 [--key KEY] [--key-from-azure] [--wait SECONDS] [--timeout SECONDS] [BASE_URL]" >&2
  exit 2
}

fail() {
  echo "smoke: FAIL: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --key) [ $# -ge 2 ] || usage; function_key="$2"; shift 2 ;;
    --key-from-azure) key_from_azure=true; shift ;;
    --wait) [ $# -ge 2 ] || usage; wait_seconds="$2"; shift 2 ;;
    --timeout) [ $# -ge 2 ] || usage; timeout_seconds="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "smoke: unknown option $1" >&2; usage ;;
    *) base_url="$1"; shift ;;
  esac
done

[ -n "$base_url" ] || { echo "smoke: no base URL (argument or FUNCREC_BASE_URL)" >&2; usage; }
case "$base_url" in
  http://*|https://*) ;;
  *) echo "smoke: base URL must start with http:// or https://, got '$base_url'" >&2; exit 2 ;;
esac
case "$wait_seconds$timeout_seconds" in
  *[!0-9]*) echo "smoke: --wait and --timeout take whole seconds" >&2; exit 2 ;;
esac
base_url="${base_url%/}"

command -v curl >/dev/null 2>&1 || fail "curl is required"
command -v python3 >/dev/null 2>&1 || fail "python3 is required (it checks that responses are JSON)"

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
chmod 700 "$work_dir"
body_file="$work_dir/body"
header_file="$work_dir/headers"
: > "$header_file"

deadline=$(( $(date +%s) + wait_seconds ))

if [ -z "$function_key" ] && [ "$key_from_azure" = true ]; then
  command -v az >/dev/null 2>&1 || fail "--key-from-azure needs the Azure CLI (az); or pass --key"
  [ -n "${AZURE_RESOURCE_GROUP:-}" ] && [ -n "${AZURE_FUNCTION_APP_NAME:-}" ] ||
    fail "--key-from-azure needs AZURE_RESOURCE_GROUP and AZURE_FUNCTION_APP_NAME (run it from azd, or export them)"
  # A freshly deployed app may not serve its keys yet.
  while :; do
    function_key="$(az functionapp keys list --resource-group "$AZURE_RESOURCE_GROUP" \
      --name "$AZURE_FUNCTION_APP_NAME" --query functionKeys.default --output tsv 2>/dev/null || true)"
    [ -n "$function_key" ] && break
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "could not read the function key of $AZURE_FUNCTION_APP_NAME (is 'az login' done?); pass --key instead"
    sleep 10
  done
fi

# The key goes through a private file, not the command line, so it never shows in process listings or logs.
if [ -n "$function_key" ]; then
  printf 'x-functions-key: %s\n' "$function_key" > "$header_file"
fi

status=""
seconds=""

# request METHOD PATH [JSON_BODY]: sets $status and $seconds, and leaves the response body in $body_file.
request() {
  local method="$1" path="$2" body="${3:-}" answer
  local args=(--silent --show-error --max-time "$timeout_seconds" --output "$body_file"
    --write-out '%{http_code} %{time_total}'
    --request "$method" --header 'Accept: application/json' --header "@$header_file")
  if [ -n "$body" ]; then
    args+=(--header 'Content-Type: application/json' --data-binary "$body")
  fi
  : > "$body_file"
  answer="$(curl "${args[@]}" "$base_url$path" 2>"$work_dir/curl-error")" || true
  status="${answer%% *}"
  seconds="${answer#* }"
  [ -n "$status" ] || status="000"
}

# verify METHOD PATH STATUS: the last request must have answered STATUS with a JSON body.
verify() {
  local method="$1" path="$2" expected="$3" detail
  if [ "$status" != "$expected" ]; then
    if [ "$status" = "000" ]; then
      detail="no HTTP answer: $(head -c 300 "$work_dir/curl-error")"
    else
      detail="body: $(head -c 500 "$body_file")"
    fi
    if [ "$status" = "401" ] && [ -z "$function_key" ]; then
      detail="$detail (no function key given: use --key or FUNCREC_FUNCTION_KEY)"
    fi
    fail "$method $path answered $status, expected $expected; $detail"
  fi
  python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$body_file" 2>/dev/null ||
    fail "$method $path answered $status but the body is not JSON: $(head -c 500 "$body_file")"
  echo "smoke: ok   $method $path -> $status (${seconds} s)"
}

# expect METHOD PATH STATUS [JSON_BODY]: sends the request, again until the deadline while the answer is wrong (a new
# deployment needs a moment to start and for its role assignments to take effect), then verifies the last answer.
expect() {
  while :; do
    request "$1" "$2" "${4:-}"
    [ "$status" = "$3" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || break
    echo "smoke: waiting for $1 $2 to answer $3 (last answer: $status)"
    sleep 5
  done
  verify "$1" "$2" "$3"
}

expect GET /api/health 200

run_id="smoke-$(date +%s)-$$"
user_id="$run_id-user"
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
events="[
  {\"eventId\": \"$run_id-1\", \"userId\": \"$user_id\", \"itemId\": \"smoke-item-1\", \"type\": \"view\", \"timestamp\": \"$now\"},
  {\"eventId\": \"$run_id-2\", \"userId\": \"$user_id\", \"itemId\": \"smoke-item-2\", \"type\": \"click\", \"timestamp\": \"$now\"},
  {\"eventId\": \"$run_id-3\", \"userId\": \"$user_id\", \"itemId\": \"smoke-item-3\", \"type\": \"rating\", \"value\": 4, \"timestamp\": \"$now\"}
]"
expect POST /api/events 202 "$events"
expect GET "/api/recommendations/$user_id?k=5" 200
expect POST /api/score 200 "{\"userId\": \"$user_id\", \"itemIds\": [\"smoke-item-1\", \"smoke-item-2\", \"smoke-item-4\"]}"

echo "smoke: all checks passed against $base_url"
