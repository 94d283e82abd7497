# tests/call/sipp-lib.sh: sipterm in the SIPp call tests (tests/call/sipp.sh,
# tests/call/sipp-dialog.sh); sourced after tests/lib.sh, by bash.  It
# brings tests/tools/sipp.sh along.
#
# One sipterm per NAME, each with its own HOME and XDG directories in
# TEST_TMP, on 127.0.0.1 port 0 (the port it got is read from its log):
#   st_conf NAME LINE...       NAME.conf, passed with -f to NAME
#   st_start NAME LIMIT [OPTIONS...]
#                              the headless answering service in the
#                              background, bounded to LIMIT s, until
#                              st_stop NAME; sets ST_PORT
#   st_stop NAME               SIGTERM (KILL after 5 s); ST_RC is its exit
#                              status, a non-zero one is noted in st_bad
#   st_call NAME COMMAND...    sipterm running the commands (-e each) in the
#                              foreground, bounded to ST_CALL_SECS (25) s;
#                              ST_RC
#   ST_RECORD=1                st_start records into the folder NAME.rec,
#                              st_call into NAME.rec/call.wav
#   ev NAME REGEX              an event line (JSON) of NAME matches
#   ev_order NAME RE1 RE2      the first RE1 event comes before an RE2 one
#   st_diag NAME               NAME's events, log and SIP trace as diag
#   st_epilogue                three TAP lines: nothing of the test left
#                              running, no sanitizer report in a sipterm
#                              log, every st_stop saw exit status 0
#   trace_hdr NAME METHOD N HEADER
#                              the value of HEADER in the Nth METHOD
#                              request NAME sent (its --siptrace)
#   trace_branch NAME METHOD [N]
#                              the Via branch of that request (1st: no N)
# Files: NAME.ev (events), NAME.err (log), NAME.trace (SIP trace).

# shellcheck disable=SC1091
. "$top_srcdir/tests/tools/sipp.sh"

declare -gA st_pid=()
st_bad=""

# st_home NAME: a private HOME and XDG directories for sipterm NAME,
# exported (call it in the subshell that runs sipterm)
st_home() {
	_h=$TEST_TMP/$1.home
	mkdir -p "$_h/.config" "$_h/.local/share" "$_h/.cache" "$_h/.local/state" "$_h/run"
	chmod 700 "$_h/run"
	export HOME="$_h" XDG_CONFIG_HOME="$_h/.config" XDG_DATA_HOME="$_h/.local/share" \
		XDG_CACHE_HOME="$_h/.cache" XDG_STATE_HOME="$_h/.local/state" \
		XDG_RUNTIME_DIR="$_h/run"
}

st_conf() {
	_n=$1
	shift
	printf '%s\n' "$@" >"$TEST_TMP/$_n.conf"
}

# _st_args NAME start|call: sipterm's common options, in _args; no stale
# file (the port is read from NAME.err, --siptrace appends)
_st_args() {
	_args=(--headless -l 127.0.0.1:0 --events json --siptrace="$TEST_TMP/$1.trace")
	[ -f "$TEST_TMP/$1.conf" ] && _args+=(-f "$TEST_TMP/$1.conf")
	rm -rf "$TEST_TMP/$1.ev" "$TEST_TMP/$1.err" "$TEST_TMP/$1.trace" "$TEST_TMP/$1.rec"
	if [ -n "${ST_RECORD:-}" ]; then
		mkdir -p "$TEST_TMP/$1.rec"
		if [ "$2" = start ]; then
			_args+=(--record "$TEST_TMP/$1.rec")
		else
			_args+=(--record "$TEST_TMP/$1.rec/call.wav")
		fi
	fi
}

# _st_port NAME: the SIP port in sipterm's log ("listening for SIP on port N")
_st_port() {
	_p=$(sed -n 's/.*listening for SIP on port \([0-9][0-9]*\).*/\1/p' "$TEST_TMP/$1.err" |
		head -n 1)
	[ -n "$_p" ] && [ "$_p" != 0 ]
}

