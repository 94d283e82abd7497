# tests/bench/lib-call.sh: helpers of the call benchmarks of run.sh (bash;
# sourced by run.sh after it has set bench_tmp, say and fail).
#
# Processes.  Every peer (sipterm, baresip, SIPp, udprelay, dumpcap) runs
# under timeout(1) or with its own time limit, is started in the
# background with its pid recorded in bench_pids, and is stopped by that
# pid (bench_kill_all runs from run.sh's EXIT trap).  sipterm and baresip
# run under "timeout --foreground", whose only child is the peer: the
# figures are read from /proc/CHILD.
#
# CPU time.  cpu_ns PID sums the first field of /proc/PID/task/*/schedstat
# (nanoseconds of CPU, every live thread); the benchmarks sample it over a
# window in which every call is up, so no thread of interest starts or
# ends inside it (baresip's aufile runs one thread per call, which exits
# with the call and takes its schedstat with it; utime+stime of
# /proc/PID/stat would keep it, but in 10 ms clock ticks).
#
# Ports.  SIP and RTP stay on 127.0.0.1 (SIPp's remote-control port, -cp,
# is bound to every address by SIPp itself); free ports are drawn at
# random from 20000-59999 and checked with ss(8) (SIPp's defaults 5060,
# 6000 and 8888 would collide with tests running in parallel).

BENCH_BS_MODS=${BENCH_BS_MODS:-/usr/lib/baresip/modules}
SIPTERM=${SIPTERM:-$top_builddir/sipterm}
bench_pids=""

now() { printf '%s\n' "$EPOCHREALTIME"; }
# since T0: seconds elapsed since the $EPOCHREALTIME value T0
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
# sleep_until T0 S: sleep until S seconds after T0 (no sleep if past)
sleep_until() {
	local d
	d=$(awk -v a="$1" -v s="$2" -v b="$EPOCHREALTIME" 'BEGIN { d = a + s - b; printf "%.3f", (d > 0 ? d : 0) }')
	sleep "$d"
}
# calc EXPR [VAR=VALUE...]: awk arithmetic, printed
calc() {
	local e=$1
	shift
	awk "$@" "BEGIN { print $e }"
}

bench_track() { bench_pids="$bench_pids $*"; }

# bench_kill_all: TERM to every process started here, then KILL (timeout's
# children first: they are what matters)
bench_kill_all() {
	local p live=""
	for p in $bench_pids; do
		kill -0 "$p" 2>/dev/null && live="$live $p"
	done
	[ -n "$live" ] || return 0
	for p in $live; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in $live; do kill -KILL "$p" 2>/dev/null; done
	for p in $live; do wait "$p" 2>/dev/null; done
	return 0
}

