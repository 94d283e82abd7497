#!/bin/sh
# tests/bench/run.sh: the benchmarks behind `make bench`.
#
#   run.sh [SECTION...]   sections: parse calls setup echo opus (default: all)
#
# One function per benchmark (bench_parse, bench_calls, ...), each printing
# key=value lines ("bench=calls n=10 sipterm_cpu_ms_per_call_s=... ratio=...
# target=MET") and a summary.  Run from the build directory by make;
# top_srcdir and top_builddir are derived from $0 and the cwd when unset.
# Figures against another program (Sofia-SIP, baresip) are measured in the
# same run, and the ratio is what a target is judged on.
#
#   parse   sip_msg_parse() against Sofia-SIP's msg_make()
#   calls   SIPp calls (PCMU, RTP both ways) into sipterm and into baresip,
#           N = 1, 10, 50 at once: CPU per call-second, peak and idle RSS,
#           RTP lost (issue 4)
#   setup   INVITE to 200 OK with auto-answer, 100 calls one after another,
#           from a packet capture (issue 4)
#   echo    round trip added by sipterm: a click train through a --echo
#           callee, at zero network jitter, then 0-60 ms of jitter and back
#           (issue 5)
#   opus    CPU per call-second with Opus, N = 1 and 10 (issue 5)
#
# Environment: BENCH_SECONDS (2) per message and parser, split into
# BENCH_ROUNDS (4) alternating rounds; BENCH_SOFIA_EQ=0 skips the "equal
# work" Sofia run; BENCH_CALL_SECS (20) per load call, BENCH_CALL_NS
# ("1 10 50"); BENCH_SETUP_CALLS (100); BENCH_ECHO_CLEAN_S (8),
# BENCH_ECHO_JITTER_S (10), BENCH_ECHO_AFTER_S (14); BENCH_OPUS_SECS (12),
# BENCH_OPUS_NS ("1 10"); BENCH_NO_BARESIP=1 skips baresip;
# BENCH_MAX_SECS (1200) bounds the whole run; BENCH_STRICT=1 makes a missed
# target an error; BENCH_KEEP=1 keeps the scratch directory (logs,
# captures, recordings).
set -u

# the call sections are bash (arrays, $EPOCHREALTIME): rerun under bash
if [ -z "${BASH_VERSION:-}" ] && command -v bash >/dev/null 2>&1; then
	exec bash "$0" "$@"
fi

bench_here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$bench_here/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	if [ -x ./tests/bench/bench-parse ] || [ -x ./sipterm ]; then
		top_builddir=$(pwd)
	else
		top_builddir=$top_srcdir
	fi
fi
export top_srcdir top_builddir

bench_failed=0
bench_tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipterm-bench.XXXXXX") || exit 1
bench_cleanup() {
	command -v bench_kill_all >/dev/null 2>&1 && bench_kill_all
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "(scratch files kept in $bench_tmp)" >&2
	else
		rm -rf "$bench_tmp"
	fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
fail() { say "FAIL: $*" >&2; bench_failed=1; }
# field LINE KEY: the value of KEY=value in a line of key=value pairs
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
# ratio A B: A / B with two decimals
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = "^[0-9.]+$"
		if (a ~ n && b ~ n && b > 0) printf "%.2f", a / b; else print "-" }'
}
# better LINE1 LINE2: the benchmark line with the lower ns_per_msg
better() {
	if [ -z "$1" ] || awk -v a="$(field "$1" ns_per_msg)" -v b="$(field "$2" ns_per_msg)" \
		'BEGIN { exit !(b < a) }'; then
		printf '%s\n' "$2"
	else
		printf '%s\n' "$1"
	fi
}

# ---------------------------------------------------------------------------
# parse: sip_msg_parse() against Sofia-SIP's msg_make() on the same messages
# (tests/bench/msgs/*.sip), same driver (tests/bench/bench.c), same loop.
# Target: sipterm >= 2.5x Sofia's msgs/sec on the INVITE.
PARSE_TARGET=2.5

# Before timing anything: every message is valid for sipterm, both parsers
# decode the same values from it, and both reject broken messages.
parse_sanity() {
	bp=$1 sofia=$2
	shift 2
	if [ -x "$top_builddir/sipterm" ]; then
		out=$("$top_builddir/sipterm" --parse "$@" 2>&1)
		if [ $? -ne 0 ] || printf '%s\n' "$out" | grep -q 'error\|answers 400'; then
			fail "sipterm --parse rejects a benchmark message:"
			say "$out" >&2
		fi
	fi
	"$bp" -c "$@" > "$bench_tmp/dec.sipterm" || fail "bench-parse -c failed"
	if [ -n "$sofia" ]; then
		"$sofia" -c "$@" > "$bench_tmp/dec.sofia" || fail "bench-parse-sofia -c failed"
		"$sofia" -e -c "$@" > "$bench_tmp/dec.sofia-eq" ||
			fail "bench-parse-sofia -e -c failed"
		for p in sofia sofia-eq; do
			sed 's/^parser=[^ ]* //' "$bench_tmp/dec.sipterm" > "$bench_tmp/a"
			sed 's/^parser=[^ ]* //' "$bench_tmp/dec.$p" > "$bench_tmp/b"
			if ! diff "$bench_tmp/a" "$bench_tmp/b" > "$bench_tmp/diff"; then
				fail "sipterm and $p decode different values:"
				cat "$bench_tmp/diff" >&2
			fi
		done
	fi
	# broken copies of the INVITE: each parser must refuse them
	inv=$top_srcdir/tests/bench/msgs/invite.sip
	[ -f "$inv" ] || return 0
	n=0
	for edit in 's/^CSeq: 1 INVITE/CSeq: x INVITE/' \
		    's/^Via: SIP\/2.0\/UDP 192.0.2.101:5060;/Via: SIP\/2.0\/UDP ;/' \
		    's/^From: .*/From: "Alice <sip:alice@atlanta.example.com;tag=9fxced76sl/' \
		    's/^Content-Length: [0-9]*/Content-Length: 99999/'; do
		n=$((n + 1))
		sed "$edit" "$inv" > "$bench_tmp/bad$n.sip"
		if cmp -s "$inv" "$bench_tmp/bad$n.sip"; then
			fail "broken-message edit $n changed nothing: $edit"
			continue
		fi
		for prog in "$bp" ${sofia:+"$sofia"}; do
			if BENCH_ITERS=1 "$prog" "$bench_tmp/bad$n.sip" > /dev/null 2>&1; then
				fail "$(basename "$prog") accepts a broken message ($edit)"
			fi
		done
	done
}

