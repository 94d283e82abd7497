# tests/presence/pres.sh: helpers for the presence tests (sourced after
# tests/lib.sh).
#
#   pres_need                  skip unless sipterm is built and jq, timeout,
#                              pgrep, mkfifo are installed
#   pres_start NAME PORT SECS [ARGS...]
#                              start "sipterm --headless --events json -l
#                              127.0.0.1:PORT ARGS" in the background, killed
#                              after SECS, its commands read from a FIFO
#                              (pres_cmd); its own data directory
#                              ($PRES_DATA_DIR, default $TEST_TMP/NAME.data:
#                              the buddies file),
#                              events and command output in NAME.out, stderr
#                              in NAME.err, log in NAME.log, SIP trace in
#                              NAME.trace; returns once it listens (5 s)
#   pres_cmd NAME LINE...      send command lines to NAME
#   pres_quit NAME             "quit", close its input, wait (bounded by its
#                              timeout); returns its exit status
#   pres_pid NAME              its pid (of timeout(1), which runs it)
#   pres_ev NAME JQ-FILTER     NAME's events (JSON lines) through jq -c
#   pres_count NAME JQ-FILTER  how many events select(FILTER) keeps
#   pres_wait_count SECS NAME JQ-FILTER N
#                              wait until at least N events match
#   pres_last NAME BUDDY       the last presence event NAME got about BUDDY
#                              as "basic|activity|note"
#   pres_latency SECS NAME JQ-FILTER N
#                              wait (polling every 10 ms) until N events
#                              match; prints the milliseconds it took;
#                              fails after SECS
#   pres_buddies NAME          run "buddies" and print its output lines
#   pres_dump NAME             NAME's last events and log lines as diag
#   pres_count_sip FILE METHOD [DEST [FROM-LINE]]
#                              the number of METHOD requests (retransmissions
#                              included) sent in a --siptrace file, to DEST
#                              (ADDR:PORT) only, from line FROM-LINE on
#   leftovers                  processes of this test still running

pres_need() {
	[ -x "$SIPTERM" ] || skip_all "$SIPTERM not built"
	need_cmd jq jq
	need_cmd timeout coreutils
	need_cmd pgrep procps
	need_cmd mkfifo coreutils
}

HOME=$TEST_TMP/home
XDG_CONFIG_HOME=$TEST_TMP/home/.config
export HOME XDG_CONFIG_HOME
mkdir -p "$HOME"

_pres_v() { printf '%s' "$1" | tr -c 'A-Za-z0-9_' _; }

_pres_listening() {
	grep -q 'listening for SIP on port' "$TEST_TMP/$1.err" 2>/dev/null
}

pres_start() {
	_n=$1 _p=$2 _s=$3; shift 3
	_v=$(_pres_v "$_n")
	rm -f "$TEST_TMP/$_n.in"
	mkfifo "$TEST_TMP/$_n.in" || return 1
	: >"$TEST_TMP/$_n.out"
	: >"$TEST_TMP/$_n.err"
	_d=${PRES_DATA_DIR:-$TEST_TMP/$_n.data}
	mkdir -p "$_d"
	XDG_DATA_HOME=$_d timeout -k 2 "$_s" "$SIPTERM" --headless \
		--events json -l "127.0.0.1:$_p" --log-file "$TEST_TMP/$_n.log" \
		--siptrace="$TEST_TMP/$_n.trace" --audio null "$@" \
		<"$TEST_TMP/$_n.in" >>"$TEST_TMP/$_n.out" 2>>"$TEST_TMP/$_n.err" &
	eval "pres_pid_$_v=\$!"
	test_pids="$test_pids $!"
	# the writing end stays open until pres_quit: the FIFO never sees EOF
	eval "exec {pres_fd_$_v}>\"\$TEST_TMP/\$_n.in\""
	if ! wait_for 5 _pres_listening "$_n"; then
		diag "$_n does not listen"
		pres_dump "$_n"
		return 1
	fi
}

