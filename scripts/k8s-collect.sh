#!/bin/sh
# k8s-collect.sh: gather the shards of a sharded load run as a Kubernetes
# Indexed Job (scalelab k8s job) and merge them exactly.
#
#   scripts/k8s-collect.sh [-n NAMESPACE] [-d DIR] JOB [merge flags...]
#
# Waits until the Job has completed (or failed: then collects what there
# is, and merge names the missing shards), reads the last line of every
# pod's log (each pod prints its JSON summary last) into DIR/POD.json, and
# runs `scalelab merge` over them with the merge flags (--json,
# --threshold 'p99<10ms', ...). The pods are selected by the label
# batch.kubernetes.io/job-name=JOB: `kubectl logs job/JOB` shows only one
# of them.
#
# Environment: KUBECTL (default kubectl), SCALELAB (default scalelab),
# TIMEOUT in seconds to wait for the Job (default 900).
set -eu

usage() { echo "usage: $0 [-n NAMESPACE] [-d DIR] JOB [merge flags...]" >&2; exit 2; }

kubectl=${KUBECTL:-kubectl}
scalelab=${SCALELAB:-scalelab}
timeout=${TIMEOUT:-900}
ns=""
dir=""
while getopts n:d:h opt; do
	case $opt in
	n) ns=$OPTARG ;;
	d) dir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
job=$1
shift

k() {
	if [ -n "$ns" ]; then "$kubectl" -n "$ns" "$@"; else "$kubectl" "$@"; fi
}

# Wait for the Job: every completion succeeded, or one failed.
waited=0
while :; do
	state=$(k get job "$job" -o 'jsonpath={.status.succeeded}/{.spec.completions} {.status.failed}') || exit 3
	done_=${state%% *}
	failed=${state#* }
	succeeded=${done_%%/*}
	completions=${done_#*/}
	if [ -n "$failed" ] && [ "$failed" != 0 ]; then
		echo "k8s-collect: job $job: $failed pod(s) failed; collecting what there is" >&2
		break
	fi
	if [ -n "$succeeded" ] && [ "$succeeded" = "$completions" ]; then
		break
	fi
	if [ "$waited" -ge "$timeout" ]; then
		echo "k8s-collect: job $job not complete after ${timeout}s ($state)" >&2
		exit 3
	fi
	sleep 5
	waited=$((waited + 5))
done

if [ -z "$dir" ]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/k8s-collect-$job.XXXXXX")
fi
mkdir -p "$dir"
pods=$(k get pods -l "batch.kubernetes.io/job-name=$job" -o name)
if [ -z "$pods" ]; then
	echo "k8s-collect: no pod with label batch.kubernetes.io/job-name=$job" >&2
	exit 3
fi
files=""
for pod in $pods; do
	name=${pod#pod/}
	k logs "$pod" | tail -n 1 >"$dir/$name.json"
	case $(head -c 1 "$dir/$name.json") in
	"{") files="$files $dir/$name.json" ;;
	*) echo "k8s-collect: $pod printed no summary; its last line: $(cat "$dir/$name.json")" >&2 ;;
	esac
done
echo "k8s-collect: $(echo "$files" | wc -w) summaries in $dir" >&2
# shellcheck disable=SC2086 # the file names are ours, without spaces
exec "$scalelab" merge "$@" $files
