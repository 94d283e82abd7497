# tests/presence/pres.sh: helpers for the presence tests (sourced after
# tests/lib.sh).  The sipterm of each NAME is driven through a FIFO:
# tests/tools/fifo.sh (fifo_need, fifo_cmd, fifo_quit, fifo_ev,
# fifo_count, fifo_wait_count, fifo_dump...).
#
#   pres_start NAME PORT SECS [ARGS...]
#                              fifo_start with the SIP trace in NAME.trace,
#                              the null audio device, its data directory
#                              $PRES_DATA_DIR (default $TEST_TMP/NAME.data:
#                              the buddies file)
#   pres_last NAME BUDDY       the last presence event NAME got about BUDDY
#                              as "basic|activity|note"
#   pres_latency SECS NAME JQ-FILTER N
#                              wait (polling every 10 ms) until N events
#                              match; prints the milliseconds it took;
#                              fails after SECS
#   pres_buddies NAME          run "buddies" and print its output lines
#   pres_count_sip FILE METHOD [DEST [FROM-LINE]]
#                              the number of METHOD requests (retransmissions
#                              included) sent in a --siptrace file, to DEST
#                              (ADDR:PORT) only, from line FROM-LINE on

# shellcheck disable=SC1091
. "$top_srcdir/tests/tools/fifo.sh"

pres_start() {
	_n=$1 _p=$2 _s=$3; shift 3
	fifo_start "$_n" "$_p" "$_s" "${PRES_DATA_DIR:-$TEST_TMP/$_n.data}" \
		--siptrace="$TEST_TMP/$_n.trace" --audio null "$@"
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
		if _fifo_enough "$_ln" "$_lf" "$_lc"; then
			echo $(( $(_pres_ms) - _l0 ))
			return 0
		fi
		[ "$(_pres_ms)" -lt "$_lend" ] || return 1
		sleep 0.01
	done
}

# pres_buddies NAME: the lines "buddies" prints (not events), waiting
# at most 2 s for them
_pres_text_lines() { grep -c '^{"output":' "$TEST_TMP/$1.out" 2>/dev/null; }
_pres_more_text() { [ "$(_pres_text_lines "$1")" -gt "$2" ]; }
pres_buddies() {
	_b0=$(_pres_text_lines "$1")
	fifo_cmd "$1" buddies 2>/dev/null
	wait_for 2 _pres_more_text "$1" "$_b0" || return 1
	sleep 0.2
	grep '^{"output":' "$TEST_TMP/$1.out" | tail -n +$((_b0 + 1)) | st_output
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