pres_pid() {
	eval "printf '%s\n' \"\${pres_pid_$(_pres_v "$1"):-}\""
}

pres_cmd() {
	_v=$(_pres_v "$1"); shift
	eval "_fd=\${pres_fd_$_v:-}"
	[ -n "$_fd" ] || return 1
	printf '%s\n' "$@" >&"$_fd"
}

pres_close_input() {
	_v=$(_pres_v "$1")
	eval "_fd=\${pres_fd_$_v:-}"
	[ -n "$_fd" ] || return 0
	eval "exec {pres_fd_$_v}>&-"
	eval "pres_fd_$_v="
}

pres_quit() {
	pres_cmd "$1" quit 2>/dev/null
	pres_close_input "$1"
	_p=$(pres_pid "$1")
	[ -n "$_p" ] || return 255
	wait "$_p"
}

pres_ev() {
	# a line cut by kill -9 is not JSON: keep only the lines that parse
	grep '^{"event":' "$TEST_TMP/$1.out" 2>/dev/null |
		jq -c -R "fromjson? | $2" 2>/dev/null
}

pres_count() {
	pres_ev "$1" "select($2)" | wc -l | tr -d ' '
}

_pres_enough() {
	[ "$(pres_count "$1" "$2")" -ge "$3" ]
}

pres_wait_count() {
	_t=$1; shift
	wait_for "$_t" _pres_enough "$@"
}

pres_last() {
	grep '^{"event":"presence"' "$TEST_TMP/$1.out" 2>/dev/null |
		jq -r -R "fromjson? | select(.buddy == \"$2\") | \"\(.basic)|\(.activity)|\(.note)\"" \
			2>/dev/null | tail -n 1
}

_pres_ms() { date +%s%3N; }

pres_latency() {
	_lt=$1 _ln=$2 _lf=$3 _lc=$4
	_l0=$(_pres_ms)
	_lend=$((_l0 + _lt * 1000))
	while :; do
		if _pres_enough "$_ln" "$_lf" "$_lc"; then
			echo $(( $(_pres_ms) - _l0 ))
			return 0
		fi
		[ "$(_pres_ms)" -lt "$_lend" ] || return 1
		sleep 0.01
	done
}

# pres_buddies NAME: the lines "buddies" prints (not events), waiting
# at most 2 s for them
_pres_text_lines() { grep -v -c '^{"event":' "$TEST_TMP/$1.out" 2>/dev/null; }
_pres_more_text() { [ "$(_pres_text_lines "$1")" -gt "$2" ]; }
pres_buddies() {
	_b0=$(_pres_text_lines "$1")
	pres_cmd "$1" buddies 2>/dev/null
	wait_for 2 _pres_more_text "$1" "$_b0" || return 1
	sleep 0.2
	grep -v '^{"event":' "$TEST_TMP/$1.out" | tail -n +$((_b0 + 1))
}

pres_dump() {
	for _f in "$TEST_TMP/$1.out" "$TEST_TMP/$1.err" "$TEST_TMP/$1.log"; do
		[ -s "$_f" ] || continue
		diag "--- $_f"
		tail -n 15 "$_f" | cut -c1-300 | awk '{ print "#   " $0 }'
	done
}

pres_count_sip() {
	# each message follows a line "HH:MM:SS.mmm UDP send to ADDR"
	tail -n +"${4:-1}" "$1" 2>/dev/null | awk -v m="$2" -v dst="${3:-}" '
		/^[0-9][0-9]:[0-9][0-9]:[0-9.]+ [A-Z]+ (send|recv) / {
			dir = $3; to = $5; start = 1; next
		}
		start {
			start = 0
			if (dir == "send" && index($0, m " ") == 1 && (dst == "" || to == dst)) n++
		}
		END { print n + 0 }'
}

leftovers() {
	pgrep -f -- "$TEST_TMP" 2>/dev/null | grep -v "^$$\$"
}