bench_parse() {
	bp=$top_builddir/tests/bench/bench-parse
	sofia=$top_builddir/tests/bench/bench-parse-sofia
	msgdir=$top_srcdir/tests/bench/msgs
	eq=${BENCH_SOFIA_EQ:-1}

	say "== parse: sip_msg_parse() vs Sofia-SIP msg_make(), one message object per parse"
	if [ ! -x "$bp" ]; then
		fail "$bp not built: run 'make bench' in the build directory, or set top_builddir"
		return
	fi
	if [ ! -x "$sofia" ]; then
		say "note: bench-parse-sofia not built (apt-get install libsofia-sip-ua-dev," \
		    "then re-run configure): sipterm figures only"
		sofia=
	fi
	set -- "$msgdir"/*.sip
	if [ ! -f "$1" ]; then
		fail "no messages in $msgdir"
		return
	fi
	parse_sanity "$bp" "$sofia" "$@"
	if [ "$bench_failed" -ne 0 ]; then
		say "parse: sanity checks failed, no figures" >&2
		return
	fi
	rounds=${BENCH_ROUNDS:-4}
	round_s=$(awk -v t="${BENCH_SECONDS:-2}" -v r="$rounds" 'BEGIN { print t / r }')
	say "(ns: fastest ~20 ms batch in ${BENCH_SECONDS:-2} s per parser and message, in" \
	    "$rounds alternating rounds; *_median_ns: median batch of the best round;" \
	    "sofia: stock sip_default_mclass; sofia_eq: only the headers sipterm decodes eagerly)"

	inv_line=
	for f in "$@"; do
		# The parsers take turns, BENCH_ROUNDS times, on each message and
		# each keeps its best round: a spell of load from other processes
		# then hits both alike instead of one.
		a= b= c= r=0
		while [ "$r" -lt "$rounds" ]; do
			r=$((r + 1))
			x=$(BENCH_SECONDS=$round_s "$bp" "$f") || { fail "bench-parse $f"; break; }
			a=$(better "$a" "$x")
			[ -n "$sofia" ] || continue
			x=$(BENCH_SECONDS=$round_s "$sofia" "$f") ||
				{ fail "bench-parse-sofia $f"; break; }
			b=$(better "$b" "$x")
			[ "$eq" != 0 ] || continue
			x=$(BENCH_SECONDS=$round_s "$sofia" -e "$f") ||
				{ fail "bench-parse-sofia -e $f"; break; }
			c=$(better "$c" "$x")
		done
		[ "$bench_failed" -eq 0 ] || return
		name=$(field "$a" msg)
		a_ns=$(field "$a" ns_per_msg)
		line="msg=$name bytes=$(field "$a" bytes) sipterm_ns=$a_ns"
		line="$line sipterm_msgs_per_sec=$(field "$a" msgs_per_sec)"
		if [ -n "$sofia" ]; then
			b_ns=$(field "$b" ns_per_msg)
			line="$line sofia_ns=$b_ns sofia_msgs_per_sec=$(field "$b" msgs_per_sec)"
			line="$line speedup_vs_sofia=$(ratio "$b_ns" "$a_ns")"
			if [ "$eq" != 0 ]; then
				c_ns=$(field "$c" ns_per_msg)
				line="$line sofia_eq_ns=$c_ns speedup_vs_sofia_eq=$(ratio "$c_ns" "$a_ns")"
			fi
			line="$line sipterm_median_ns=$(field "$a" median_ns)"
			line="$line sofia_median_ns=$(field "$b" median_ns)"
		fi
		say "$line"
		[ "$name" = invite ] && inv_line=$line
	done

	if [ -z "$inv_line" ]; then
		fail "no INVITE figure (tests/bench/msgs/invite.sip)"
		return
	fi
	x=$(field "$inv_line" speedup_vs_sofia)
	s="summary: parse INVITE ($(field "$inv_line" bytes) bytes): sipterm"
	s="$s $(field "$inv_line" sipterm_ns) ns ($(field "$inv_line" sipterm_msgs_per_sec) msgs/s)"
	if [ -n "$sofia" ]; then
		met=$(awk -v x="$x" -v t="$PARSE_TARGET" 'BEGIN { print (x >= t) ? "met" : "MISSED" }')
		s="$s, sofia $(field "$inv_line" sofia_ns) ns; speedup_vs_sofia=$x"
		s="$s (target >= $PARSE_TARGET: $met)"
		[ "$eq" != 0 ] && s="$s; speedup_vs_sofia_eq=$(field "$inv_line" speedup_vs_sofia_eq)"
		if [ "$met" = MISSED ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
			fail "parse target missed"
		fi
	fi
	say "$s"
}

# ---------------------------------------------------------------------------
# The call benchmarks (bash; helpers in tests/bench/lib-call.sh).

# calls_need: what every call section needs; prints why not and fails
calls_need() {
	local c sec=$1
	shift
	if [ -z "${BASH_VERSION:-}" ]; then
		say "bench=$sec skipped: bash is needed for the call benchmarks"
		return 1
	fi
	if [ ! -x "$SIPTERM" ]; then
		fail "$SIPTERM not built"
		return 1
	fi
	for c in sox timeout ss pgrep "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			say "bench=$sec skipped: $c not installed"
			return 1
		fi
	done
}

# bs_wanted MODULE...: whether baresip is compared (else BS_WHY says why)
bs_wanted() {
	if [ "${BENCH_NO_BARESIP:-0}" = 1 ]; then
		BS_WHY="BENCH_NO_BARESIP=1"
		return 1
	fi
	have_baresip "$@"
}

strict_miss() {
	if [ "$1" = MISSED ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
		fail "target missed: $2"
	fi
}

# ---------------------------------------------------------------------------
# calls (issue 4): SIPp places N calls at once (PCMU, 20 ms packets, its
# rtp_stream playing a G.711 file) into the answering side, which streams a
# WAV back in every call: sipterm --headless -A0 --play WAV (--audio null:
# the timer-paced file device), or baresip in auto-answer with aufile
# reading the same WAV, in turns for each N.  Each run starts a fresh
# process: idle RSS 2 s after its start, before any call; peak RSS (VmHWM)
# after its calls; CPU over the window where every call is up (2 s after
# SIPp starts to 2 s before the calls end), per call-second.  sipterm's
# RTP figures come from its call-stats events at the end of each call.
# Targets: sipterm's CPU per call-second at most half of baresip's at N =
# 10 and 50, its idle RSS at most half of baresip's, no RTP lost at N = 50.
CALLS_CPU_TARGET=0.5
CALLS_RSS_TARGET=0.5

# load_run IMPL N SECS: sets L_cpu (ms per call-second), L_win (s), L_idle
# (VmRSS), L_anon and L_file (its anonymous and file-backed parts) and
# L_hwm (kB), L_ok (calls SIPp completed), L_up (calls up at the start
# of the window, sipterm only), L_media ("calls sent received lost late",
# sipterm only); returns non-zero when the run failed
load_run() {
	local impl=$1 n=$2 secs=$3 name=$1-n$2 pid port mp t0 ts a b ta tb limit
	L_cpu=- L_win=- L_idle="" L_anon="" L_file="" L_pss="" L_hwm="" L_ok=0 L_up=- L_media=""
	limit=$((secs + 45))
	case $impl in
	sipterm)
		ST_HOME=$bench_tmp/load.home st_start "$name" "$limit" -A0 --audio null \
			--play "$bench_tmp/load8k.wav" || return 1
		pid=$ST_PID port=$ST_PORT
		;;
	baresip)
		port=$(free_port) || return 1
		bs_conf "$bench_tmp/$name.bs" "$port" "$bench_tmp/load8k.wav" g711
		bs_start "$name" "$limit" "$bench_tmp/$name.bs" "$port" || return 1
		pid=$BS_PID
		;;
	esac
	t0=$(now)
	sleep_until "$t0" 2
	L_idle=$(vm "$pid" VmRSS) L_anon=$(vm "$pid" RssAnon) L_file=$(vm "$pid" RssFile)
	L_pss=$(pss "$pid")
	mp=$(free_port 4) || return 1
	ts=$(now)
	sipp_bg "$name" uac-load "127.0.0.1:$port" $((secs + 30)) -mp "$mp" \
		-m "$n" -l "$n" -r 100 -d $((secs * 1000))
	sleep_until "$ts" 2
	a=$(cpu_ns "$pid") ta=$(now)
	[ "$impl" = sipterm ] && L_up=$(ev_lines "$bench_tmp/$name.ev" call-answered | wc -l)
	sleep_until "$ts" $((secs - 2))
	b=$(cpu_ns "$pid") tb=$(now)
	wait "$SIPP_T"
	sleep 0.3
	L_hwm=$(vm "$pid" VmHWM)
	L_ok=$(sipp_ok "$name")
	L_win=$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.3f", b - a }')
	L_cpu=$(awk -v c=$((b - a)) -v w="$L_win" -v n="$n" 'BEGIN { printf "%.3f", c / 1e6 / (w * n) }')
	if [ "$impl" = sipterm ]; then
		st_stop
		L_media=$(st_media_totals "$bench_tmp/$name.ev")
	else
		local e
		e=$(bs_errors "$name")
		[ -n "$e" ] && say "note: baresip $name: $e"
		bs_stop
	fi
	[ "$L_ok" = "$n" ] || say "note: $impl n=$n: SIPp completed $L_ok of $n calls" \
		"($(grep -m 1 -i 'error\|unexpected' "$bench_tmp/$name.sipp-err" 2>/dev/null))"
	return 0
}

bench_calls() {
	local secs=${BENCH_CALL_SECS:-20} ns=${BENCH_CALL_NS:-1 10 50} n bs=1
	local s_cpu b_cpu r met line idle_s="" idle_b="" calls sent recv lost late
	local anon_s="" file_s="" anon_b="" file_b="" pss_s="" pss_b="" cold=""
	local lost50=- late50=-
	say "== calls: SIPp (PCMU, RTP both ways) into sipterm -A0 --play and into baresip" \
	    "(auto-answer, aufile); N calls at once for $secs s; CPU over the window" \
	    "where all calls are up, per call-second"
	calls_need calls sipp || return 0
	if ! bs_wanted g711 aufile account; then
		bs=0
		say "bench=calls baresip=skipped ($BS_WHY): sipterm figures only, no ratios"
	fi
	# the WAV both answer with (aufile does not loop: longer than a call),
	# and the G.711 u-law stream SIPp sends
	sox -q -n -r 8000 -c 1 -b 16 "$bench_tmp/load8k.wav" synth $((secs + 15)) \
		sine 300-3000 vol 0.5 &&
	sox -q -n -r 8000 -c 1 -e u-law -t raw "$bench_tmp/load.pcmu" synth 4 sine 440 vol 0.5 ||
		{ fail "sox cannot make the benchmark audio"; return; }
	# The very first start in a new HOME creates the instance id and the
	# data directories: measured here once, apart; the load runs then
	# share that HOME, as a user's later starts would.
	if ST_HOME=$bench_tmp/load.home st_start cold 20 -A0 --audio null \
		--play "$bench_tmp/load8k.wav"; then
		sleep 2
		cold=$(vm "$ST_PID" VmRSS)
		st_stop
	fi
	for n in $ns; do
		s_cpu=- b_cpu=- r=- met=-
		if load_run sipterm "$n" "$secs"; then
			s_cpu=$L_cpu
			[ -z "$idle_s" ] && idle_s=$L_idle anon_s=$L_anon file_s=$L_file pss_s=$L_pss
			read -r calls sent recv lost late <<< "${L_media:-0 0 0 0 0}"
			line="bench=calls n=$n sipterm_cpu_ms_per_call_s=$s_cpu"
			line="$line sipterm_peak_rss_mb=$(mb "$L_hwm") sipterm_calls_ok=$L_ok/$n"
			line="$line sipterm_calls_up=$L_up window_s=$L_win"
			line="$line rtp_sent=$sent rtp_received=$recv rtp_lost=$lost rtp_late=$late"
			[ "$n" = 50 ] && lost50=$lost late50=$late
			[ "$L_up" = "$n" ] || say "note: sipterm n=$n: $L_up of $n calls up when the window began"
			[ "$L_ok" = "$n" ] || { s_cpu=-; fail "calls n=$n: sipterm completed $L_ok of $n calls"; }
		else
			fail "calls n=$n: sipterm run failed"
			line="bench=calls n=$n sipterm=failed"
		fi
		if [ $bs = 1 ]; then
			if load_run baresip "$n" "$secs"; then
				b_cpu=$L_cpu
				[ -z "$idle_b" ] && idle_b=$L_idle anon_b=$L_anon file_b=$L_file pss_b=$L_pss
				[ "$L_ok" = "$n" ] || { b_cpu=-; say "note: baresip n=$n: only $L_ok of $n calls"; }
				line="$line baresip_cpu_ms_per_call_s=$b_cpu"
				line="$line baresip_peak_rss_mb=$(mb "$L_hwm") baresip_calls_ok=$L_ok/$n"
			else
				line="$line baresip=failed"
			fi
			r=$(ratio "$s_cpu" "$b_cpu")
			line="$line ratio=$r"
			if [ "$n" = 10 ] || [ "$n" = 50 ]; then
				met=$(met_le "$r" "$CALLS_CPU_TARGET")
				line="$line target=$met (ratio <= $CALLS_CPU_TARGET)"
				strict_miss "$met" "calls n=$n CPU ratio $r"
			fi
		fi
		say "$line"
	done
	line="bench=calls idle_rss sipterm_idle_rss_mb=$(mb "$idle_s")"
	line="$line (anon $(mb "$anon_s"), file $(mb "$file_s"), pss $(mb "$pss_s"),"
	line="$line first start in a new HOME $(mb "$cold"))"
	if [ $bs = 1 ]; then
		r=$(ratio "$idle_s" "$idle_b")
		met=$(met_le "$r" "$CALLS_RSS_TARGET")
		line="$line baresip_idle_rss_mb=$(mb "$idle_b") (anon $(mb "$anon_b"), file $(mb "$file_b"), pss $(mb "$pss_b"))"
		line="$line ratio=$r target=$met (ratio <= $CALLS_RSS_TARGET)"
		strict_miss "$met" "idle RSS ratio $r"
	fi
	say "$line"
	case " $ns " in
	*" 50 "*)
		met=-
		[ "$lost50" != - ] && met=$( [ "$lost50" = 0 ] && echo MET || echo MISSED)
		say "bench=calls n=50 rtp_lost=$lost50 target=$met (no RTP lost at N = 50;" \
		    "besides, $late50 packets came after their playout time and were dropped as late)"
		strict_miss "$met" "RTP lost at N = 50: $lost50"
		;;
	esac
}

# ---------------------------------------------------------------------------
# setup (issue 4): INVITE to 200 OK with auto-answer, calls one after
# another (SIPp -l 1), sipterm then baresip, both answering with the same
# WAV as in "calls".  SIPp's response times use a 4 ms clock here and its
# message trace stamps its own send/receive loop, so the figures come from
# a capture of the UAS port on lo (dumpcap; kernel time stamps, 1 us):
# per Call-ID, the first INVITE to the first 200 of CSeq INVITE.
# Target: sipterm's median at most baresip's.
SETUP_TARGET=1.0

# setup_run IMPL N: sets SU_stats ("n median p90 max min", ms) and SU_ok
setup_run() {
	local impl=$1 n=$2 name=setup-$1 pid port mp cap dc limit=60
	SU_stats="0 - - - -" SU_ok=0
	case $impl in
	sipterm)
		st_start "$name" $limit -A0 --audio null --play "$bench_tmp/setup8k.wav" || return 1
		port=$ST_PORT
		;;
	baresip)
		port=$(free_port) || return 1
		bs_conf "$bench_tmp/$name.bs" "$port" "$bench_tmp/setup8k.wav" g711
		bs_start "$name" $limit "$bench_tmp/$name.bs" "$port" || return 1
		;;
	esac
	cap=$bench_tmp/$name.pcapng
	timeout -k 2 $limit dumpcap -q -i lo -f "udp port $port" -w "$cap" \
		>"$bench_tmp/$name.dumpcap" 2>&1 &
	dc=$!
	bench_track $dc
	# the capture has begun once dumpcap has written the file's header
	wait_for 5 test -s "$cap" || say "note: dumpcap did not start: $(head -c 200 "$bench_tmp/$name.dumpcap")"
	sleep 0.3
	mp=$(free_port 2) || return 1
	sipp_bg "$name" uac-setup "127.0.0.1:$port" 50 -mp "$mp" -m "$n" -l 1 -r 1000 -d 10
	wait "$SIPP_T"
	SU_ok=$(sipp_ok "$name")
	# dumpcap gets the packets from the kernel in blocks, the last one up
	# to about a second late: give it that before stopping it
	sleep 1.2
	kill -TERM $dc 2>/dev/null
	wait $dc 2>/dev/null
	if [ "$impl" = sipterm ]; then st_stop; else bs_stop; fi
	SU_stats=$(tshark -r "$cap" -d "udp.port==$port,sip" -Y sip -T fields \
		-e frame.time_epoch -e sip.Call-ID -e sip.Method -e sip.Status-Code \
		-e sip.CSeq.method 2>/dev/null | awk -F '\t' '
		$3 == "INVITE" && !($2 in inv) { inv[$2] = $1 }
		$4 == "200" && $5 == "INVITE" && ($2 in inv) && !($2 in ok) {
			ok[$2] = 1; printf "%.3f\n", ($1 - inv[$2]) * 1000 }' | stats)
}

bench_setup_latency() {
	local n=${BENCH_SETUP_CALLS:-100} impl bs=1 s b r met line cnt med p90 max min
	say "== setup: INVITE to 200 OK (auto-answer), $n calls one after another, from a" \
	    "capture of the UAS port on lo"
	calls_need setup sipp dumpcap tshark || return 0
	if ! bs_wanted g711 aufile account; then
		bs=0
		say "bench=setup baresip=skipped ($BS_WHY): sipterm figures only"
	fi
	# a short WAV: baresip's aufile reads the whole file when a call starts
	sox -q -n -r 8000 -c 1 -b 16 "$bench_tmp/setup8k.wav" synth 3 sine 300-3000 vol 0.5 ||
		{ fail "sox cannot make the benchmark audio"; return; }
	line="bench=setup calls=$n"
	for impl in sipterm baresip; do
		[ $impl = baresip ] && [ $bs = 0 ] && continue
		if ! setup_run $impl "$n"; then
			fail "setup: $impl run failed"
			continue
		fi
		read -r cnt med p90 max min <<< "$SU_stats"
		[ "$cnt" = "$n" ] || say "note: setup $impl: $cnt INVITE/200 pairs in the capture," \
			"SIPp completed $SU_ok of $n calls"
		line="$line ${impl}_median_ms=$med ${impl}_p90_ms=$p90 ${impl}_max_ms=$max ${impl}_pairs=$cnt"
		[ $impl = sipterm ] && s=$med || b=$med
	done
	if [ $bs = 1 ]; then
		r=$(ratio "${s:--}" "${b:--}")
		met=$(met_le "$r" "$SETUP_TARGET")
		line="$line ratio=$r target=$met (sipterm median <= baresip's)"
		strict_miss "$met" "setup latency ratio $r"
	fi
	say "$line"
}

# ---------------------------------------------------------------------------
# echo (issue 5): the round trip sipterm adds.  Caller A (sipterm --play
# clicks.wav --record) calls B (sipterm -A0 --echo, the null device); A's
# recording holds each click again after the round trip: A's capture and
# packetizing, B's jitter buffer, decoder and echo, A's jitter buffer and
# playout.  A's file device pushes one capture frame and pops one playback
# frame per 20 ms tick and records that frame, so a recording sample and
# the played sample at the same offset are the same instant: the lag of
# an echoed click is the round trip.  The clicks (4 ms, 1 kHz) come about
# every 500 ms at irregular gaps (350-650 ms, a 4 s pattern), so that each
# echo belongs to one click whatever the lag.
#
# The RTP runs through tests/tools/udprelay (a second udprelay carries
# the INVITE transaction and points both SDPs at it; B's RTP port is
# pinned): clean for ECHO_CLEAN_S, then 0-60 ms of random delay both ways
# for ECHO_JITTER_S (the relay is restarted with --delay 0-60; the packets
# it held are lost), then clean again for ECHO_AFTER_S.  The click lag
# over time is the measure of the jitter buffers' growth and return (both
# directions add up in it); call-stats, with jb_delay_ms (the audio held
# in the buffer), come only with RTCP, at most every 10 s, and at the end,
# and are printed as they are; both phones run "calls" every 0.5 s, which
# gives the RFC 3550 interarrival jitter they see.  A second, short call
# with Opus measures the clean round trip of sipterm's default codec.
# Targets: round trip at most 40 ms at zero jitter (median over the clicks
# of the clean phase after its first second); the click lag back within
# 5 ms of its clean level within 10 s after the jitter stops.
ECHO_TARGET_MS=40
ECHO_RECOVER_S=10
ECHO_CLICKS="0 0.4 0.95 1.4 2.0 2.5 2.85 3.5"
ECHO_PERIOD=4

# make_clicks FILE RATE
make_clicks() {
	local t i=0 args=""
	for t in $ECHO_CLICKS; do
		sox -q -n -r "$2" -c 1 -b 16 "$bench_tmp/click$i.wav" synth 0.004 sine 1000 vol 0.8 \
			pad "$t" 0 2>/dev/null || return 1
		args="$args -v 1 $bench_tmp/click$i.wav"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	sox -q -m $args -t wav - 2>/dev/null | sox -q -t wav - "$1" pad 0 $ECHO_PERIOD trim 0 $ECHO_PERIOD 2>/dev/null
}

# onsets WAV: the time (s) of every click in a recording: the first sample
# above 0.1 of full scale after 150 ms below it
onsets() {
	sox "$1" -t dat - 2>/dev/null | awk '
		/^;/ { next }
		{ v = $2 < 0 ? -$2 : $2
		  if (v > 0.1) { if (!seen || $1 - last > 0.15) printf "%.5f\n", $1; seen = 1; last = $1 } }'
}

# click_lags WAV FROM TO: "t lag_ms" for every echoed click, each matched
# to the click of the pattern nearest the most common lag among the clicks
# recorded between FROM and TO s (the clean phase)
click_lags() {
	onsets "$1" | awk -v clicks="$ECHO_CLICKS" -v P=$ECHO_PERIOD -v from="$2" -v to="$3" '
		BEGIN { nc = split(clicks, c, " ") }
		{ t[NR] = $1 }
		function md(x) { x = x - P * int(x / P); if (x < 0) x += P; return x }
		END {
			for (i = 1; i <= NR; i++) if (t[i] >= from && t[i] < to)
				for (j = 1; j <= nc; j++) h[int(md(t[i] - c[j]) * 200)]++
			best = -1
			for (k in h) if (h[k] > best) { best = h[k]; mode = (k + 0.5) / 200 }
			if (best < 0) exit 1
			for (i = 1; i <= NR; i++) {
				bd = P
				for (j = 1; j <= nc; j++) {
					d = md(t[i] - c[j]) - mode
					if (d > P / 2) d -= P
					if (d < -P / 2) d += P
					if ((d < 0 ? -d : d) < (bd < 0 ? -bd : bd)) bd = d
				}
				printf "%.3f %.1f\n", t[i], (mode + bd) * 1000
			}
		}'
}

# series FILE T0 PREFIX: "t value" of FILE's call-stats jb_delay_ms, t in s
# since T0 (FILE's lines carry their arrival time)
jb_series() {
	grep '"event":"call-stats"' "$1" 2>/dev/null | awk -v t0="$2" '
		{ v = $0; sub(/.*"jb_delay_ms":/, "", v); sub(/[,}].*/, "", v)
		  printf "%.2f %d\n", $1 - t0, v }'
}

