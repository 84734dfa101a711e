# lib.sh: what the paired benchmarks (bench-driver.sh, bench-h2.sh) share.
# Sourced first: it sets strict mode, names the script in errors and
# declares the flags every benchmark takes (--rounds --bin --nice); the
# script declares its own with flag, then calls parse_flags "$@".
set -euo pipefail

prog=$(basename "$0" .sh)
die() { echo "$prog: $*" >&2; exit 2; }

flag_names=" "
declare -A flag_check flag_what

# flag NAME DEFAULT [REGEX WHAT] declares the flag --NAME VALUE, which sets
# the variable NAME (DEFAULT without it); a value must match REGEX, and
# WHAT says what it must be.
flag() {
	flag_names+="$1 "
	printf -v "$1" '%s' "$2"
	flag_check[$1]=${3:-}
	flag_what[$1]=${4:-}
}

# parse_flags ARGS... sets the declared flags and checks their values;
# -h prints the script's header comment.
parse_flags() {
	local name
	while [[ $# -gt 0 ]]; do
		if [[ $1 == -h || $1 == --help ]]; then sed -n '2,25p' "$0"; exit 0; fi
		name=${1#--}
		[[ $1 == --* && $flag_names == *" $name "* ]] || die "unknown flag $1"
		[[ $# -ge 2 ]] || die "flag $1 needs a value"
		printf -v "$name" '%s' "$2"
		shift 2
	done
	for name in $flag_names; do
		if [[ -n ${flag_check[$name]} && ! ${!name} =~ ${flag_check[$name]} ]]; then
			die "--$name must be ${flag_what[$name]}, not '${!name}'"
		fi
	done
}

flag rounds 3 '^[1-9][0-9]*$' "a positive integer"
flag bin bin/scalelab
flag nice 0 '^-?[0-9]+$' "an integer"

need() { # need COMMAND PACKAGE: installs PACKAGE when COMMAND is missing
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "$prog: installing $2" >&2
		apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y "$2" >/dev/null
	fi
}

# need_common installs taskset and GNU time, checks that $bin was built and
# raises the open-file limit to 20000.
need_common() {
	need taskset util-linux
	[[ -x /usr/bin/time ]] || need /usr/bin/time time
	[[ -x $bin ]] || die "$bin missing (run make build)"
	ulimit -n 20000 || die "cannot raise the open-file limit to 20000"
}

# bench_workdir makes $work, a scratch directory removed on exit together
# with the server still running.
bench_workdir() {
	work=$(mktemp -d)
	server_pid=
	trap 'stop_server; rm -rf "$work"' EXIT
}

stop_server() {
	if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	server_pid=
}

# start_nginx LISTEN_OPTIONS [HTTP_DIRECTIVE] starts nginx on CPU 0 (one
# worker, `return 200 "ok"`, access log off, keep-alive connections never
# closed by it) on 127.0.0.1:$port; LISTEN_OPTIONS go on its listen line
# (e.g. "http2 backlog=20000"), HTTP_DIRECTIVE into its http block.
start_nginx() {
	cat >"$work/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
master_process off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  ${2:-}
  server {
    listen 127.0.0.1:$port $1;
    location / { return 200 "ok"; }
  }
}
EOF
	nice -n "$nice" taskset -c 0 nginx -p "$work" -c "$work/nginx.conf" &
	server_pid=$!
}

# wait_listening NAME: waits up to 5 s for a server to accept on $port.
wait_listening() {
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return; fi
		sleep 0.1
	done
	die "$1 did not start listening on port $port"
}

# sl_rps FILE prints the rps of a `scalelab load` JSON summary.
sl_rps() { sed -n 's/^  "rps": \([0-9.]*\),*$/\1/p' "$1"; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
