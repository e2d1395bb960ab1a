#!/bin/sh
# A worker with nothing but curl and jq: claims ranges of a Worklist through the Teamtask gateway,
# runs a command on each item, and reports each range complete, until the Worklist is finished.
#   TEAMTASK_SERVER=https://gateway:8443 TEAMTASK_TOKEN=ttk_… CA=gateway.crt \
#     sh gateway-worker.sh NAMESPACE WORKLIST COMMAND…   (the item is the command's last argument)
# docs/gateway.md explains each call. A failed command reports its item failed (it is tried again,
# up to the Worklist's maxAttempts).
set -eu
ns=$1 worklist=$2
shift 2
api="$TEAMTASK_SERVER/v1/namespaces/$ns/worklists/$worklist"
worker="${WORKER:-$(id -un)@$(hostname)}"
call() { # METHOD PATH BODY: the answer on stdout; fails on an HTTP error, printing its message
  curl -sS --fail-with-body --cacert "$CA" -H "Authorization: Bearer $TEAMTASK_TOKEN" \
    -H 'content-type: application/json' -X "$1" "$api$2" -d "$3"
}
while :; do
  claim=$(call POST /claim "$(jq -nc --arg w "$worker" '{worker: $w, waitSeconds: 20}')")
  [ "$(echo "$claim" | jq .finished)" = true ] && break
  echo "$claim" | jq -e .range >/dev/null || continue # nothing yet: ask again
  index=$(echo "$claim" | jq .range.index)
  failed=""
  i=0
  for item in $(echo "$claim" | jq -r '.range.items[] | @base64'); do
    if ! "$@" "$(echo "$item" | base64 -d)"; then failed="$failed${failed:+,}$((index + i))"; fi
    i=$((i + 1))
  done
  report=$(echo "$claim" | jq -c --arg f "$failed" '{block: .range.block, token: .range.token, failed: $f}')
  answer=$(curl -sS --cacert "$CA" -H "Authorization: Bearer $TEAMTASK_TOKEN" \
    -H 'content-type: application/json' -X POST "$api/complete" -d "$report" -w '\n%{http_code}')
  case "$(echo "$answer" | tail -n 1)" in
  200) ;;
  # Not this Block's range any more (its lease ran out while the items ran): another worker runs
  # it; the next claim says this one is alive and gets it a new range.
  409) echo "$answer" | head -n 1 | jq -r .message >&2 ;;
  *) echo "$answer" | head -n 1 >&2 && exit 1 ;;
  esac
done
call DELETE "/blocks/$(echo "$claim" | jq -r .block)" '' >/dev/null # done here: the Block goes