# calls_jitter FILE T0: "t jitter_ms" from the stamped lines of "calls"
calls_jitter() {
	grep ' established .*jitter=' "$1" 2>/dev/null | awk -v t0="$2" '
		{ v = $0; sub(/.*jitter=/, "", v); sub(/ms.*/, "", v); printf "%.2f %s\n", $1 - t0, v }'
}

# peak_in SERIES FROM TO: the highest value with FROM <= t < TO
peak_in() {
	awk -v a="$2" -v b="$3" '$1 >= a && $1 < b && (m == "" || $2 > m) { m = $2 }
		END { print (m == "" ? "-" : m) }' "$1"
}

# last_stat FILE KEY: KEY of the last call-stats in FILE
last_stat() {
	local l
	l=$(grep '"event":"call-stats"' "$1" 2>/dev/null | tail -n 1)
	l=$(jfield "$l" "$2")
	echo "${l:--}"
}

# per_second SERIES: the median value of each second, comma-separated
per_second() {
	awk '{ b = int($1); if ($1 < 0) next; s[b] = s[b] " " $2; if (b > m) m = b }
		END { for (i = 0; i <= m; i++) { n = split(s[i], v, " ")
			if (!n) { printf "%s-", i ? "," : ""; continue }
			for (x = 1; x <= n; x++) for (y = x + 1; y <= n; y++)
				if (v[y] + 0 < v[x] + 0) { z = v[x]; v[x] = v[y]; v[y] = z }
			printf "%s%s", i ? "," : "", v[int((n + 1) / 2)] } }' "$1"
}

