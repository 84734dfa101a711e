#!/usr/bin/env bash
# bench-driver.sh: is `scalelab load` at least as fast as wrk, with no more
# memory per connection?
#
# Paired, interleaved rounds (wrk, scalelab, wrk, scalelab, ...) against the
# same keep-alive server, the server pinned to CPU 0 and the load generator
# to CPU 1, at each connection count. Prints the median rate of each tool,
# their ratio (scalelab / wrk), the median peak RSS of each (GNU time's
# maximum resident set size), RSS per connection (raw, and marginal: above
# each tool's idle footprint), and the CPU time each tool spent per request
# (user + system from GNU time), which is less sensitive to other load on
# the machine than the rates are.
#
# usage: scripts/bench-driver.sh [--server nginx|gnet] [--conns "100 10000"]
#          [--rounds 3] [--duration 5s] [--port 18089] [--bin bin/scalelab]
#          [--nice N]
#
# The ratio column is the median of the per-round ratios (each round runs
# wrk and scalelab back to back), which drifts less than the ratio of the
# median rates when other work shares the machine. --nice runs the server
# and both tools at that niceness (e.g. -5) to shield them from other load.
# The server is nginx by default (1 worker, `return 200 "ok"`, access log
# off); --server gnet runs `scalelab serve gnet` instead. Needs root for the
# apt-get installs and for raising the open-file limit to 20000.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

flag server nginx '^(nginx|gnet)$' "nginx or gnet"
flag conns "100 10000"
flag duration 5s
flag port 18089
parse_flags "$@"

need wrk wrk
[[ $server == nginx ]] && need nginx nginx
need_common

bench_workdir
case "$server" in
nginx) start_nginx "backlog=20000" ;;
gnet)
	nice -n "$nice" taskset -c 0 "$bin" serve gnet --addr "127.0.0.1:$port" --backlog 20000 --nofile 20000 >/dev/null &
	server_pid=$!
	;;
esac
url="http://127.0.0.1:$port/"
wait_listening "$server"

# GNU time writes "peak-RSS-KiB user-s system-s" of the command to $work/rss
timed() { /usr/bin/time -f '%M %U %S' -o "$work/rss" "$@"; }

# usage -> "rss_kib cpu_us_per_request" given the requests done
usage() { # requests
	awk -v n="$1" '{ printf "%d %.3f", $1, (n > 0) ? ($2 + $3) * 1e6 / n : 0 }' <(tail -1 "$work/rss")
}

run_wrk() { # conns -> "rps rss_kib cpu_us_per_request"
	timed nice -n "$nice" taskset -c 1 wrk -t1 -c"$1" -d"$duration" --timeout 5s "$url" >"$work/wrk.out" 2>&1 || true
	local rps n
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out")
	n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
	echo "${rps:-0} $(usage "${n:-0}")"
}

run_scalelab() { # conns -> "rps rss_kib cpu_us_per_request"
	timed nice -n "$nice" taskset -c 1 "$bin" load "$url" --clients "$1" --duration "$duration" --timeout 5s --json --quiet >"$work/sl.json" 2>"$work/sl.err" || true
	local rps n u
	rps=$(sl_rps "$work/sl.json")
	n=$(sed -n 's/^  "requests": \([0-9]*\),*$/\1/p' "$work/sl.json")
	u=$(sed -n 's/^  "unfinished": \([0-9]*\),*$/\1/p' "$work/sl.json")
	echo "${rps:-0} $(usage $(( ${n:-0} + ${u:-0} )))"
}

# idle footprint of each tool (binary, runtime, libraries), to tell the
# memory the connections cost from what the program costs at rest
/usr/bin/time -f '%M' -o "$work/rss" wrk --version >/dev/null 2>&1 || true
wrk_idle=$(tail -1 "$work/rss")
/usr/bin/time -f '%M' -o "$work/rss" "$bin" help >/dev/null 2>&1 || true
sl_idle=$(tail -1 "$work/rss")

echo "server: $server on CPU 0 (nice $nice); load generators on CPU 1; $rounds interleaved rounds of $duration each; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "idle RSS: wrk $((wrk_idle / 1024)) MB, scalelab $((sl_idle / 1024)) MB (KB/conn columns: peak RSS / conns; marginal: (peak - idle) / conns)"
printf '%-7s %10s %13s %6s %11s %16s %12s %17s %13s %18s %12s %17s\n' conns "wrk rps" "scalelab rps" ratio "wrk RSS MB" "scalelab RSS MB" "wrk KB/conn" "scalelab KB/conn" "wrk marginal" "scalelab marginal" "wrk us/req" "scalelab us/req"
for c in $conns; do
	: >"$work/w"; : >"$work/s"; : >"$work/r"
	for r in $(seq "$rounds"); do
		read -r wr wm wu <<<"$(run_wrk "$c")"
		read -r sr sm su <<<"$(run_scalelab "$c")"
		echo "$wr $wm $wu" >>"$work/w"
		echo "$sr $sm $su" >>"$work/s"
		awk -v w="$wr" -v s="$sr" 'BEGIN { print (w > 0) ? s / w : 0 }' >>"$work/r"
		echo "  conns $c round $r: wrk $wr req/s ${wm} KiB ${wu} us CPU/req, scalelab $sr req/s ${sm} KiB ${su} us CPU/req" >&2
	done
	wr=$(cut -d' ' -f1 "$work/w" | median); wm=$(cut -d' ' -f2 "$work/w" | median); wu=$(cut -d' ' -f3 "$work/w" | median)
	sr=$(cut -d' ' -f1 "$work/s" | median); sm=$(cut -d' ' -f2 "$work/s" | median); su=$(cut -d' ' -f3 "$work/s" | median)
	ratio=$(median <"$work/r")
	awk -v c="$c" -v wr="$wr" -v sr="$sr" -v wm="$wm" -v sm="$sm" -v wi="$wrk_idle" -v si="$sl_idle" -v wu="$wu" -v su="$su" -v ratio="$ratio" 'BEGIN {
		printf "%-7d %10.0f %13.0f %6.2f %11.1f %16.1f %12.2f %17.2f %13.2f %18.2f %12.2f %17.2f\n", c, wr, sr, ratio, wm/1024, sm/1024, wm/c, sm/c, (wm-wi)/c, (sm-si)/c, wu, su
	}'
done
