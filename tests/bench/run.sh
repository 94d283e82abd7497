#!/bin/sh
# tests/bench/run.sh: the benchmarks behind `make bench`.
#
#   run.sh [SECTION...]      sections: parse (default: every section)
#
# One function per benchmark (bench_parse, ...), each printing key=value
# lines and a summary; later sections (call load: SIPp against sipterm and
# baresip) plug in the same way.  Run from the build directory by make;
# top_srcdir and top_builddir are derived from $0 and the cwd when unset.
#
# Environment: BENCH_SECONDS (2) per message and parser, split into
# BENCH_ROUNDS (4) alternating rounds; BENCH_SOFIA_EQ=0 skips the "equal
# work" Sofia run; BENCH_STRICT=1 makes a missed target an error.
set -u

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
trap 'rm -rf "$bench_tmp"' EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
fail() { say "FAIL: $*" >&2; bench_failed=1; }
# field LINE KEY: the value of KEY=value in a line of key=value pairs
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
# ratio A B: A / B with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
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
# main: run the sections asked for, or all of them.
sections=${*:-parse}
for section in $sections; do
	case $section in
	parse) bench_parse ;;
	*) fail "unknown section: $section (known: parse)" ;;
	esac
done
exit "$bench_failed"