# phase_figures SERIES P1 P2 SKIP: from "t value" lines: "base peak
# recovered_s" where base is the highest value of the clean phase after
# SKIP s (the level to come back to, plus TOL), peak the highest in the
# jitter phase, recovered_s how long after P2 the value stays at or below
# base + TOL for good ("-" when it never does)
phase_figures() {
	awk -v p1="$2" -v p2="$3" -v skip="$4" -v tol="${5:-0}" '
		{ t[NR] = $1; v[NR] = $2 }
		END {
			base = -1; peak = -1
			for (i = 1; i <= NR; i++) {
				if (t[i] >= skip && t[i] < p1 && v[i] > base) base = v[i]
				if (t[i] >= p1 && t[i] < p2 && v[i] > peak) peak = v[i]
			}
			if (base < 0) { print "- - -"; exit }
			rec = ""; last_bad = -1; any = 0
			for (i = 1; i <= NR; i++) if (t[i] >= p2) {
				any = 1
				if (v[i] > base + tol) last_bad = i
			}
			if (!any) rec = "-"
			else if (last_bad < 0) rec = 0
			else if (last_bad == NR) rec = "-"
			else rec = sprintf("%.1f", t[last_bad + 1] - p2)
			printf "%s %s %s\n", base, (peak < 0 ? "-" : peak), rec
		}' "$1"
}