# wait_for SECONDS CMD...: poll CMD every 0.05 s until it succeeds
wait_for() {
	local t
	t=$(( $1 * 20 ))
	shift
	while [ "$t" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.05
		t=$((t - 1))
	done
	return 1
}

udp_free() { ! ss -Huanl "sport = :$1" 2>/dev/null | grep -q .; }
tcp_free() { ! ss -Htanl "sport = :$1" 2>/dev/null | grep -q .; }
udp_listening() { ! udp_free "$1"; }

# free_port [COUNT]: P such that P..P+COUNT-1 (default 1) are free for UDP
# and TCP; even P when COUNT > 1 (an RTP/RTCP pair)
free_port() {
	local i r p k ok
	for i in $(seq 1 100); do
		r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		p=$(( r % 40000 + 20000 ))
		[ "${1:-1}" -gt 1 ] && p=$((p & ~1))
		ok=1
		for k in $(seq 0 $(( ${1:-1} - 1 ))); do
			udp_free $((p + k)) && tcp_free $((p + k)) || { ok=0; break; }
		done
		[ $ok = 1 ] && { echo "$p"; return 0; }
	done
	return 1
}

# child_of PID: the only child of a timeout(1) process
child_of() {
	local c
	c=$(pgrep -P "$1" 2>/dev/null | head -n 1)
	[ -n "$c" ] && echo "$c"
}

# cpu_ns PID: CPU time of the live threads, in nanoseconds
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
# vm PID FIELD: a figure of /proc/PID/status in kB (VmRSS, VmHWM...)
vm() { awk -v f="$2:" '$1 == f { print $2 }' /proc/"$1"/status 2>/dev/null; }
# pss PID: proportional set size in kB (shared pages divided among their users)
pss() { awk '$1 == "Pss:" { print $2 }' /proc/"$1"/smaps_rollup 2>/dev/null; }
mb() { awk -v k="$1" 'BEGIN { if (k == "") print "-"; else printf "%.2f", k / 1024 }'; }

# ---------------------------------------------------------------------------
# sipterm

# st_home DIR: a private HOME with XDG directories, exported
st_home() {
	mkdir -p "$1/.config" "$1/.local/share" "$1/.cache" "$1/.local/state" "$1/run"
	chmod 700 "$1/run"
	export HOME="$1" XDG_CONFIG_HOME="$1/.config" XDG_DATA_HOME="$1/.local/share" \
		XDG_CACHE_HOME="$1/.cache" XDG_STATE_HOME="$1/.local/state" \
		XDG_RUNTIME_DIR="$1/run"
}

_st_port() {
	_stp=$(sed -n 's/.*listening for SIP on port \([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
	[ -n "$_stp" ] && [ "$_stp" != 0 ]
}

# st_start NAME LIMIT [ARGS...]: sipterm --headless --events json on
# 127.0.0.1 port 0, in the background, killed after LIMIT seconds; events
# in $bench_tmp/NAME.ev (each line prefixed by its arrival time, seconds
# since the epoch, when ST_STAMP=1), log in NAME.err, HOME (and XDG
# directories) in $ST_HOME or NAME.home.  Sets ST_T (the
# timeout process), ST_PID (sipterm) and ST_PORT.
st_start() {
	local n=$1 limit=$2 d=$bench_tmp h
	shift 2
	h=${ST_HOME:-$d/$n.home}
	ST_T="" ST_PID="" ST_PORT=""
	rm -f "$d/$n.ev" "$d/$n.err"
	: > "$d/$n.err"
	if [ "${ST_STAMP:-0}" = 1 ]; then
		# through a FIFO to a reader that stamps each line with bash's
		# $EPOCHREALTIME (no fork per line)
		rm -f "$d/$n.fifo"
		mkfifo "$d/$n.fifo" || return 1
		while IFS= read -r _l; do printf '%s %s\n' "$EPOCHREALTIME" "$_l"; done \
			< "$d/$n.fifo" > "$d/$n.ev" &
		bench_track $!
		( st_home "$h" && exec timeout --foreground -k 2 "$limit" "$SIPTERM" \
			--headless -l 127.0.0.1:0 --events json "$@" ) </dev/null >"$d/$n.fifo" \
			2>"$d/$n.err" &
		ST_T=$!
	else
		( st_home "$h" && exec timeout --foreground -k 2 "$limit" "$SIPTERM" \
			--headless -l 127.0.0.1:0 --events json "$@" ) </dev/null >"$d/$n.ev" \
			2>"$d/$n.err" &
		ST_T=$!
	fi
	[ -n "$ST_T" ] && bench_track "$ST_T"
	if ! wait_for 5 _st_port "$d/$n.err"; then
		say "note: sipterm $n did not start: $(tail -n 3 "$d/$n.err" | tr '\n' ' ')"
		st_stop
		return 1
	fi
	ST_PORT=$_stp
	ST_PID=$(child_of "$ST_T")
	[ -n "$ST_PID" ] && bench_track "$ST_PID"
	[ -n "$ST_PID" ]
}

# st_stop: SIGTERM, at most 5 s, then KILL
st_stop() {
	[ -n "${ST_T:-}" ] || return 0
	kill -TERM "$ST_T" 2>/dev/null
	wait_for 5 eval "! kill -0 $ST_T"
	[ -n "${ST_PID:-}" ] && kill -KILL "$ST_PID" 2>/dev/null
	kill -KILL "$ST_T" 2>/dev/null
	wait "$ST_T" 2>/dev/null
	ST_T="" ST_PID=""
}

# st_conf NAME TEXT: $bench_tmp/NAME.conf (printf %b)
st_conf() {
	printf '%b' "$2" > "$bench_tmp/$1.conf"
	chmod 600 "$bench_tmp/$1.conf"
}

# ev_lines FILE EVENT: the JSON lines of EVENT (time stamps kept)
ev_lines() { grep "{\"event\":\"$2\"" "$1" 2>/dev/null; }
# jfield LINE KEY: a number or string of a JSON event line
jfield() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }

# st_media_totals FILE: "calls sent received lost late" over the last
# call-stats of every call in FILE
st_media_totals() {
	ev_lines "$1" call-stats | awk '
		{ c = $0; sub(/.*"call":/, "", c); sub(/,.*/, "", c); last[c] = $0 }
		function f(l, k,   v) { v = l; if (!sub(".*\"" k "\":", "", v)) return 0
			sub(/[,}].*/, "", v); return v + 0 }
		END { for (c in last) { n++; s += f(last[c], "sent"); r += f(last[c], "received")
			lo += f(last[c], "lost"); la += f(last[c], "late") }
			printf "%d %d %d %d %d\n", n, s, r, lo, la }'
}

# ---------------------------------------------------------------------------
# baresip

