#!/usr/bin/env bash
# anchors.sh - the lab's anchor benchmark (a benchmark, not a test).
#
# wrk against nginx with one worker and against each scalelab server variant,
# side by side in one run: 100 keep-alive connections, every server pinned to
# CPU 0 and wrk to CPU 1, several rounds interleaved (nginx, naive, pool,
# nethttp, fasthttp, gnet, nginx, ...) so that the noise of a shared machine
# falls on every target alike. Prints a table of requests/s (median and range
# over the rounds) and the ratio of each variant's median to nginx's.
#
# Environment (all optional):
#   ROUNDS=3          measured rounds per target (at least 1)
#   DURATION=5s       length of one wrk run
#   WARMUP=1s         unrecorded wrk run per target before the rounds (0 skips)
#   CONNECTIONS=100   wrk connections
#   PATH_Q=/          request path
#   VARIANTS="naive pool nethttp fasthttp gnet"
#   SERVER_CPU=0 CLIENT_CPU=1
#   NICE=0            nice(1) value for the servers and wrk; a negative one
#                     (root) lets them win their CPUs from other loads on a
#                     busy machine, at those loads' expense
#   KEEP_TMP=1        keep the temp dir (configs, logs, raw wrk output)
#
# Installs wrk and nginx (Debian packages) when missing; everything it starts
# is stopped on exit.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONNECTIONS=${CONNECTIONS:-100}
PATH_Q=${PATH_Q:-/}
VARIANTS=${VARIANTS:-"naive pool nethttp fasthttp gnet"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
NICE=${NICE:-0}

die() { echo "anchors: $*" >&2; exit 1; }

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$ROUNDS'"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer"
[[ $NICE =~ ^-?[0-9]+$ ]] || die "NICE must be an integer"
# "${on_cpu[@]}" CPU CMD...: run CMD pinned to CPU at the chosen nice value
# (nice and taskset exec, so $! is CMD's pid).
on_cpu=(nice -n "$NICE" taskset -c)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# --- dependencies -----------------------------------------------------------
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	echo "anchors: installing wrk and nginx" >&2
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y wrk nginx
fi
for tool in wrk nginx taskset go ss; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
ncpu=$(nproc)
((SERVER_CPU < ncpu && CLIENT_CPU < ncpu)) || die "need CPUs $SERVER_CPU and $CLIENT_CPU, this machine has $ncpu"

echo "anchors: building bin/scalelab" >&2
go build -o bin/scalelab ./cmd/scalelab

# --- process bookkeeping ----------------------------------------------------
tmp=$(mktemp -d /tmp/scalelab-anchors.XXXXXX)
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ ${KEEP_TMP:-0} == 1 ]]; then
		echo "anchors: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a TCP port no socket uses, below the ephemeral range