# relay_start NAME ARGS...: udprelay in the background; sets RL_PID
relay_start() {
	local n=$1
	shift
	"$UDPRELAY" --max-secs 90 "$@" >"$bench_tmp/$n.out" 2>"$bench_tmp/$n.err" &
	RL_PID=$!
	bench_track $RL_PID
	wait_for 3 grep -q 'udprelay: ready' "$bench_tmp/$n.err" && return 0
	say "note: udprelay $n did not start: $(head -c 200 "$bench_tmp/$n.err")"
	return 1
}
relay_stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# echo_run NAME CODEC CLEAN JITTER AFTER: one echo call; sets E_lags (file
# of "t lag_ms"), E_p1 and E_p2 (phase changes, s on A's media clock),
# E_a and E_b (event files), E_t0 (A's answer time)
echo_run() {
	local n=$1 codec=$2 clean=$3 jit=$4 after=$5 total bport mport sport bsip
	local a_t b_t sipr medr k script_a=() script_b=() tsw1 tsw2 rate=8000
	E_lags="" E_p1=$clean E_p2=$((clean + jit)) E_a="" E_b=""
	total=$((clean + jit + after))
	[ "$codec" = opus ] && rate=48000
	make_clicks "$bench_tmp/clicks-$n.wav" $rate || { fail "echo: sox cannot make the clicks"; return 1; }
	bport=$(free_port 4) && mport=$(free_port 2) && sport=$(free_port) || return 1
	st_conf "$n-b" "[media]\ncodecs = $codec\nrtp_port_min = $bport\nrtp_port_max = $((bport + 2))\n"
	st_conf "$n-a" "[media]\ncodecs = $codec\n"
	for k in $(seq 1 $((total * 2))); do script_a+=(-e calls -e 'wait 0.5'); done
	for k in $(seq 1 $((total * 2 + 10))); do script_b+=(-e calls -e 'wait 0.5'); done
	ST_STAMP=1 st_start "$n-b" $((total + 30)) -f "$bench_tmp/$n-b.conf" -A0 --echo \
		-e 'wait call-answered 20' "${script_b[@]}" || return 1
	b_t=$ST_T bsip=$ST_PORT
	E_b=$bench_tmp/$n-b.ev
	relay_start "$n-sip" --listen "$sport" --to "127.0.0.1:$bsip" --sdp-port "$mport" || return 1
	sipr=$RL_PID
	relay_start "$n-media1" --listen "$mport" --to "127.0.0.1:$bport" \
		--listen $((mport + 1)) --to "127.0.0.1:$((bport + 1))" || return 1
	medr=$RL_PID
	# A samples for TOTAL s, then hangs up and quits
	ST_STAMP=1 st_start "$n-a" $((total + 30)) -f "$bench_tmp/$n-a.conf" \
		--play "$bench_tmp/clicks-$n.wav" --record "$bench_tmp/$n-a.wav" \
		-e "call sip:b@127.0.0.1:$sport" -e 'wait call-answered 5' "${script_a[@]}" \
		-e hangup -e 'wait 0.5' -e quit || return 1
	a_t=$ST_T
	E_a=$bench_tmp/$n-a.ev
	if ! wait_for 6 grep -q '"event":"call-answered"' "$E_a"; then
		fail "echo $n: no answer"
		relay_stop $medr; relay_stop $sipr
		ST_T=$a_t; st_stop; ST_T=$b_t; st_stop
		return 1
	fi
	E_t0=$(grep -m 1 '"event":"call-answered"' "$E_a" | cut -d' ' -f1)
	if [ "$jit" -gt 0 ]; then
		sleep_until "$E_t0" "$clean"
		relay_stop $medr
		tsw1=$(now)
		relay_start "$n-media2" --listen "$mport" --to "127.0.0.1:$bport" \
			--listen $((mport + 1)) --to "127.0.0.1:$((bport + 1))" \
			--impair both --delay 0-60 --seed 4242
		medr=$RL_PID
		sleep_until "$E_t0" $((clean + jit))
		relay_stop $medr
		tsw2=$(now)
		relay_start "$n-media3" --listen "$mport" --to "127.0.0.1:$bport" \
			--listen $((mport + 1)) --to "127.0.0.1:$((bport + 1))"
		medr=$RL_PID
		E_p1=$(awk -v a="$tsw1" -v b="$E_t0" 'BEGIN { printf "%.2f", a - b }')
		E_p2=$(awk -v a="$tsw2" -v b="$E_t0" 'BEGIN { printf "%.2f", a - b }')
	fi
	# A hangs up and quits by itself; B is stopped
	wait_for $((total + 10)) eval "! kill -0 $a_t"
	ST_T=$a_t; st_stop
	sleep 0.3
	ST_T=$b_t; st_stop
	relay_stop $medr
	relay_stop $sipr
	E_lags=$bench_tmp/$n.lags
	click_lags "$bench_tmp/$n-a.wav" 1 "$E_p1" > "$E_lags" 2>/dev/null
	[ -s "$E_lags" ]
}

