# tests/tools/sipp.sh: SIPp in the tests (sourced after tests/lib.sh, by
# bash).  The sourcing test sets SCEN, the folder of its scenarios.
#
# SIPp, -p, -cp and -mp from free_port unless given (its defaults 5060,
# 8888 and 6000 would collide with parallel tests), -m 1 unless given:
#   sipp_run NAME SCEN TARGET [OPTIONS...]
#                              a UAC in the foreground, 25 s at most; its
#                              exit status (0: every call succeeded)
#   sipp_call_bg NAME SCEN TARGET LIMIT [OPTIONS...]
#                              the same in the background
#   sipp_bg NAME SCEN PORT [OPTIONS...]
#                              a UAS on 127.0.0.1:PORT in the background
#                              (SIPP_SECS, 25 s at most), once it listens
#   sipp_wait NAME             the exit status of a background SIPp
#   sipp_serve NAME SCEN [OPTIONS...]
#                              a server on a free port (SIPP_PORT), taking
#                              calls (no -m) until sipp_quit, 60 s at most
#   sipp_quit                  "q" on its control port; its exit status
#   sipp_diag NAME             SIPp's output and traces as diag
# Files: NAME.out (output), NAME.msg (messages), NAME.err.sipp (errors),
# NAME.log (<log> actions).  SIPp runs in TEST_TMP, where rtp_stream
# finds its files.
#
#   result DESC STATUS [DIAG-FUNCTION ARG]...
#                              one TAP line; on failure run the diagnostics

declare -gA sipp_pid=()

# ------------------------------------------------------------------
# SIPp

sipp_run() {
	_sipp fg 25 "$@"
}

sipp_call_bg() {
	_sn=$1 _ss=$2 _st=$3 _lim=$4
	shift 4
	_sipp bg "$_lim" "$_sn" "$_ss" "$_st" "$@"
}

sipp_bg() {
	_sn=$1 _ss=$2 _sp=$3
	shift 3
	_sipp bg "${SIPP_SECS:-25}" "$_sn" "$_ss" "" -p "$_sp" "$@" || return 1
	wait_for 5 _listening "$_sp"
}

sipp_wait() {
	_wp=${sipp_pid[$1]:-}
	[ -n "$_wp" ] || return 1
	wait "$_wp"
}

# shellcheck disable=SC2317 # called through wait_for
_listening() {
	[ -n "$(ss -Hlnu "sport = :$1" 2>/dev/null)" ]
}

# _sipp fg|bg|serve LIMIT NAME SCENARIO TARGET [OPTIONS...]; SIPp's
# control port in SIPP_CP.  serve: in the background, no -m
_sipp() {
	_mode=$1 _lim=$2 _sn=$3 _ss=$4 _st=$5
	shift 5
	case " $* " in
	*" -p "*) ;;
	*) _pp=$(free_port) || return 1; set -- -p "$_pp" "$@" ;;
	esac
	case " $* " in
	*" -mp "*) ;;
	*) _mp=$(free_port) || return 1; set -- -mp "$_mp" "$@" ;;
	esac
	case "$_mode: $* " in
	serve:* | *" -m "*) ;;
	*) set -- -m 1 "$@" ;;
	esac
	SIPP_CP=$(free_port) || return 1
	rm -f "$TEST_TMP/$_sn.msg" "$TEST_TMP/$_sn.err.sipp" "$TEST_TMP/$_sn.log"
	set -- timeout -k 2 "$_lim" sipp ${_st:+"$_st"} -sf "$SCEN/$_ss.xml" \
		-i 127.0.0.1 -mi 127.0.0.1 -bind_local -cp "$SIPP_CP" -nostdin \
		-timeout "$((_lim - 5))s" -timeout_error \
		-trace_msg -message_file "$TEST_TMP/$_sn.msg" \
		-trace_err -error_file "$TEST_TMP/$_sn.err.sipp" \
		-trace_logs -log_file "$TEST_TMP/$_sn.log" \
		"$@"
	if [ "$_mode" = fg ]; then
		(cd "$TEST_TMP" && exec "$@") </dev/null >"$TEST_TMP/$_sn.out" 2>&1
		return
	fi
	(cd "$TEST_TMP" && exec "$@") </dev/null >"$TEST_TMP/$_sn.out" 2>&1 &
	sipp_pid[$_sn]=$!
	test_pids="$test_pids $!"
}

# A port from free_port may be taken by the time SIPp binds it: three tries.
sipp_serve() {
	_sn=$1 _ss=$2
	shift 2
	for _try in 1 2 3; do
		SIPP_PORT=$(free_port) || return 1
		_sipp serve 60 "$_sn" "$_ss" "" -p "$SIPP_PORT" "$@" || return 1
		SIPP_PID=${sipp_pid[$_sn]}
		wait_for 5 _sipp_serving "$SIPP_PORT" "$SIPP_PID" && return 0
		kill "$SIPP_PID" 2>/dev/null
		wait "$SIPP_PID" 2>/dev/null
	done
	diag "sipp_serve $_sn: SIPp did not start"
	tail -n 5 "$TEST_TMP/$_sn.out" | awk '{ print "#   " $0 }'
	return 1
}

# shellcheck disable=SC2317 # called through wait_for
_sipp_serving() {
	_stat=$(ps -o stat= -p "$2" 2>/dev/null) || return 1
	case $_stat in Z*) return 1 ;; esac   # died: the port is someone else's
	_listening "$1"
}

# SIPp ends once its calls are over
sipp_quit() {
	printf q | socat -u - "UDP4:127.0.0.1:$SIPP_CP" 2>/dev/null
	wait "$SIPP_PID"
}

sipp_diag() {
	for _f in "$TEST_TMP/$1.out" "$TEST_TMP/$1.err.sipp" "$TEST_TMP/$1.msg" "$TEST_TMP/$1.log"; do
		[ -s "$_f" ] || continue
		diag "--- $_f"
		tail -n 60 "$_f" | tr -d '\r' | cut -c1-300 | awk '{ print "#   " $0 }'
	done
}

result() {
	_d=$1 _r=$2
	shift 2
	if [ "$_r" = 0 ]; then
		ok "$_d"
	else
		not_ok "$_d"
		while [ $# -gt 0 ]; do
			$1 "$2"
			shift 2
		done
	fi
}
