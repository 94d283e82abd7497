#!/bin/bash
# tests/presence/serverless.sh: presence between two sipterms by IP address
# only (direct mode: no accounts, each is the other's notifier), headless,
# events as JSON.
#
# Each adds the other as a buddy and gets its first NOTIFY; status changes
# both ways (away with a quoted note holding XML specials and an
# apostrophe, busy, offline with a note, online) reach the watcher as presence events with the right basic,
# activity and note within 2 s each (the latency is printed); "buddies"
# shows the subscriptions active; a SUBSCRIBE for another event package
# (Event: dialog) gets 489 with Allow-Events: presence; a call makes both
# sides on-the-phone for their watchers, and the status before it comes
# back after the hangup.  When A quits, B sees alice as unknown within
# 2 s, its subscription not active any more, and does not flood the
# vanished A with SUBSCRIBEs.  Restarted with the same data directory, A
# still has bob (the buddies file) and gets his presence again.  B quitting
# while a watcher of his (C) has vanished: A's immediate re-SUBSCRIBE is
# refused, so A does not show B present, and B still exits cleanly.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/presence/pres.sh"

fifo_need
need_cmd perl perl
T=$TEST_TMP

tap_plan 32

pa=$(free_port) && pb=$(free_port)
while [ "$pb" = "$pa" ]; do pb=$(free_port); done
pc=$(free_port)
while [ "$pc" = "$pa" ] || [ "$pc" = "$pb" ]; do pc=$(free_port); done
A=sip:alice@127.0.0.1:$pa
B=sip:bob@127.0.0.1:$pb

# a jq string literal
jstr() { jq -n --arg s "$1" '$s'; }
pfilter() { # BUDDY BASIC ACTIVITY NOTE
	echo ".event == \"presence\" and .buddy == \"$1\" and .basic == \"$2\" and .activity == \"$3\" and .note == $(jstr "$4")"
}

# seen WHO BUDDY BASIC ACTIVITY NOTE SETTER COMMAND: SETTER runs COMMAND,
# WHO must get the presence event within 2 s
seen() {
	_who=$1 _bud=$2 _basic=$3 _act=$4 _note=$5 _set=$6 _cmd=$7
	_f=$(pfilter "$_bud" "$_basic" "$_act" "$_note")
	_n0=$(fifo_count "$_who" "$_f")
	fifo_cmd "$_set" "$_cmd"
	if _ms=$(pres_latency 2 "$_who" "$_f" $((_n0 + 1))); then
		ok "'$_cmd' on $_set: $_who sees $_bud $_basic/${_act:-no activity}/${_note:-no note} in $_ms ms"
		latencies="$latencies $_ms"
	else
		not_ok "'$_cmd' on $_set: $_who sees $_bud $_basic/${_act:-no activity}/${_note:-no note} within 2 s (last: $(pres_last "$_who" "$_bud"))"
		fifo_dump "$_who"
	fi
}
latencies=""

# 1. two sipterms; B answers calls at once
if pres_start a "$pa" 60 && pres_start b "$pb" 60 -A0; then
	ok "two sipterms listen on 127.0.0.1:$pa and :$pb (no accounts)"
else
	not_ok "two sipterms listen"
	echo "Bail out! no sipterm"
	exit 1
fi

# 2-3. each watches the other: the first NOTIFY says open
fifo_cmd a "buddy add $B bob"
fifo_cmd b "buddy add $A alice"
check "A watches B: bob is open" fifo_wait_count 3 a "$(pfilter bob open '' '')" 1
check "B watches A: alice is open" fifo_wait_count 3 b "$(pfilter alice open '' '')" 1

# 4-11. status changes both ways
# commands are split like shell words: a note with an apostrophe is quoted
note1="lunch & coffee <back at 2>, I'm  out"
seen a bob open away "$note1" b "status away \"$note1\""
seen a bob open busy "" b "status busy"
seen a bob closed "" "gone home" b "status offline gone home"
seen a bob open "" "" b "status online"
seen b alice open away "brb" a "status away brb"
seen b alice open busy "in a meeting" a "status busy in a meeting"
seen b alice closed "" "" a "status offline"
seen b alice open "" "" a "status online"

# 12-13. buddies: the subscriptions are active
la=$(pres_buddies a)
if printf '%s\n' "$la" | grep -q "^bob $B open (active)\$"; then
	ok "A: 'buddies' lists bob, open, subscription active"
else
	not_ok "A: 'buddies' lists bob, open, subscription active (got: $la)"
fi
lb=$(pres_buddies b)
if printf '%s\n' "$lb" | grep -q "^alice $A open (active)\$"; then
	ok "B: 'buddies' lists alice, open, subscription active"
else
	not_ok "B: 'buddies' lists alice, open, subscription active (got: $lb)"
fi

# 14. another event package
r=$(perl "$top_srcdir/tests/presence/subscribe-raw.pl" "$pb" dialog)
case $r in
"489	"*presence*) ok "SUBSCRIBE with Event: dialog gets 489, Allow-Events: presence" ;;
*) not_ok "SUBSCRIBE with Event: dialog gets 489, Allow-Events: presence (got: $r)" ;;
esac

# 15-18. a call: on-the-phone on both sides, then back to what it was
seen a bob open away "in the garden" b "status away in the garden"
fifo_cmd a "call $B"
if fifo_wait_count 5 a '.event == "call-answered"' 1; then
	check "during the call A sees bob on-the-phone (his note kept)" \
		fifo_wait_count 2 a "$(pfilter bob open on-the-phone "in the garden")" 1
	check "and B sees alice (the caller) on-the-phone" \
		fifo_wait_count 2 b "$(pfilter alice open on-the-phone '')" 1