bench_echo_delay() {
	local clean=${BENCH_ECHO_CLEAN_S:-8} jit=${BENCH_ECHO_JITTER_S:-10} after=${BENCH_ECHO_AFTER_S:-14}
	local st med p90 cnt max min met codec lb lp lr lj grew
	say "== echo: round trip added by sipterm: clicks through a sipterm -A0 --echo callee," \
	    "RTP through udprelay: ${clean} s clean, ${jit} s with 0-60 ms random delay both ways," \
	    "${after} s clean"
	calls_need echo || return 0
	UDPRELAY=$top_builddir/tests/tools/udprelay
	if [ ! -x "$UDPRELAY" ]; then
		(cd "$top_builddir" && ${MAKE:-make} tests/tools/udprelay) >/dev/null 2>&1
		if [ ! -x "$UDPRELAY" ]; then
			say "bench=echo skipped: $UDPRELAY not built (make tests/tools/udprelay)"
			return 0
		fi
	fi
	for codec in PCMU opus; do
		if [ $codec = PCMU ]; then
			echo_run echo-pcmu PCMU "$clean" "$jit" "$after" || { fail "echo PCMU run failed"; continue; }
		else
			echo_run echo-opus opus "$clean" 0 0 || { fail "echo opus run failed"; continue; }
		fi
		st=$(awk -v p1="$E_p1" '$1 >= 1 && $1 < p1 { print $2 }' "$E_lags" | stats)
		read -r cnt med p90 max min <<< "$st"
		met=$(met_le "$med" $ECHO_TARGET_MS)
		say "bench=echo codec=$codec phase=clean clicks=$cnt rtt_median_ms=$med rtt_p90_ms=$p90" \
		    "rtt_min_ms=$min rtt_max_ms=$max" \
		    "jb_delay_ms_a=$(jb_series "$E_a" "$E_t0" | awk -v p1="$E_p1" '$1 >= 1 && $1 < p1 { print $2 }' | stats | cut -d' ' -f2)" \
		    "jb_delay_ms_b=$(jb_series "$E_b" "$E_t0" | awk -v p1="$E_p1" '$1 >= 1 && $1 < p1 { print $2 }' | stats | cut -d' ' -f2)" \
		    "target=$met (round trip <= $ECHO_TARGET_MS ms at zero jitter)"
		strict_miss "$met" "echo round trip $med ms ($codec)"
		[ $codec = PCMU ] || continue
		# the jitter phase and the way back: the click lag is the measure
		# (call-stats, with jb_delay_ms, come only with RTCP, at most every
		# 10 s, and at the end; "calls" gives the RFC 3550 jitter every 0.5 s)
		read -r lb lp lr <<< "$(phase_figures "$E_lags" "$E_p1" "$E_p2" 1 5)"
		lj=$(awk -v p1="$E_p1" -v p2="$E_p2" '$1 >= p1 && $1 < p2 { print $2 }' "$E_lags" | stats | cut -d' ' -f2)
		calls_jitter "$E_a" "$E_t0" > "$bench_tmp/jit-a"
		calls_jitter "$E_b" "$E_t0" > "$bench_tmp/jit-b"
		say "bench=echo codec=PCMU phase=jitter (0-60 ms both ways, t=${E_p1}-${E_p2} s)" \
		    "rtt_median_ms=$lj rtt_peak_ms=$lp rtt_clean_max_ms=$lb" \
		    "rfc3550_jitter_peak_ms_a=$(peak_in "$bench_tmp/jit-a" "$E_p1" "$E_p2")" \
		    "rfc3550_jitter_peak_ms_b=$(peak_in "$bench_tmp/jit-b" "$E_p1" "$E_p2")" \
		    "late_a=$(last_stat "$E_a" late) late_b=$(last_stat "$E_b" late)" \
		    "lost_a=$(last_stat "$E_a" lost) lost_b=$(last_stat "$E_b" lost)"
		say "bench=echo codec=PCMU jb_delay_ms_a(t_s:ms)=$(jb_series "$E_a" "$E_t0" | awk '{ printf "%s%.1f:%d", (NR > 1 ? "," : ""), $1, $2 }')" \
		    "jb_delay_ms_b(t_s:ms)=$(jb_series "$E_b" "$E_t0" | awk '{ printf "%s%.1f:%d", (NR > 1 ? "," : ""), $1, $2 }')"
		# the timeline, one figure a second: the median click lag, and A's jitter
		say "bench=echo codec=PCMU timeline_rtt_ms(1s)=$(per_second "$E_lags")"
		say "bench=echo codec=PCMU timeline_jitter_ms_a(1s)=$(per_second "$bench_tmp/jit-a")"
		met=MET
		if [ "$lr" = - ]; then
			met=MISSED
		elif [ "$(met_le "$lr" $ECHO_RECOVER_S)" = MISSED ]; then
			met=MISSED
		fi
		grew=no
		[ "$lp" != - ] && [ "$lb" != - ] && awk -v p="$lp" -v b="$lb" 'BEGIN { exit !(p > b + 5) }' && grew=yes
		say "bench=echo codec=PCMU phase=after rtt_grew_under_jitter=$grew" \
		    "rtt_recovered_s=$lr jb_delay_ms_a_end=$(last_stat "$E_a" jb_delay_ms)" \
		    "jb_delay_ms_b_end=$(last_stat "$E_b" jb_delay_ms)" \
		    "target=$met (click lag back within 5 ms of its clean level within $ECHO_RECOVER_S s)"
		strict_miss "$met" "jitter buffer recovery"
	done
}

