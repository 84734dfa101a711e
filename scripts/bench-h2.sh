#!/usr/bin/env bash
# bench-h2.sh: is `scalelab load` over h2c at least as fast as h2load, the
# reference HTTP/2 load generator (nghttp2)?
#
# Paired, interleaved rounds (h2load, scalelab, h2load, scalelab, ...) of
# the same load against the same h2c server: the lab's net/http variant
# (`scalelab serve` with h2c) and nginx (one worker, `listen ... http2`,
# `return 200 "ok"`), the server pinned to CPU 0 and the load generator to
# CPU 1. Each shape is CONNECTIONSxSTREAMS (h2load -c C -m M; scalelab
# clients C, streams M). Prints per server and shape the median rate of each
# tool, the median of the per-round ratios (scalelab / h2load), and the CPU
# time each tool spent per request (user + system from GNU time, over every
# request it completed), which other load on the machine disturbs less than
# the rates.
#
# usage: scripts/bench-h2.sh [--servers "nethttp nginx"] [--shapes "100x10 10x100"]
#          [--rounds 3] [--duration 5] [--port 18090] [--bin bin/scalelab]
#          [--nice N]
#
# --duration is in whole seconds (h2load -D). --nice runs the server and
# both tools at that niceness (e.g. -5) to shield them from other load.
# nginx closes an HTTP/2 connection after keepalive_requests requests (1,000
# by default); the config raises it so that neither tool reconnects. Needs
# root for the apt-get installs (nghttp2-client, nginx-light, util-linux,
# time) and for raising the open-file limit.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

flag servers "nethttp nginx"
flag shapes "100x10 10x100"
flag duration 5 '^[1-9][0-9]*$' "whole seconds"
flag port 18090
parse_flags "$@"
for s in $shapes; do [[ $s =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || die "shape $s: want CONNECTIONSxSTREAMS, e.g. 100x10"; done
for s in $servers; do [[ $s == nethttp || $s == nginx ]] || die "server $s: nethttp or nginx"; done

need h2load nghttp2-client
[[ " $servers " == *" nginx "* ]] && need nginx nginx-light
need_common
if [[ " $servers " == *" nginx "* ]] && ! nginx -V 2>&1 | grep -q http_v2_module; then
	die "this nginx has no http_v2_module (Debian's nginx-light has it)"
fi

bench_workdir

most_streams=1
for s in $shapes; do most_streams=$(( ${s#*x} > most_streams ? ${s#*x} : most_streams )); done

start_server() { # name
	case "$1" in
	nginx) start_nginx "http2 backlog=20000" "http2_max_concurrent_streams $most_streams;" ;;
	nethttp)
		printf '{"variant":"nethttp","config":{"addr":"127.0.0.1:%d","backlog":20000,"h2c":true,"max_streams":%d}}\n' \
			"$port" "$most_streams" >"$work/serve.json"
		nice -n "$nice" taskset -c 0 "$bin" serve --config "$work/serve.json" >"$work/serve.out" 2>&1 &
		server_pid=$!
		;;
	esac
	wait_listening "$1"
}

# GNU time writes "user-s system-s" of the command to $work/cpu
timed() { /usr/bin/time -f '%U %S' -o "$work/cpu" "$@"; }
cpu_per_request() { # requests -> microseconds of CPU per request
	awk -v n="$1" '{ printf "%.3f", (n > 0) ? ($1 + $2) * 1e6 / n : 0 }' <(tail -1 "$work/cpu")
}

run_h2load() { # conns streams -> "rps cpu_us_per_request"
	timed nice -n "$nice" taskset -c 1 h2load -c "$1" -m "$2" -t 1 -D "$duration" "$url" >"$work/h2load.out" 2>&1 || true
	local rps n
	rps=$(awk '/^finished in/ {print $4}' "$work/h2load.out")
	n=$(awk '/^requests:/ {print $8}' "$work/h2load.out") # done
	echo "${rps:-0} $(cpu_per_request "${n:-0}")"
}

run_scalelab() { # conns streams -> "rps cpu_us_per_request"
	printf '{"targets":["%s"],"h2c":true,"clients":%d,"streams":%d,"duration":%d,"timeout":5000000000}\n' \
		"$url" "$1" "$2" "$((duration * 1000000000))" >"$work/load.json"
	timed nice -n "$nice" taskset -c 1 "$bin" load --config "$work/load.json" --quiet >"$work/sl.json" 2>"$work/sl.err" || true
	local rps n
	rps=$(sl_rps "$work/sl.json")
	# every answer it spent CPU on: measured requests, and the ones in
	# flight at the end (h2load counts the requests done)
	n=$(awk -F'[:,]' '/^  "(requests|unfinished)":/ {s += $2} END {print s + 0}' "$work/sl.json")
	echo "${rps:-0} $(cpu_per_request "${n:-0}")"
}

echo "servers on CPU 0, load generators on CPU 1 (nice $nice); $rounds paired rounds of ${duration}s; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-8s %12s %14s %7s %14s %16s %9s\n' server shape "h2load rps" "scalelab rps" ratio "h2load us/req" "scalelab us/req" "cpu ratio"
for server in $servers; do
	start_server "$server"
	url="http://127.0.0.1:$port/"
	for shape in $shapes; do
		c=${shape%x*} m=${shape#*x}
		: >"$work/h" ; : >"$work/s" ; : >"$work/r"
		for r in $(seq "$rounds"); do
			# alternate who goes first, so a drift in the machine's load
			# falls on both alike
			if (( r % 2 )); then
				read -r hr hu <<<"$(run_h2load "$c" "$m")"; read -r sr su <<<"$(run_scalelab "$c" "$m")"
			else
				read -r sr su <<<"$(run_scalelab "$c" "$m")"; read -r hr hu <<<"$(run_h2load "$c" "$m")"
			fi
			echo "$hr $hu" >>"$work/h"
			echo "$sr $su" >>"$work/s"
			awk -v h="$hr" -v s="$sr" 'BEGIN { print (h > 0) ? s / h : 0 }' >>"$work/r"
			echo "  $server $shape round $r: h2load $hr req/s ${hu} us CPU/req, scalelab $sr req/s ${su} us CPU/req" >&2
		done
		hr=$(cut -d' ' -f1 "$work/h" | median); hu=$(cut -d' ' -f2 "$work/h" | median)
		sr=$(cut -d' ' -f1 "$work/s" | median); su=$(cut -d' ' -f2 "$work/s" | median)
		ratio=$(median <"$work/r")
		awk -v sv="$server" -v sh="$shape" -v hr="$hr" -v sr="$sr" -v ratio="$ratio" -v hu="$hu" -v su="$su" 'BEGIN {
			printf "%-8s %-8s %12.0f %14.0f %7.2f %14.2f %16.2f %9.2f\n", sv, sh, hr, sr, ratio, hu, su, (hu > 0) ? su / hu : 0
		}'
	done
	stop_server
done
