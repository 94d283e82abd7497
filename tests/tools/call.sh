# tests/tools/call.sh: helpers for the call tests in tests/call/ (sourced
# after tests/lib.sh).
#
#   call_need                  skip (or fail) unless sipterm, sox and the
#                              tools (xcorr, udprelay) are built/installed
#   gen_sweep FILE [F1 F2 SECS]
#                              an 8 kHz mono tone sweep (sox)
#   gen_speech FILE TEXT       8 kHz speech from espeak-ng (a falling sweep
#                              with tremolo when espeak-ng is missing)
#   st_conf NAME TEXT          write $TEST_TMP/NAME.conf (mode 600)
#   st_bg NAME SECS ARGS...    start "sipterm --headless --events json
#                              -l 127.0.0.1:0 ARGS..." in the background,
#                              killed after SECS; events in NAME.out, log in
#                              NAME.err
#   st_port NAME               wait (5 s) until NAME listens, print its port
#   st_wait NAME               wait for NAME to exit; returns its status
#                              (124: it had to be killed by its timeout)
#   ev NAME EVENT              NAME's EVENT lines (JSON), in order
#   ev_field LINE KEY          a field's value from one JSON event line
#   xc REF REC [OPTIONS]       run xcorr, print its line, return its status
#   corr_of LINE               the corr= figure of an xcorr line
#   ge A B                     A >= B for decimals
#   gap_secs FILE              the longest run of silence (20 ms frames below
#                              -40 dBFS) between the first and the last
#                              sound in a WAV, in seconds
#   gaps FILE MINSECS          "COUNT LONGEST": how many such runs last at
#                              least MINSECS, and the longest
#   todo_not_ok DESC REASON    a failing check of a known, reported bug: TAP
#                              "not ok ... # TODO REASON", which the TAP
#                              driver counts as an expected failure (and
#                              its "ok # TODO" as an unexpected pass once
#                              fixed); it does not fail done_testing
#   st_dump NAME               NAME's events and last log lines as diag
#   leftovers                  processes of this test still running
#   port_pair [even]           a free port P with P+1 free too
#   relay_places               set bport, mport, sport: the callee's RTP
#                              pair, a media relay's pair, a SIP relay port
#   relay_bg NAME ARGS...      start tests/tools/udprelay, wait until ready
#   relay_stop NAME            stop it (its figures are then in NAME.out)
#   relay_count NAME DIR KEY   a figure of the relay's first pair
#
# Every process started here names $TEST_TMP on its command line (its
# config, records or scratch files live there), which leftovers relies on.

# top_builddir comes from tests/lib.sh
# shellcheck disable=SC2154
TOOLS=$top_builddir/tests/tools
XCORR=$TOOLS/xcorr
UDPRELAY=$TOOLS/udprelay

HOME=$TEST_TMP/home
XDG_CONFIG_HOME=$TEST_TMP/home/.config
XDG_DATA_HOME=$TEST_TMP/home/.local/share
XDG_STATE_HOME=$TEST_TMP/home/.local/state
XDG_CACHE_HOME=$TEST_TMP/home/.cache
XDG_RUNTIME_DIR=$TEST_TMP/home/run
export HOME XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME XDG_CACHE_HOME XDG_RUNTIME_DIR
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

call_need() {
	[ -x "$SIPTERM" ] || skip_all "$SIPTERM not built"
	need_cmd sox sox
	need_cmd timeout coreutils
	need_cmd pgrep procps
	[ -x "$XCORR" ] && [ -x "$UDPRELAY" ] ||
		skip_all "tests/tools not built (make check builds them)"
}

gen_sweep() {
	sox -q -n -r 8000 -c 1 -b 16 "$1" synth "${4:-3}" sine "${2:-300}-${3:-3000}" vol 0.5
}

gen_speech() {
	if command -v espeak-ng >/dev/null 2>&1 &&
		espeak-ng -w "$1.raw.wav" "$2" 2>/dev/null &&
		sox -q "$1.raw.wav" -r 8000 -c 1 -b 16 "$1" gain -n -3; then
		rm -f "$1.raw.wav"
		return 0
	fi
	diag "espeak-ng missing: a falling sweep with tremolo stands in for speech"
	sox -q -n -r 8000 -c 1 -b 16 "$1" synth 3.5 sine 2800-250 tremolo 5 60 vol 0.5
}

st_conf() {
	printf '%b' "$2" >"$TEST_TMP/$1.conf"
	chmod 600 "$TEST_TMP/$1.conf"
}

st_bg() {
	_n=$1 _s=$2; shift 2
	: >"$TEST_TMP/$_n.out"
	: >"$TEST_TMP/$_n.err"
	# the scratch directory on the command line: leftovers finds it
	timeout -k 2 "$_s" "$SIPTERM" --headless --events json -l 127.0.0.1:0 \
		--log-file "$TEST_TMP/$_n.log" "$@" \
		</dev/null >"$TEST_TMP/$_n.out" 2>"$TEST_TMP/$_n.err" &
	_v=$(printf '%s' "$_n" | tr -c 'A-Za-z0-9_' _)
	eval "st_pid_$_v=\$!"
	test_pids="$test_pids $!"
}