# ---------------------------------------------------------------------------
# opus (issue 5): CPU per call-second of the answering side with Opus.
# SIPp cannot encode Opus, so one sipterm A (--play, a 48 kHz WAV) places N
# calls at once into B: sipterm -A0 --play (the same WAV), or baresip in
# auto-answer (opus module, mono, aufile reading the same WAV; its encoder
# set like sipterm's: 32 kb/s VBR, VoIP, in-band FEC tuned for 10 % loss --
# libopus only spends the FEC bits, and their CPU, with a loss percentage
# above 0, which baresip's default lacks), in turns; B's CPU is read over
# the window where all calls are up.  No target; the ratio is printed.

# opus_run IMPL N SECS: sets O_cpu (B's ms per call-second), O_win,
# O_hwm, O_up (calls answered with opus at the start of the window)
opus_run() {
	local impl=$1 n=$2 secs=$3 name=opus-$1-n$2 pid port a b ta tb ts k calls=()
	local limit=$((secs + 40)) at bt="" e
	O_cpu=- O_win=- O_hwm="" O_up=0
	st_conf opus "[media]\ncodecs = opus\n"
	case $impl in
	sipterm)
		st_start "$name-b" $limit -f "$bench_tmp/opus.conf" -A0 --audio null \
			--play "$bench_tmp/load48k.wav" || return 1
		pid=$ST_PID port=$ST_PORT bt=$ST_T
		;;
	baresip)
		port=$(free_port) || return 1
		bs_conf "$bench_tmp/$name.bs" "$port" "$bench_tmp/load48k.wav" opus
		# sipterm's encoder: 32 kb/s VBR, VoIP, in-band FEC for 10 % loss
		printf 'opus_bitrate\t\t32000\nopus_application\tvoip\nopus_inbandfec\t\tyes\nopus_packet_loss\t10\n' \
			>> "$bench_tmp/$name.bs/config"
		bs_start "$name" $limit "$bench_tmp/$name.bs" "$port" || return 1
		pid=$BS_PID
		;;
	esac
	for k in $(seq 1 "$n"); do calls+=(-e "call sip:bob@127.0.0.1:$port"); done
	ts=$(now)
	st_start "$name-a" $limit -f "$bench_tmp/opus.conf" --audio null \
		--play "$bench_tmp/load48k.wav" "${calls[@]}" -e "wait $secs" -e 'hangup all' \
		-e 'wait 1' -e quit || { [ "$impl" = sipterm ] && { ST_T=$bt; st_stop; } || bs_stop; return 1; }
	at=$ST_T
	sleep_until "$ts" 2
	a=$(cpu_ns "$pid") ta=$(now)
	O_up=$(ev_lines "$bench_tmp/$name-a.ev" call-answered | grep -c '"codec":"opus"')
	sleep_until "$ts" $((secs - 1))
	b=$(cpu_ns "$pid") tb=$(now)
	O_hwm=$(vm "$pid" VmHWM)
	wait_for 15 eval "! kill -0 $at"
	ST_T=$at; st_stop
	if [ "$impl" = sipterm ]; then ST_T=$bt; st_stop; else
		e=$(bs_errors "$name"); [ -n "$e" ] && say "note: baresip $name: $e"
		bs_stop
	fi
	O_win=$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.3f", b - a }')
	O_cpu=$(awk -v c=$((b - a)) -v w="$O_win" -v n="$n" 'BEGIN { printf "%.3f", c / 1e6 / (w * n) }')
	[ "$O_up" = "$n" ] || say "note: opus $impl n=$n: $O_up of $n calls up with opus in the window"
	return 0
}