have_baresip() {
	local m
	command -v baresip >/dev/null 2>&1 || { BS_WHY="baresip not installed (apt-get install baresip)"; return 1; }
	for m in "$@"; do
		[ -f "$BENCH_BS_MODS/$m.so" ] || { BS_WHY="baresip module $m.so missing in $BENCH_BS_MODS"; return 1; }
	done
	return 0
}

# bs_conf DIR PORT WAV CODEC_MODULE: a private baresip configuration: SIP on
# 127.0.0.1:PORT, the microphone is aufile reading WAV (which must last the
# whole call: aufile does not loop), nothing plays, auto-answer, no
# registration.  Opus: mono (aufile wants the WAV at the codec's rate and
# channels: 48 kHz mono).
bs_conf() {
	local dir=$1 port=$2 wav=$3 codec=$4
	mkdir -p "$dir"
	cat > "$dir/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:$port
net_interface		127.0.0.1
call_local_timeout	60
call_max_calls		200
audio_source		aufile,$wav
audio_alert		none
module_path		$BENCH_BS_MODS
module			$codec.so
module			aufile.so
module			account.so
statmode_default	off
opus_stereo		no
opus_sprop_stereo	no
EOF
	echo "<sip:bob@127.0.0.1>;regint=0;answermode=auto" > "$dir/accounts"
}

# bs_start NAME LIMIT CONFDIR PORT: baresip in the background; sets BS_T,
# BS_PID; the log is $bench_tmp/NAME.log
bs_start() {
	local n=$1 limit=$2 dir=$3 port=$4
	BS_T="" BS_PID=""
	timeout --foreground -k 2 "$limit" baresip -f "$dir" </dev/null >"$bench_tmp/$n.log" 2>&1 &
	BS_T=$!
	bench_track "$BS_T"
	if ! wait_for 5 udp_listening "$port"; then
		say "note: baresip $n did not start: $(tail -n 3 "$bench_tmp/$n.log" | tr '\n' ' ')"
		bs_stop
		return 1
	fi
	BS_PID=$(child_of "$BS_T")
	[ -n "$BS_PID" ] && bench_track "$BS_PID"
	[ -n "$BS_PID" ]
}

bs_stop() {
	[ -n "${BS_T:-}" ] || return 0
	kill -TERM "$BS_T" 2>/dev/null
	wait_for 5 eval "! kill -0 $BS_T"
	[ -n "${BS_PID:-}" ] && kill -KILL "$BS_PID" 2>/dev/null
	kill -KILL "$BS_T" 2>/dev/null
	wait "$BS_T" 2>/dev/null
	BS_T="" BS_PID=""
}

# bs_errors NAME: baresip's error lines (it prints them in red)
bs_errors() { grep -a "$(printf '\033')\[31m" "$bench_tmp/$1.log" 2>/dev/null | tr -d '\033' | head -n 3; }

# ---------------------------------------------------------------------------
# SIPp

# sipp_bg NAME SCENARIO TARGET LIMIT [OPTIONS...]: SIPp UAC in the
# background from 127.0.0.1, working directory $bench_tmp (rtp_stream
# reads its file there); sets SIPP_T.  Output in NAME.sipp.
sipp_bg() {
	local n=$1 sc=$2 target=$3 limit=$4 p cp
	shift 4
	p=$(free_port) && cp=$(free_port) || return 1
	( cd "$bench_tmp" && exec timeout -k 2 "$limit" sipp -sf "$bench_here/sipp/$sc.xml" \
		-i 127.0.0.1 -mi 127.0.0.1 -bind_local -p "$p" -cp "$cp" -nostdin \
		-s bob -timeout "${limit}s" -timeout_error \
		-trace_err -error_file "$bench_tmp/$n.sipp-err" "$@" "$target" ) \
		</dev/null >"$bench_tmp/$n.sipp" 2>&1 &
	SIPP_T=$!
	bench_track "$SIPP_T"
}

# sipp_ok NAME: SIPp's count of successful calls
sipp_ok() {
	awk -F'|' '/Successful call/ { v = $3 } END { gsub(/ /, "", v); print v + 0 }' \
		"$bench_tmp/$1.sipp" 2>/dev/null
}

# ---------------------------------------------------------------------------
# statistics

# stats: "n median p90 max min" of the numbers on standard input
stats() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (!NR) { print "0 - - - -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			i = int(0.9 * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR
			m = sprintf("%.3f", m); if (m ~ /\./) sub(/\.?0+$/, "", m)
			print NR, m, v[i], v[NR], v[1] }'
}

# met_le A B: "MET" when A <= B, else "MISSED" ("-" without figures)
met_le() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-") print "-";
		else print (a + 0 <= b + 0) ? "MET" : "MISSED" }'
}