st_start() {
	_n=$1 _lim=$2
	shift 2
	ST_PORT=""
	_st_args "$_n" start
	# The pid is timeout's, which passes SIGTERM on to sipterm.
	# --foreground: without it timeout(1) also signals its whole process
	# group, so sipterm would get SIGTERM twice, the second one possibly
	# after it restored the default action on its way out (exit 143).
	(st_home "$_n" && exec timeout --foreground -k 2 "$_lim" "$SIPTERM" "${_args[@]}" "$@") \
		</dev/null >"$TEST_TMP/$_n.ev" 2>"$TEST_TMP/$_n.err" &
	st_pid[$_n]=$!
	test_pids="$test_pids $!"
	if ! wait_for 5 _st_port "$_n"; then
		diag "sipterm $_n did not start:"
		tail -n 20 "$TEST_TMP/$_n.err" | awk '{ print "#   " $0 }'
		st_stop "$_n"
		return 1
	fi
	ST_PORT=$_p
}

st_stop() {
	_pid=${st_pid[$1]:-}
	ST_RC=""
	[ -n "$_pid" ] || return 0
	kill -TERM "$_pid" 2>/dev/null
	_t=50
	while kill -0 "$_pid" 2>/dev/null && [ $_t -gt 0 ]; do
		sleep 0.1
		_t=$((_t - 1))
	done
	if kill -0 "$_pid" 2>/dev/null; then
		diag "sipterm $1 still runs 5 s after SIGTERM: killed"
		pkill -KILL -P "$_pid" 2>/dev/null # sipterm is timeout's only child
		kill -KILL "$_pid" 2>/dev/null
	fi
	wait "$_pid" 2>/dev/null
	ST_RC=$?
	[ "$ST_RC" = 0 ] || st_bad="$st_bad $1:$ST_RC"
	st_pid[$1]=""
}

st_call() {
	_n=$1
	shift
	_st_args "$_n" call
	for _c in "$@"; do _args+=(-e "$_c"); done
	(st_home "$_n" && exec timeout -k 2 "${ST_CALL_SECS:-25}" "$SIPTERM" "${_args[@]}") \
		</dev/null >"$TEST_TMP/$_n.ev" 2>"$TEST_TMP/$_n.err"
	ST_RC=$?
}

ev() {
	grep -Eq -- "$2" "$TEST_TMP/$1.ev" 2>/dev/null
}

ev_order() {
	awk -v a="$2" -v b="$3" '
		!s && $0 ~ a { s = 1; next }
		s && $0 ~ b { f = 1; exit }
		END { exit !f }' "$TEST_TMP/$1.ev" 2>/dev/null
}

st_diag() {
	for _f in "$TEST_TMP/$1.ev" "$TEST_TMP/$1.err" "$TEST_TMP/$1.trace"; do
		[ -s "$_f" ] || continue
		diag "--- $_f"
		tail -n 60 "$_f" | tr -d '\r' | awk '{ print "#   " $0 }'
	done
}

trace_hdr() {
	awk -v m="$2" -v n="$3" -v h="$4" '
		/^[0-9:.]+ (UDP|TCP) send/ { snd = 1; first = 1; want = 0; next }
		/^[0-9:.]+ (UDP|TCP) recv/ { snd = 0; want = 0; next }
		snd && first { first = 0; want = ($1 == m && ++k == n); next }
		want && /^\r?$/ { exit }
		want && tolower($0) ~ "^" tolower(h) ":" {
			sub(/\r$/, ""); sub(/^[^:]*: */, ""); print; exit
		}' "$TEST_TMP/$1.trace" 2>/dev/null
}

trace_branch() {
	trace_hdr "$1" "$2" "${3:-1}" Via | sed -n 's/.*;branch=\([^;, ]*\).*/\1/p'
}

st_epilogue() {
	sleep 0.2
	_left=$(pgrep -f -- "$TEST_TMP" 2>/dev/null | tr '\n' ' ')
	if [ -z "$_left" ]; then
		ok "no sipterm or SIPp left running"
	else
		not_ok "no sipterm or SIPp left running"
		# shellcheck disable=SC2086
		ps -o pid,args -p $_left | awk '{ print "#   " $0 }'
	fi
	_r=0
	for _f in "$TEST_TMP"/*.err; do
		if grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$_f"; then
			diag "sanitizer report in $_f"
			_r=1
		fi
	done
	result "no sanitizer reports in any sipterm log" $_r
	_r=0
	[ -z "$st_bad" ] || { diag "exit statuses: $st_bad"; _r=1; }
	result "every answering sipterm exited 0 on SIGTERM" $_r
}