bench_opus() {
	local secs=${BENCH_OPUS_SECS:-12} ns=${BENCH_OPUS_NS:-1 10} n bs=1 s b line
	say "== opus: sipterm A places N Opus calls at once into B = sipterm -A0 --play or" \
	    "baresip (auto-answer, aufile), $secs s; B's CPU per call-second"
	calls_need opus || return 0
	if ! bs_wanted opus aufile account; then
		bs=0
		say "bench=opus baresip=skipped ($BS_WHY): sipterm figures only"
	fi
	sox -q -n -r 48000 -c 1 -b 16 "$bench_tmp/load48k.wav" synth $((secs + 15)) \
		sine 300-3000 vol 0.5 || { fail "sox cannot make the benchmark audio"; return; }
	for n in $ns; do
		s=- b=-
		if opus_run sipterm "$n" "$secs" && [ "$O_up" = "$n" ]; then
			s=$O_cpu
			line="bench=opus n=$n sipterm_cpu_ms_per_call_s=$s sipterm_peak_rss_mb=$(mb "$O_hwm")"
		else
			fail "opus n=$n: sipterm run failed ($O_up of $n calls up)"
			line="bench=opus n=$n sipterm=failed"
		fi
		if [ $bs = 1 ]; then
			if opus_run baresip "$n" "$secs" && [ "$O_up" = "$n" ]; then
				b=$O_cpu
				line="$line baresip_cpu_ms_per_call_s=$b baresip_peak_rss_mb=$(mb "$O_hwm")"
			else
				line="$line baresip=failed ($O_up of $n calls up)"
			fi
			line="$line ratio=$(ratio "$s" "$b")"
		fi
		say "$line window_s=$O_win"
	done
}

# ---------------------------------------------------------------------------
# main: run the sections asked for, or all of them.
# The call sections' helpers are bash: without bash they say so and skip.
if [ -n "${BASH_VERSION:-}" ]; then
	. "$bench_here/lib-call.sh"
	trap 'exit 130' INT TERM
fi
sections=${*:-parse calls setup echo opus}
bench_start=$(date +%s)
# a last resort bound on the whole run (each step has its own)
if [ -n "${BASH_VERSION:-}" ]; then
	( end=$((SECONDS + ${BENCH_MAX_SECS:-1200}))
	  while [ $SECONDS -lt $end ]; do
		sleep 1
		kill -0 $$ 2>/dev/null || exit 0
	  done
	  echo "bench: BENCH_MAX_SECS reached, stopping" >&2
	  kill -TERM $$ ) </dev/null >/dev/null &
	bench_track $!
fi
for section in $sections; do
	case $section in
	parse) bench_parse ;;
	calls) bench_calls ;;
	setup) bench_setup_latency ;;
	echo) bench_echo_delay ;;
	opus) bench_opus ;;
	*) fail "unknown section: $section (known: parse calls setup echo opus)" ;;
	esac
done
say "bench=done seconds=$(( $(date +%s) - bench_start )) status=$([ "$bench_failed" = 0 ] && echo ok || echo FAILED)"
exit "$bench_failed"
