# tests/interop/kamailio.sh: a private Kamailio for one test (sourced after
# tests/lib.sh).
#
#   kam_need                       skip unless Kamailio & co are installed
#   kam_start [USER:PASSWORD...]   start it (default users alice, bob, carol)
#   kam_stop                       stop it (also run automatically at exit)
#   kam_log                        print its log (for diagnostics)
#   kam_sipp NAME SCENARIO [SIPP-OPTIONS...]
#                                  run one SIPp call against it
#
# After kam_start: KAM_PORT (UDP and TCP), KAM_ADDR=127.0.0.1:$KAM_PORT,
# KAM_DOMAIN=sipterm.test, KAM_DB (the sqlite file), KAM_DIR, KAM_LOG.
# Users are user@sipterm.test; REGISTER is challenged with 401, every other
# initial request with 407 (realm sipterm.test).
#
# KAM_EXTRA_ARGS (environment) is appended to Kamailio's command line,
# e.g. KAM_EXTRA_ARGS="-A WITH_QOP" for qop="auth" challenges, or
# "-A WITH_DEBUG" for a verbose log.

# Debian installs kamailio in /usr/sbin, which is not in a normal user's PATH
case ":$PATH:" in
*:/usr/sbin:*) ;;
*) PATH=$PATH:/usr/sbin ;;
esac

KAM_CFG=${KAM_CFG:-$top_srcdir/tests/interop/kamailio.cfg}
KAM_SQL_DIR=${KAM_SQL_DIR:-/usr/share/kamailio/db_sqlite}
KAM_SIPP_DIR=$top_srcdir/tests/interop/sipp
KAM_DOMAIN=sipterm.test
KAM_PID=""
KAM_PGID=""
KAM_WATCHDOG=""
_kam_at_exit=""

# _kam_db FILE USER:PASSWORD...: the sqlite database Kamailio works on
_kam_db() {
	_db=$1; shift
	rm -f "$_db"
	{
		for _s in standard auth_db presence msilo; do
			cat "$KAM_SQL_DIR/$_s-create.sql" || return 1
		done
		for _u in "$@"; do
			_name=${_u%%:*}
			_pw=${_u#*:}
			# SQL-quote: ' becomes ''
			_name=$(printf '%s' "$_name" | sed "s/'/''/g")
			_pw=$(printf '%s' "$_pw" | sed "s/'/''/g")
			printf "INSERT INTO subscriber (username, domain, password) VALUES ('%s', '%s', '%s');\n" \
				"$_name" "$KAM_DOMAIN" "$_pw"
		done
		# readers and the writer of another worker do not lock each other out
		echo "PRAGMA journal_mode=WAL;"
	} | sqlite3 -bail "$_db" >/dev/null
}

# _kam_ready PORT: the first worker has initialised and both sockets are bound
_kam_ready() {
	grep -q SIPTERM-KAMAILIO-READY "$KAM_LOG" 2>/dev/null || return 1
	_l=$(ss -Hlnut "sport = :$1" 2>/dev/null)
	case $_l in *udp*) ;; *) return 1 ;; esac
	case $_l in *tcp*) ;; *) return 1 ;; esac
}

# kam_need: skip the whole test (fail under SIPTERM_REQUIRE_INTEROP=1) when
# a package is missing. kam_start does it too, but call it before tap_plan:
# skip_all prints its own plan.
kam_need() {
	need_cmd kamailio kamailio
	need_cmd sqlite3 sqlite3
	need_cmd setsid util-linux
	for _md in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
		[ -d "$_md" ] && break
	done
	if [ ! -r "$_md/db_sqlite.so" ] || [ ! -r "$KAM_SQL_DIR/presence-create.sql" ]; then
		skip_all "Kamailio sqlite support missing (apt-get install kamailio-sqlite-modules)"
	fi
	[ -r "$_md/presence_xml.so" ] ||
		skip_all "Kamailio presence missing (apt-get install kamailio-presence-modules)"
}

