# tests/lib.sh: shared helpers for the shell tests (sourced, POSIX sh + bash).
# Each test prints TAP: a plan ("1..N"), then "ok N - what" / "not ok N - what".
# Automake's tap-driver counts every line, so every check is a counted test.
#
# Peers (Kamailio, SIPp, baresip...) that are missing make a test skip,
# unless SIPTERM_REQUIRE_INTEROP=1 (as in .ci/run), where they fail.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SIPTERM="$top_builddir/sipterm"
tap_n=0
tap_failed=0

tap_plan() { echo "1..$1"; }
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
# check DESC CMD...: run CMD, ok when it exits 0
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
diag() { echo "# $*"; }

# skip_all REASON: the whole test cannot run here.
skip_all() {
	if [ "${SIPTERM_REQUIRE_INTEROP:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - required peer missing: $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

# need_cmd CMD [DEBIAN-PACKAGE]: skip (or fail) when CMD is not installed.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip_all "$1 not installed (apt-get install ${2:-$1})"
}

# A private scratch directory, removed on exit along with any child started
# through spawn().
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sipterm-test.XXXXXX")
test_pids=""
cleanup_hooks=""
spawn() {
	"$@" &
	test_pids="$test_pids $!"
}
at_exit() { cleanup_hooks="$cleanup_hooks
$*"; }
_test_cleanup() {
	eval "$cleanup_hooks"
	for p in $test_pids; do kill "$p" 2>/dev/null; done
	sleep 0.1
	for p in $test_pids; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "${SIPTERM_KEEP_TMP:-}" ] || rm -rf "$TEST_TMP"
}
trap _test_cleanup EXIT
trap 'exit 130' INT TERM

# free_port [udp|tcp]: a port on 127.0.0.1 that nobody uses right now,
# chosen at random in 10000-16383: below sipterm's RTP ports (16384-32767)
# and the kernel's ephemeral range (where port-0 sockets of parallel tests
# land), so parallel tests rarely collide.
free_port() {
	_lo=10000 _n=6384
	read -r _el _eh < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || _el=
	if [ -n "$_el" ] && [ "$_el" -le 16384 ]; then
		_lo=20000 _n=40000 # an unusual ephemeral range: spread wide instead
	fi
	for _i in $(seq 1 50); do
		# $RANDOM does not exist in dash: read the kernel's randomness
		_r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		_p=$(( _r % _n + _lo ))
		if ! ss -Huanlt 2>/dev/null | awk '{print $5}' | grep -q ":$_p\$"; then
			echo "$_p"
			return 0
		fi
	done
	return 1
}

# udp_bound PORT: something listens on UDP PORT.
udp_bound() {
	ss -Huanl 2>/dev/null | awk '{print $4}' | grep -q ":$1\$"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	_t=$(( $1 * 10 )); shift
	while [ $_t -gt 0 ]; do
		if "$@" 2>/dev/null; then return 0; fi
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}

# st_output [FILE]: the command output in sipterm's standard output (FILE,
# else standard input): the text of its {"output":...} lines (--events
# json) and the plain lines; JSON events left out.  Needs jq.
st_output() {
	jq -rR 'if startswith("{\"output\":") then (fromjson? | .output)
		elif startswith("{") then empty else . end' ${1:+"$1"} 2>/dev/null
}

# done_testing: exit status follows the failures.
done_testing() {
	[ $tap_failed -eq 0 ]
	exit $?
}