_st_listening() {
	grep -q 'listening for SIP on port' "$TEST_TMP/$1.err" 2>/dev/null
}

st_port() {
	if ! wait_for 5 _st_listening "$1"; then
		diag "$1 does not listen"
		st_dump "$1"
		return 1
	fi
	sed -n 's/.*listening for SIP on port \([0-9][0-9]*\).*/\1/p' "$TEST_TMP/$1.err" | head -n 1
}

st_wait() {
	_v=$(printf '%s' "$1" | tr -c 'A-Za-z0-9_' _)
	eval "_p=\${st_pid_$_v:-}"
	[ -n "$_p" ] || return 255
	wait "$_p"
}

ev() {
	grep "^{\"event\":\"$2\"" "$TEST_TMP/$1.out" 2>/dev/null
}

# ev_field LINE KEY: strings without quotes, numbers as printed
ev_field() {
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p"
}

xc() {
	"$XCORR" "$@" 2>>"$TEST_TMP/xcorr.err"
}

corr_of() {
	printf '%s\n' "$1" | sed -n 's/.*corr=\(-\{0,1\}[0-9.]*\).*/\1/p'
}

ge() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0 && a != "") }'
}

gap_secs() {
	gaps "$1" 0.02 | cut -d' ' -f2
}

gaps() {
	sox -q "$1" -t dat - 2>/dev/null | awk -v min="$2" '
		BEGIN { fl = 160 }
		/^; Sample Rate/ { fl = int($4 / 50); next }
		/^;/ { next }
		{ e += $2 * $2; n++
		  if (n == fl) {
			f++; loud = sqrt(e / n) >= 0.01
			if (loud) { if (first == "") first = f
				    if (run > best) best = run
				    if (run > 0 && run * 0.02 >= min - 0.001) count++
				    run = 0 }
			else if (first != "") run++
			e = 0; n = 0 } }
		END { printf "%d %.2f\n", count, best * 0.02 }'
}

todo_not_ok() {
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - $1 # TODO $2"
}

st_dump() {
	for _f in "$TEST_TMP/$1.out" "$TEST_TMP/$1.err"; do
		[ -s "$_f" ] || continue
		diag "--- $_f"
		tail -n 25 "$_f" | awk '{ print "#   " $0 }'
	done
}

leftovers() {
	pgrep -f -- "$TEST_TMP" 2>/dev/null | grep -v "^$$\$"
}

# port_pair [even]: a port P with P and P+1 free
_udp_free() { ! ss -Huanl "sport = :$1" 2>/dev/null | grep -q .; }
port_pair() {
	for _i in $(seq 1 50); do
		_p=$(free_port) || return 1
		[ "${1:-}" = even ] && _p=$((_p & ~1))
		if _udp_free "$_p" && _udp_free $((_p + 1)); then
			echo "$_p"
			return 0
		fi
	done
	return 1
}

# relay_places: three distinct places for a call through udprelay: bport
# (the callee's RTP pair, even), mport (the media relay's pair) and sport
# (the SIP relay)
relay_places() {
	bport=$(port_pair even)
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		mport=$(port_pair)
		[ $((mport + 1)) -lt "$bport" ] || [ "$mport" -gt $((bport + 1)) ] && break
	done
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		sport=$(free_port)
		case " $bport $((bport + 1)) $mport $((mport + 1)) " in
		*" $sport "*) ;;
		*) break ;;
		esac
	done
}

# relay_bg NAME ARGS...: start udprelay (NAME.out, NAME.err), wait until
# it is ready
relay_bg() {
	_n=$1; shift
	"$UDPRELAY" --max-secs 30 "$@" >"$TEST_TMP/$_n.out" 2>"$TEST_TMP/$_n.err" &
	eval "relay_pid_$_n=\$!"
	test_pids="$test_pids $!"
	wait_for 3 _relay_ready "$_n" && return 0
	diag "udprelay $_n did not start:"
	awk '{ print "#   " $0 }' "$TEST_TMP/$_n.err"
	return 1
}
# shellcheck disable=SC2317 # called through wait_for
_relay_ready() { grep -q 'udprelay: ready' "$TEST_TMP/$1.err"; }
relay_stop() {
	eval "_p=\$relay_pid_$1"
	kill -TERM "$_p" 2>/dev/null
	wait "$_p"
}
# relay_count NAME DIR KEY: a figure of the relay's first pair
relay_count() {
	awk -v dir="$2" -v key="$3" 'NR == 1 {
		for (i = 1; i <= NF; i++) {
			if ($i == "fwd" || $i == "rev") { cur = $i; continue }
			if (cur == dir && index($i, key "=") == 1) { print substr($i, length(key) + 2); exit }
		} }' "$TEST_TMP/$1.out"
}
