#!/bin/sh
# A pipeline's deploy step: apply a new version, then block until the Canary has promoted or rolled it back.
#
#   samples/ci/deploy.sh MANIFEST CANARY NAMESPACE [TIMEOUT]
#
# Exit 0: promoted. Exit 1: rolled back (the reason is printed). Exit 2: not decided within TIMEOUT
# (default 10m), or a usage error. `weir` finds the running instance itself; set WEIR_API (and
# WEIR_API_TOKEN) to reach another one.
set -eu

if [ $# -lt 3 ]; then
  echo "usage: $0 MANIFEST CANARY NAMESPACE [TIMEOUT]" >&2
  exit 2
fi
manifest=$1
canary=$2
namespace=$3
timeout=${4:-10m}

weir apply -f "$manifest"
status=0
weir wait canary "$canary" -n "$namespace" --for=promoted --timeout "$timeout" || status=$?
case $status in
  0)
    echo "deploy: $canary.$namespace promoted"
    ;;
  1)
    weir describe canary "$canary" -n "$namespace" >&2 || true
    echo "deploy: $canary.$namespace rolled back" >&2
    ;;
  *)
    echo "deploy: $canary.$namespace not decided within $timeout (weir wait exit $status)" >&2
    ;;
esac
exit "$status"