kam_start() {
	kam_need
	[ $# -gt 0 ] || set -- alice:alicepw bob:bobpw carol:carolpw

	if [ -n "$KAM_PID" ]; then
		diag "kam_start: Kamailio already running (pid $KAM_PID)"
		return 1
	fi
	if [ -z "$_kam_at_exit" ]; then
		at_exit kam_stop
		_kam_at_exit=1
	fi

	KAM_DIR=$TEST_TMP/kamailio
	KAM_DB=$KAM_DIR/kamailio.db
	KAM_LOG=$TEST_TMP/kamailio.log
	mkdir -p "$KAM_DIR" || return 1
	if ! _kam_db "$KAM_DB" "$@"; then
		diag "kam_start: cannot build $KAM_DB"
		return 1
	fi

	# free_port can race with a parallel test: retry on "address in use"
	for _try in 1 2 3 4 5; do
		_port=$(free_port) || return 1
		rm -f "$KAM_DIR/kamailio.pid"
		# own session: kam_stop kills the whole process group, and a
		# Ctrl-C on the terminal reaches the test (which cleans up), not
		# Kamailio directly.
		# shellcheck disable=SC2086
		setsid kamailio -f "$KAM_CFG" -P "$KAM_DIR/kamailio.pid" \
			-w "$KAM_DIR" -Y "$KAM_DIR" -DD -E -m 64 -M 8 \
			-A "KAM_PORT=$_port" \
			-A "KAM_DB_URL=\"sqlite:///$KAM_DB\"" \
			-A "KAM_SELF_URI=\"sip:127.0.0.1:$_port;transport=udp\"" \
			${KAM_EXTRA_ARGS:-} \
			</dev/null >"$KAM_LOG" 2>&1 &
		KAM_PID=$!
		KAM_PGID=$KAM_PID

		_ok=0
		_t=50	# 5 s
		while [ $_t -gt 0 ]; do
			if _kam_ready "$_port"; then _ok=1; break; fi
			kill -0 "$KAM_PID" 2>/dev/null || break
			sleep 0.1
			_t=$((_t - 1))
		done
		if [ $_ok = 1 ]; then
			# the pid file is the authority (setsid may have forked)
			if [ -s "$KAM_DIR/kamailio.pid" ]; then
				KAM_PID=$(cat "$KAM_DIR/kamailio.pid")
				KAM_PGID=$(ps -o pgid= -p "$KAM_PID" | tr -d ' ')
			fi
			KAM_PORT=$_port
			KAM_ADDR=127.0.0.1:$KAM_PORT
			export KAM_PORT KAM_ADDR KAM_DOMAIN KAM_DB KAM_DIR KAM_LOG
			_kam_watchdog
			return 0
		fi
		kam_stop
		cp "$KAM_LOG" "$KAM_LOG.try$_try" 2>/dev/null
		if grep -q "Address already in use" "$KAM_LOG"; then
			diag "kam_start: port $_port taken, trying another"
			continue
		fi
		break
	done
	diag "kam_start: Kamailio did not start; its log:"
	kam_log | awk '{ print "#   " $0 }'
	return 1
}

# If the test shell dies without running its EXIT trap (SIGKILL), take
# Kamailio down with it. Stopped by lib.sh's cleanup like any spawn()ed child.
_kam_watchdog() {
	_parent=$$
	_pg=$KAM_PGID
	( trap 'exit 0' TERM
	  while kill -0 "$_parent" 2>/dev/null; do sleep 0.5; done
	  kill -KILL -- "-$_pg" 2>/dev/null ) </dev/null >/dev/null 2>&1 &
	KAM_WATCHDOG=$!
	test_pids="$test_pids $KAM_WATCHDOG"
}

# _kam_alive: some process of Kamailio is still running (zombies, which only
# wait for their parent to reap them, do not count)
_kam_alive() {
	if [ "$KAM_PGID" = "$KAM_PID" ]; then
		ps -e -o pgid=,stat= | awk -v g="$KAM_PGID" \
			'$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
	else
		ps -o stat= -p "$KAM_PID" | grep -qv '^Z'
	fi
}

kam_stop() {
	[ -n "$KAM_PID" ] || return 0
	if [ -s "${KAM_DIR:-/nonexistent}/kamailio.pid" ]; then
		KAM_PID=$(cat "$KAM_DIR/kamailio.pid")
	fi
	# whole group when Kamailio leads its own (it does, see setsid above)
	if [ "$KAM_PGID" = "$KAM_PID" ]; then _tgt=-$KAM_PGID; else _tgt=$KAM_PID; fi
	kill -TERM -- "$_tgt" 2>/dev/null
	_t=50	# 5 s, then no more manners
	while _kam_alive && [ $_t -gt 0 ]; do
		sleep 0.1
		_t=$((_t - 1))
	done
	kill -KILL -- "$_tgt" 2>/dev/null
	wait "$KAM_PID" 2>/dev/null
	if [ -n "$KAM_WATCHDOG" ]; then
		kill "$KAM_WATCHDOG" 2>/dev/null
		wait "$KAM_WATCHDOG" 2>/dev/null
		KAM_WATCHDOG=""
	fi
	KAM_PID=""
	KAM_PGID=""
	return 0
}

kam_log() {
	cat "${KAM_LOG:-$TEST_TMP/kamailio.log}" 2>/dev/null
}

# kam_sipp NAME SCENARIO [SIPP-OPTIONS...]: one call (-m 1) of
# tests/interop/sipp/SCENARIO.xml against Kamailio, from 127.0.0.1, bounded
# to 10 s. Traces go to $TEST_TMP/NAME.{out,msg,err,log}; <log> actions of
# the scenario end up in NAME.log. Returns SIPp's exit status (0: success).
# The local SIP port is chosen with free_port unless the options give -p
# (SIPp's own default is 5060, which parallel tests would fight over), and
# so is the control port (-cp, default 8888).
kam_sipp() {
	_kam_sipp fg "$@"
}

# kam_sipp_bg NAME SCENARIO PORT [SIPP-OPTIONS...]: the same in the
# background, typically a UAS waiting on 127.0.0.1:PORT for a request the
# proxy routes to it; returns once SIPp listens. kam_sipp_wait NAME then
# gives its exit status.
kam_sipp_bg() {
	_n=$1 _s=$2 _p=$3; shift 3
	_kam_sipp bg "$_n" "$_s" -p "$_p" "$@" || return 1
	wait_for 5 _kam_listening "$_p"
}

kam_sipp_wait() {
	_v=$(printf '%s' "$1" | tr -c 'A-Za-z0-9_' _)
	eval "_p=\${_kam_sipp_pid_$_v:-}"
	[ -n "$_p" ] || return 1
	wait "$_p"
}

_kam_listening() {
	[ -n "$(ss -Hlnut "sport = :$1" 2>/dev/null)" ]
}

# _kam_sipp fg|bg NAME SCENARIO [OPTIONS...]
_kam_sipp() {
	_mode=$1 _name=$2 _scen=$3; shift 3
	need_cmd sipp sip-tester
	case " $* " in
	*" -p "*) ;;
	*) _sp=$(free_port) || return 1; set -- -p "$_sp" "$@" ;;
	esac
	_cp=$(free_port) || return 1
	# GNU timeout forwards SIGTERM to SIPp: killing its pid is enough
	set -- timeout 20 sipp "$KAM_ADDR" -sf "$KAM_SIPP_DIR/$_scen.xml" \
		-i 127.0.0.1 -bind_local -cp "$_cp" -nostdin \
		-m 1 -timeout 10s -timeout_error \
		-trace_msg -message_file "$TEST_TMP/$_name.msg" \
		-trace_err -error_file "$TEST_TMP/$_name.err" \
		-trace_logs -log_file "$TEST_TMP/$_name.log" \
		"$@"
	if [ "$_mode" = fg ]; then
		"$@" </dev/null >"$TEST_TMP/$_name.out" 2>&1
		return
	fi
	"$@" </dev/null >"$TEST_TMP/$_name.out" 2>&1 &
	_v=$(printf '%s' "$_name" | tr -c 'A-Za-z0-9_' _)
	eval "_kam_sipp_pid_$_v=\$!"
	test_pids="$test_pids $!"
}

# kam_sipp_diag NAME: show what SIPp saw (after a failure)
kam_sipp_diag() {
	for _f in "$TEST_TMP/$1.err" "$TEST_TMP/$1.msg" "$TEST_TMP/$1.log"; do
		[ -s "$_f" ] || continue
		diag "--- $_f"
		# awk: every line ends with a newline, even the file's last one,
		# or the next TAP line would be glued to this comment
		tail -n 60 "$_f" | tr -d '\r' | awk '{ print "#   " $0 }'
	done
}
