# tests/tools/fifo.sh: a headless sipterm that the test drives through a
# FIFO, one per NAME, for the chat and presence tests (sourced after
# tests/lib.sh; tests/im/im.sh and tests/presence/pres.sh bring it along).
#
#   fifo_need                  skip unless sipterm is built and jq, timeout,
#                              pgrep, mkfifo are installed
#   fifo_start NAME PORT SECS DATA-DIR [ARGS...]
#                              start "sipterm --headless --events json -l
#                              127.0.0.1:PORT --log-file NAME.log ARGS" in
#                              the background, killed after SECS, its
#                              commands read from NAME.in (fifo_cmd), its
#                              XDG_DATA_HOME DATA-DIR; events and command
#                              output in NAME.out, stderr in NAME.err;
#                              returns once it listens (10 s)
#   fifo_port NAME             the port it listens on (UDP and TCP)
#   fifo_cmd NAME LINE...      send command lines to NAME
#   fifo_close_input NAME      close its input (sipterm sees EOF)
#   fifo_quit NAME             "quit", close its input, wait (bounded by its
#                              timeout); returns its exit status
#   fifo_pid NAME              its pid (of timeout(1), which runs it)
#   fifo_sipterm_pid NAME      the pid of the sipterm process itself
#   fifo_ev NAME JQ-FILTER     NAME's events (JSON lines) through jq -c
#                              (torn lines from a killed process are skipped)
#   fifo_evr NAME JQ-FILTER    the same with jq -r (raw strings)
#   fifo_count NAME JQ-FILTER  how many events select(FILTER) keeps
#   fifo_wait_count SECS NAME JQ-FILTER N
#                              wait until at least N events match
#   fifo_dump NAME             NAME's last events and log lines as diag
#   leftovers                  processes of this test still running

fifo_need() {
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

_fifo_v() { printf '%s' "$1" | tr -c 'A-Za-z0-9_' _; }

# shellcheck disable=SC2317 # called through wait_for
_fifo_listening() {
	grep -q 'listening for SIP on port' "$TEST_TMP/$1.err" 2>/dev/null
}

fifo_start() {
	_n=$1 _p=$2 _s=$3 _d=$4; shift 4
	_v=$(_fifo_v "$_n")
	rm -f "$TEST_TMP/$_n.in"
	mkfifo "$TEST_TMP/$_n.in" || return 1
	: >"$TEST_TMP/$_n.out"
	: >"$TEST_TMP/$_n.err"
	mkdir -p "$_d"
	XDG_DATA_HOME=$_d timeout -k 2 "$_s" "$SIPTERM" --headless \
		--events json -l "127.0.0.1:$_p" --log-file "$TEST_TMP/$_n.log" "$@" \
		<"$TEST_TMP/$_n.in" >>"$TEST_TMP/$_n.out" 2>>"$TEST_TMP/$_n.err" &
	eval "fifo_pid_$_v=\$!"
	test_pids="$test_pids $!"
	# the writing end stays open until fifo_quit: the FIFO never sees EOF
	eval "exec {fifo_fd_$_v}>\"\$TEST_TMP/\$_n.in\""
	if ! wait_for 10 _fifo_listening "$_n"; then
		diag "$_n does not listen"
		fifo_dump "$_n"
		return 1
	fi
}

fifo_port() {
	sed -n 's/.*listening for SIP on port \([0-9][0-9]*\).*/\1/p' "$TEST_TMP/$1.err" |
		head -n 1
}

fifo_pid() {
	eval "printf '%s\n' \"\${fifo_pid_$(_fifo_v "$1"):-}\""
}

fifo_sipterm_pid() {
	pgrep -P "$(fifo_pid "$1")" -x sipterm
}

fifo_cmd() {
	_v=$(_fifo_v "$1"); shift
	eval "_fd=\${fifo_fd_$_v:-}"
	[ -n "$_fd" ] || return 1
	printf '%s\n' "$@" >&"$_fd"
}

fifo_close_input() {
	_v=$(_fifo_v "$1")
	eval "_fd=\${fifo_fd_$_v:-}"
	[ -n "$_fd" ] || return 0
	eval "exec {fifo_fd_$_v}>&-"
	eval "fifo_fd_$_v="
}

fifo_quit() {
	fifo_cmd "$1" quit 2>/dev/null
	fifo_close_input "$1"
	_p=$(fifo_pid "$1")
	[ -n "$_p" ] || return 255
	wait "$_p"
}

fifo_ev() {
	# a line cut by kill -9 is not JSON: keep only the lines that parse
	grep '^{"event":' "$TEST_TMP/$1.out" 2>/dev/null |
		jq -c -R "fromjson? | $2" 2>/dev/null
}

fifo_evr() {
	grep '^{"event":' "$TEST_TMP/$1.out" 2>/dev/null |
		jq -r -R "fromjson? | $2" 2>/dev/null
}

fifo_count() {
	fifo_ev "$1" "select($2)" | wc -l | tr -d ' '
}

_fifo_enough() {
	[ "$(fifo_count "$1" "$2")" -ge "$3" ]
}

fifo_wait_count() {
	_t=$1; shift
	wait_for "$_t" _fifo_enough "$@"
}

fifo_dump() {
	for _f in "$TEST_TMP/$1.out" "$TEST_TMP/$1.err" "$TEST_TMP/$1.log"; do
		[ -s "$_f" ] || continue
		diag "--- $_f"
		tail -n 15 "$_f" | cut -c1-300 | awk '{ print "#   " $0 }'
	done
}

leftovers() {
	pgrep -f -- "$TEST_TMP" 2>/dev/null | grep -v "^$$\$"
}
