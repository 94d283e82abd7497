# tests/ua/sipterm.sh: run the sipterm program in a test (sourced after
# tests/lib.sh).
#
#   st_start NAME [OPTIONS...]  start "sipterm --headless -l 127.0.0.1:0
#                               --siptrace=$TEST_TMP/NAME.trace OPTIONS...";
#                               stdout (events) in NAME.out, stderr (log) in
#                               NAME.err. Sets ST_PID and ST_PORT (UDP and
#                               TCP), ST_NAME. Returns once sipterm listens.
#                               ST_STDIN (optional): a file or FIFO to read
#                               commands from instead of /dev/null.
#   st_stop [SIGNAL]            signal it (TERM), wait at most 8 s, then
#                               KILL; returns its exit status (137: killed)
#   st_wait                     the same without the signal (it is quitting)
#   st_running PID              the process runs (a zombie does not count)
#   ask udp|tcp FILE NAME       send FILE to ST_PORT with socat; the answers
#                               land in $TEST_TMP/NAME.ans. Returns as soon
#                               as an answer is in (see answer_status), or
#                               after ASK_WAIT (tenths of a second, def. 20).
#   answer_status FILE          "CODE REASON" of the first response that is
#                               not 100 Trying (a final one, or the 18x of
#                               an INVITE that rings)
#   st_trace FILE               a --siptrace file, one line per message:
#                               "MS send|recv PROTO START-LINE~CSEQ~EXPIRES"
#                               (MS: milliseconds since midnight)
#   st_left                     pids of processes of this test still running
#
# sipterm gets a private HOME and XDG directories (it keeps its instance id
# in $XDG_DATA_HOME/sipterm/instance-id). Every process started here names
# TEST_TMP on its command line, which st_left relies on.

HOME=$TEST_TMP/home
XDG_CONFIG_HOME=$TEST_TMP/home/.config
XDG_DATA_HOME=$TEST_TMP/home/.local/share
XDG_STATE_HOME=$TEST_TMP/home/.local/state
XDG_CACHE_HOME=$TEST_TMP/home/.cache
export HOME XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME XDG_CACHE_HOME
mkdir -p "$HOME"
ST_PID=""
ST_PORT=""
ST_NAME=""
ASK_WAIT=20

# poll STEPS CMD...: run CMD every 0.02 s until it succeeds, at most STEPS
# times (sipterm starts and stops in a few ms: wait_for's 0.1 s would
# dominate a test that starts it sixty times)
poll() {
	_k=$1; shift
	while [ "$_k" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.02
		_k=$((_k - 1))
	done
	return 1
}

st_running() {
	_stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $_stat in Z*) return 1 ;; esac
	return 0
}

_st_exited() { ! st_running "$1"; }

_st_port() {
	ST_PORT=$(sed -n 's/.*listening for SIP on port \([0-9][0-9]*\).*/\1/p' "$1" 2>/dev/null)
	[ -n "$ST_PORT" ]
}

st_start() {
	_n=$1; shift
	ST_PORT=""
	ST_NAME=$_n
	for _try in 1 2 3; do
		"$SIPTERM" --headless -l 127.0.0.1:0 --siptrace="$TEST_TMP/$_n.trace" "$@" \
			<"${ST_STDIN:-/dev/null}" >"$TEST_TMP/$_n.out" 2>"$TEST_TMP/$_n.err" &
		ST_PID=$!
		test_pids="$test_pids $ST_PID"
		poll 250 _st_port "$TEST_TMP/$_n.err" && return 0
		# see the report: port 0 can fail while other tests hold many
		# TCP ports; that is not what these tests are about
		if grep -q "cannot listen for SIP.*: Address already in use" \
			"$TEST_TMP/$_n.err" 2>/dev/null; then
			diag "st_start $_n: sipterm -l 127.0.0.1:0 found no free port (try $_try);" \
				"$(ss -s | sed -n 2p)"
			wait "$ST_PID" 2>/dev/null
			continue
		fi
		break
	done
	diag "st_start $_n: sipterm did not start; its log:"
	tail -n 20 "$TEST_TMP/$_n.err" | awk '{ print "#   " $0 }'
	return 1
}

st_stop() {
	[ -n "$ST_PID" ] || return 0
	kill "-${1:-TERM}" "$ST_PID" 2>/dev/null
	st_wait
}

st_wait() {
	[ -n "$ST_PID" ] || return 0
	poll 400 _st_exited "$ST_PID" || kill -KILL "$ST_PID" 2>/dev/null
	wait "$ST_PID"
	_rc=$?
	ST_PID=""
	return $_rc
}

# has_answer FILE: FILE holds a response other than 100 Trying (a final
# one, or the 180 of an INVITE that rings)
has_answer() {
	grep -a -q '^SIP/2\.0 \(1[1-9][0-9]\|1[0-9][1-9]\|[2-6][0-9][0-9]\)' "$1" 2>/dev/null
}

answer_status() {
	grep -a -m1 '^SIP/2\.0 \(1[1-9][0-9]\|1[0-9][1-9]\|[2-6][0-9][0-9]\)' "$1" 2>/dev/null |
		tr -d '\r' | sed 's/^SIP\/2\.0 //'
}

ask() {
	_out=$TEST_TMP/$3.ans
	: >"$_out"
	case $1 in
	udp) _peer=UDP4:127.0.0.1:$ST_PORT ;;
	tcp) _peer=TCP4:127.0.0.1:$ST_PORT ;;
	*) return 1 ;;
	esac
	# one datagram (or one connection): the file to sipterm, the answers
	# to NAME.ans; -t bounds the wait for answers after the file is sent
	socat -b 65535 -t 3 "OPEN:$2,rdonly!!OPEN:$_out,wronly,append" "$_peer" \
		2>"$_out.err" &
	_sp=$!
	_t=$((ASK_WAIT * 5))
	while [ "$_t" -gt 0 ] && ! has_answer "$_out" && st_running "$_sp"; do
		sleep 0.02
		_t=$((_t - 1))
	done
	kill "$_sp" 2>/dev/null
	wait "$_sp" 2>/dev/null
	return 0
}

st_trace() {
	awk '
	function flush() {
		if (have)
			print ms, dir, proto, start "~" cseq "~" ex
		have = 0
	}
	/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9] (UDP|TCP|TLS) (send|recv) (to|from) / {
		flush()
		split($1, t, /[:.]/)
		ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
		proto = $2; dir = $3; have = 1; first = 1; cseq = ""; ex = ""
		next
	}
	{ sub(/\r$/, "") }
	have && first { start = $0; first = 0; next }
	have && tolower($0) ~ /^cseq[ \t]*:/ { cseq = $0; sub(/^[^:]*:[ \t]*/, "", cseq) }
	have && tolower($0) ~ /^expires[ \t]*:/ { ex = $0; sub(/^[^:]*:[ \t]*/, "", ex) }
	END { flush() }' "$1"
}

st_left() {
	pgrep -f -- "$TEST_TMP" | tr '\n' ' '
}