else
	not_ok "during the call A sees bob on-the-phone (B did not answer)"
	not_ok "and B sees alice (the caller) on-the-phone (B did not answer)"
	fifo_dump a
fi
f=$(pfilter bob open away "in the garden")
n0=$(fifo_count a "$f")
fifo_cmd a hangup
if fifo_wait_count 2 a "$f" $((n0 + 1)); then
	ok "after the hangup A sees bob away again"
else
	not_ok "after the hangup A sees bob away again (last: $(pres_last a bob))"
	fifo_dump a
fi

# 19-22. A quits: B's view of alice
fifo_wait_count 2 b '.event == "call-ended"' 1
mark=$(wc -l <"$T/b.trace")
f='.event == "presence" and .buddy == "alice" and (.basic == "unknown" or .basic == "closed")'
n0=$(fifo_count b "$f")
t0=$(_pres_ms)
fifo_quit a
rc=$?
check "A quits with status 0 (was $rc)" [ "$rc" = 0 ]
if pres_latency 2 b "$f" $((n0 + 1)) >/dev/null && [ "$(pres_last b alice | cut -d'|' -f1)" != open ]; then
	ok "B sees alice $(pres_last b alice | cut -d'|' -f1) within $(( $(_pres_ms) - t0 )) ms of the quit command"
else
	not_ok "B sees alice unknown or closed within 2 s of A's quit (last: $(pres_last b alice))"
	fifo_dump b
fi
sleep 3
lb=$(pres_buddies b | grep '^alice ')
case $lb in
"alice $A unknown ("*)
	case $lb in
	*"(active)") not_ok "B: alice's subscription is not shown active after A quit (got: $lb)" ;;
	*) ok "B: 'buddies' shows alice unknown, subscription not active: ${lb#alice $A unknown }" ;;
	esac ;;
*) not_ok "B: 'buddies' shows alice unknown, subscription not active (got: $lb)" ;;
esac
# one re-SUBSCRIBE transaction (with its UDP retransmissions) at most
n=$(pres_count_sip "$T/b.trace" SUBSCRIBE "127.0.0.1:$pa" $((mark + 1)))
diag "SUBSCRIBEs (retransmissions included) B sent to the vanished A in 3 s: $n"
check "B does not flood the vanished A ($n SUBSCRIBEs in 3 s, at most 5)" [ "$n" -le 5 ]

# 23-25. A again, same data directory: bob is still a buddy
check "the buddies file holds bob" grep -q "^bob	$B\$" "$T/a.data/sipterm/buddies"
PRES_DATA_DIR=$T/a.data pres_start a2 "$pa" 60 || diag "A does not start again"
la=$(pres_buddies a2 | grep '^bob ')
case $la in
"bob $B "*) ok "after a restart A's 'buddies' still lists bob" ;;
*) not_ok "after a restart A's 'buddies' still lists bob (got: ${la:-nothing})" ;;
esac
if ms=$(pres_latency 2 a2 "$(pfilter bob open away "in the garden")" 1); then
	ok "and gets his presence again (away, in the garden) ($ms ms after the listing)"
else
	not_ok "and gets his presence again (away, in the garden) within 2 s (last: $(pres_last a2 bob))"
	fifo_dump a2
fi

# 26-30. B quits while a watcher of his (C) has vanished
if pres_start c "$pc" 60; then
	fifo_cmd c "buddy add $B bob"
	check "C watches B too" fifo_wait_count 3 c "$(pfilter bob open away 'in the garden')" 1
	cpid=$(pgrep -P "$(fifo_pid c)" -x sipterm)
	kill -9 "$cpid" 2>/dev/null
	wait "$(fifo_pid c)" 2>/dev/null
else
	not_ok "C watches B too (C does not start)"
fi
check "C is gone (killed)" sh -c "! kill -0 ${cpid:-0} 2>/dev/null"
t0=$(_pres_ms)
fifo_quit b
rc=$?
diag "B took $(( $(_pres_ms) - t0 )) ms to quit (its NOTIFY to C is never answered)"
if [ "$rc" = 0 ]; then
	ok "B quits with status 0 while its final NOTIFY to the vanished C is unanswered"
else
	not_ok "B quits with status 0 while its final NOTIFY to the vanished C is unanswered (status $rc)"
	diag "$(grep -m1 -E 'double free|corrupt|Segmentation|AddressSanitizer' "$T/b.err")"
	diag "the NOTIFY to C is still in flight when the UA gives up waiting: presence_close()"
	diag "abandons it; its deferred free must run before sip_free() (see src/sip/sip.c)"
fi
_bob_gone() { case $(pres_last a2 bob) in unknown*|closed*) return 0 ;; esac; return 1; }
check "A sees bob unknown or closed after B's quit" wait_for 2 _bob_gone
la=$(pres_buddies a2 | grep '^bob ')
case $la in
*"(active)"|"bob $B open"*)
	not_ok "A does not show bob present after B left (got: $la)"
	diag "B accepted a new SUBSCRIBE while quitting and never ended it" ;;
"bob $B "*) ok "A does not show bob present after B left: ${la#bob $B }" ;;
*) not_ok "A does not show bob present after B left (got: ${la:-nothing})" ;;
esac

# 31-32
fifo_quit a2
rc=$?
check "A quits with status 0 again (was $rc)" [ "$rc" = 0 ]

diag "status-change latencies (ms):$latencies"
sleep 0.2
left=$(leftovers)
check "nothing left running${left:+ (}${left}${left:+)}" [ -z "$left" ]
done_testing