# (so no client connection takes it meanwhile), starting from a random point
# so that concurrent runs do not collide.
used_ports=" "
free_port() {
	local lo hi p i
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	((lo > 12000)) || die "the ephemeral port range starts at $lo: no room below it"
	p=$((10000 + RANDOM % (lo - 11000)))
	for ((i = 0; i < 2000; i++, p++)); do
		((p >= lo)) && p=10000
		[[ $used_ports == *" $p "* ]] && continue
		if [[ -z $(ss -Htan "sport = :$p") ]]; then
			used_ports+="$p "
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# wait_ready PORT PID: until a GET / is answered 200 (10 s at most).
wait_ready() {
	local port=$1 pid=$2 line i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		line=$(
			exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$port" || exit 0
			printf 'GET / HTTP/1.0\r\nHost: anchors\r\n\r\n' >&3
			read -r -t 2 line <&3 && echo "$line"
		) || true
		[[ $line == "HTTP/1."?" 200"* ]] && return 0
		sleep 0.1
	done
	return 1
}

declare -A port cpupid logfile

# --- nginx, one worker ------------------------------------------------------
port[nginx]=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events {
	worker_connections 4096;
}
http {
	access_log off;
	default_type text/plain;
	keepalive_requests 1000000000;
	keepalive_timeout 300s;
	client_body_temp_path $tmp/nginx/client_body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server {
		listen 127.0.0.1:${port[nginx]} backlog=4096;
		location / {
			return 200 "ok";
		}
	}
}
EOF
nginx_cmd=(nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf")
"${nginx_cmd[@]}" -t -q || die "nginx rejected its config ($tmp/nginx/nginx.conf)"
"${on_cpu[@]}" "$SERVER_CPU" "${nginx_cmd[@]}" >"$tmp/nginx/stdout.log" 2>&1 &
pids+=($!)
nginx_master=$!
wait_ready "${port[nginx]}" "$nginx_master" || die "nginx did not answer on ${port[nginx]} (see $tmp/nginx/error.log)"
# The worker serves; its CPU time is what counts.
cpupid[nginx]=$(ps -o pid= --ppid "$nginx_master" | head -n1 | tr -d ' ')
logfile[nginx]=$tmp/nginx/error.log
[[ -n ${cpupid[nginx]} ]] || die "nginx worker not found"

# --- the variants -----------------------------------------------------------
for v in $VARIANTS; do
	port[$v]=$(free_port)
	"${on_cpu[@]}" "$SERVER_CPU" bin/scalelab serve "$v" --addr "127.0.0.1:${port[$v]}" --backlog 4096 \
		>"$tmp/$v.log" 2>&1 &
	pids+=($!)
	cpupid[$v]=$!
	logfile[$v]=$tmp/$v.log
	wait_ready "${port[$v]}" "$!" || die "variant $v did not answer on ${port[$v]}: $(tail -n 5 "$tmp/$v.log")"
done

targets=(nginx $VARIANTS)
clk_tck=$(getconf CLK_TCK)

# cputicks TARGET: utime+stime of the target's serving process, in clock
# ticks; dies when the process is gone.
cputicks() {
	awk '{print $14 + $15}' "/proc/${cpupid[$1]}/stat" 2>/dev/null ||
		die "$1 (pid ${cpupid[$1]}) has exited: $(tail -n 5 "${logfile[$1]}")"
}

# run_wrk TARGET DURATION OUTFILE: one wrk run; appends "rps p99_ms errors
# server_cpu% wrk_cpu%" to OUTFILE.
run_wrk() {
	local t=$1 d=$2 out=$3 raw="$tmp/wrk.$1.$RANDOM.txt" c0 c1 start end wall wrkcpu
	c0=$(cputicks "$t")
	start=$(date +%s.%N)
	TIMEFORMAT='%U %S'
	{ time "${on_cpu[@]}" "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"$d" --latency \
		"http://127.0.0.1:${port[$t]}$PATH_Q" >"$raw" 2>&1; } 2>"$raw.time" ||
		die "wrk against $t failed: $(tail -n 3 "$raw")"
	end=$(date +%s.%N)
	c1=$(cputicks "$t")
	[[ -n $out ]] || return 0
	wall=$(awk -v a="$start" -v b="$end" 'BEGIN{print b - a}')
	wrkcpu=$(awk -v w="$wall" '{printf "%.0f", ($1 + $2) / w * 100}' "$raw.time")
	awk -v c0="$c0" -v c1="$c1" -v tck="$clk_tck" -v w="$wall" -v wc="$wrkcpu" '
		/Requests\/sec:/ { rps = $2 }
		/^ +99%/ { p99 = $2 }
		/Socket errors:/ { gsub(",", ""); errs += $4 + $6 + $8 + $10 }
		/Non-2xx or 3xx responses:/ { errs += $NF }
		function ms(s) {
			if (s ~ /us$/) return s / 1000
			if (s ~ /ms$/) return s + 0
			if (s ~ /m$/) return s * 60000
			if (s ~ /s$/) return s * 1000
			return s
		}
		END {
			if (rps == "") exit 1
			cpu = (c1 - c0) / tck / w * 100
			printf "%s %.3f %d %.0f %s %.0f\n", rps, ms(p99), errs, cpu, wc, (cpu > 0 ? rps / cpu * 100 : 0)
		}' "$raw" >>"$out" || die "could not read wrk output for $t: $(cat "$raw")"
}

if [[ $WARMUP != 0 ]]; then
	echo "anchors: warming up each target for $WARMUP" >&2
	for t in "${targets[@]}"; do run_wrk "$t" "$WARMUP" ""; done
fi

for ((r = 1; r <= ROUNDS; r++)); do
	for t in "${targets[@]}"; do
		run_wrk "$t" "$DURATION" "$tmp/results.$t"
		echo "anchors: round $r/$ROUNDS $t $(tail -n1 "$tmp/results.$t" | cut -d' ' -f1) req/s" >&2
	done
done
# One more nginx run closes the last round, so that every variant's run has
# an nginx run on each side (the bracket of the paired ratio).
run_wrk nginx "$DURATION" "$tmp/nginx.bracket"
cat "$tmp/results.nginx" "$tmp/nginx.bracket" | tail -n +2 | cut -d' ' -f1 >"$tmp/nginx.next"

# --- the table --------------------------------------------------------------
# median COLUMN FILE
median() {
	sort -g -k"$1","$1" "$2" | awk -v c="$1" '{v[NR] = $c} END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
nginx_median=$(median 1 "$tmp/results.nginx")

echo
echo "anchors: wrk -t1 -c$CONNECTIONS -d$DURATION --latency http://127.0.0.1:PORT$PATH_Q, server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU, nice $NICE, $ROUNDS rounds interleaved"
echo "  $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) $(nproc) CPUs, $(go version | cut -d' ' -f3), $(nginx -v 2>&1 | sed 's/.*: //'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo
printf '| %-8s | %12s | %-13s | %8s | %8s | %6s | %12s | %6s | %7s | %7s | %11s | %8s |\n' \
	variant "median req/s" "min-max" "vs nginx" "paired" spread "p99 ms (med)" errors "srv cpu" "wrk cpu" "req/cpu-s" "vs nginx"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------- -------------- --------------- ---------- ---------- -------- -------------- -------- --------- --------- ------------- ----------
nginx_eff=$(median 6 "$tmp/results.nginx")
for t in "${targets[@]}"; do
	f="$tmp/results.$t"
	med=$(median 1 "$f")
	lo=$(sort -g -k1,1 "$f" | head -n1 | cut -d' ' -f1)
	hi=$(sort -g -k1,1 "$f" | tail -n1 | cut -d' ' -f1)
	# paired: the median over the rounds of this run's req/s over the mean
	# of the nginx runs just before and after it (this round's and the
	# next), steadier when the machine's load drifts.
	paired=1
	[[ $t == nginx ]] || paired=$(paste -d' ' "$f" "$tmp/results.nginx" "$tmp/nginx.next" |
		awk '{print $1 / (($7 + $13) / 2)}' | sort -g |
		awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	awk -v t="$t" -v med="$med" -v lo="$lo" -v hi="$hi" -v ng="$nginx_median" -v paired="$paired" \
		-v p99="$(median 2 "$f")" -v scpu="$(median 4 "$f")" -v wcpu="$(median 5 "$f")" \
		-v eff="$(median 6 "$f")" -v ngeff="$nginx_eff" \
		'{ errs += $3 } END {
			printf "| %-8s | %12.0f | %-13s | %7.2fx | %7.2fx | %5.1f%% | %12.2f | %6d | %6.0f%% | %6.0f%% | %11.0f | %7.2fx |\n",
				t, med, sprintf("%.0f-%.0f", lo, hi), med / ng, paired, (hi - lo) / med * 100, p99, errs, scpu, wcpu,
				eff, (ngeff > 0 ? eff / ngeff : 0)
		}' "$f"
done
echo
echo "vs nginx = median / nginx's median; paired = median over the rounds of req/s / mean of the nginx runs on either side;"
echo "spread = (max - min) / median over the rounds; srv cpu = server CPU time / wall time (100% = its one core);"
echo "wrk cpu near 100% means the client, not the server, bounds the number; req/cpu-s = requests per second of"
echo "server CPU time (median over the rounds), steadier than req/s when the server does not get its core to itself."
bound=""
for t in "${targets[@]}"; do
	awk -v c="$(median 5 "$tmp/results.$t")" 'BEGIN { exit !(c >= 95) }' && bound+=" $t"
done
[[ -z $bound ]] || echo "note: wrk used >= 95% of its CPU against:$bound; there the number is the client's ceiling, a lower bound for the server."
awk -v c="$(median 4 "$tmp/results.nginx")" 'BEGIN { if (c < 90) printf "warning: nginx had %.0f%% of its CPU (median): the machine is busy, req/s ratios are noisy\n", c }'

# The issue's targets, measured side by side in this run.
check() {
	local t=$1 want=$2 f="$tmp/results.$1"
	[[ -f $f ]] || return 0
	awk -v t="$t" -v want="$want" -v med="$(median 1 "$f")" -v ng="$nginx_median" 'BEGIN {
		r = med / ng
		printf "target %-8s >= %.2fx nginx: %.2fx %s\n", t, want, r, (r >= want ? "met" : "SHORT")
	}'
}
echo
check gnet 1.00
check fasthttp 0.95
