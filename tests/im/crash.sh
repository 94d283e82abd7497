#!/bin/bash
# tests/im/crash.sh: a message sipterm reported is never lost, whatever
# kills it.
#
# S sends 500 messages to R.  While they arrive, R is killed with SIGKILL:
# every message R reported on its --events json output must be in its
# history file (a message is written and fsync'd before it is answered or
# shown).  Then S is killed too: every message it reported, and every
# delivered status it reported, is in its own history.  A torn line is
# appended to R's file (what a crash in the middle of a write leaves); the
# restarted R stores the next message on a line of its own, and "chat"
# shows every message, without the torn one.  The restarted S shows the
# messages whose outcome the crash lost as "unknown".

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/im/im.sh"

fifo_need
need_cmd perl perl
T=$TEST_TMP
N=500
K=50

tap_plan 11

printf '[general]\nt1 = 50\nt4 = 100\n' >"$T/fast.conf"
# 1.
if im_start r 60 -f "$T/fast.conf" && im_start s 60 -f "$T/fast.conf"; then
	pr=$(fifo_port r) ps_=$(fifo_port s)
	R=sip:sipterm@127.0.0.1:$pr
	S=sip:sipterm@127.0.0.1:$ps_
	ok "receiver and sender listen"
else
	not_ok "receiver and sender listen"
	echo "Bail out! no sipterm"
	exit 1
fi
rpid=$(fifo_sipterm_pid r)
spid=$(fifo_sipterm_pid s)

# 2. kill -9 the receiver while the messages pour in
for i in $(seq 1 $N); do printf 'msg %s crash test %03d ✓\n' "$R" "$i"; done >"$T/burst.txt"
fifo_cmd s "$(cat "$T/burst.txt")"
_reported() { [ "$(grep -c '"direction":"in"' "$T/r.out")" -ge $K ]; }
n=0
while ! _reported && [ $n -lt 1000 ]; do sleep 0.01; n=$((n + 1)); done
# S is frozen first: it must not see R's port close (an ICMP unreachable
# fails its queue at once), it must die with messages still in flight
kill -STOP "$spid"
kill -KILL "$rpid"
reported=$(grep -c '"direction":"in"' "$T/r.out")
if [ "$reported" -ge $K ] && [ "$reported" -lt $N ]; then
	ok "the receiver was killed with SIGKILL after it reported $reported of $N messages"
else
	not_ok "the receiver was killed with SIGKILL while messages arrived (it reported $reported of $N)"
fi

# 3-4. the receiver's history
fr=$(ls "$(im_chats r)"/sipterm@127.0.0.1_"$ps_"-*.chat 2>/dev/null)
fifo_evr r 'select(.event == "message" and .direction == "in") | "\(.id)\t\(.text)"' |
	sort >"$T/r.reported"
im_hist "$fr" in | cut -f2,4- | sort >"$T/r.stored"
lost=$(comm -23 "$T/r.reported" "$T/r.stored" | wc -l)
if [ -s "$T/r.reported" ] && [ "$lost" = 0 ]; then
	ok "every message the receiver reported ($(wc -l <"$T/r.reported")) is in its history"
else
	not_ok "every message the receiver reported is in its history ($lost missing)"
	comm -23 "$T/r.reported" "$T/r.stored" | head -n 5 | sed 's/^/#   /'
fi
lines=$(grep -vc '^#' "$fr")
recs=$(im_hist "$fr" | wc -l)
if [ "$recs" = "$lines" ] && [ "$recs" -ge "$reported" ]; then
	ok "the receiver's history: all $lines records whole (check digits match)"
else
	not_ok "the receiver's history: all records whole ($recs of $lines)"
fi

# 5-6. kill -9 the sender too, its queue still in flight
kill -KILL "$spid"
fs=$(ls "$(im_chats s)"/sipterm@127.0.0.1_"$pr"-*.chat 2>/dev/null)
fifo_evr s 'select(.event == "message" and .direction == "out") | "\(.id)\t\(.text)"' |
	sort >"$T/s.reported"
im_hist "$fs" out | cut -f2,4- | sort >"$T/s.stored"
lost=$(comm -23 "$T/s.reported" "$T/s.stored" | wc -l)
if [ -s "$T/s.reported" ] && [ "$lost" = 0 ]; then
	ok "every message the sender reported ($(wc -l <"$T/s.reported")) is in its history"
else
	not_ok "every message the sender reported is in its history ($lost missing)"
fi
fifo_evr s 'select(.event == "message-status" and .status == "delivered") | .id' | sort >"$T/s.delivered"
im_hist "$fs" out | awk -F '\t' '$3 == "delivered" { print $2 }' | sort >"$T/s.sdelivered"
lost=$(comm -23 "$T/s.delivered" "$T/s.sdelivered" | wc -l)
if [ -s "$T/s.delivered" ] && [ "$lost" = 0 ]; then
	ok "every delivery the sender reported ($(wc -l <"$T/s.delivered")) is in its history"
else
	not_ok "every delivery the sender reported is in its history ($lost missing)"
fi
# the processes are gone; their timeout(1) parents follow
fifo_close_input r
fifo_close_input s
wait "$(fifo_pid r)" 2>/dev/null
wait "$(fifo_pid s)" 2>/dev/null

# 7. a torn line, then the next message
printf '1700000000\tin\t17\treceived\tTORN half a rec' >>"$fr"
mv "$T/r.out" "$T/r1.out"
mv "$T/s.out" "$T/s1.out"
# S again at its address (its URI names the history files); R anywhere
im_start r 30 -f "$T/fast.conf"
IM_PORT=$ps_ im_start s 30 -f "$T/fast.conf"
R2=sip:sipterm@127.0.0.1:$(fifo_port r)
fifo_cmd s "msg $R2 after the torn line"
fifo_wait_count 10 s '.event == "message-status"' 1
last=$(im_hist "$fr" | tail -n 1 | cut -f1,3-)
if [ "$last" = "$(printf 'in\treceived\tafter the torn line')" ] &&
	! im_hist "$fr" | grep -q TORN && grep -q '^1700000000	in	17	received	TORN half a rec$' "$fr"; then
	ok "after a torn line the next message is stored on a line of its own"
else
	not_ok "after a torn line the next message is stored on a line of its own (last: $last)"
	tail -n 3 "$fr" | cut -c1-100 | sed 's/^/#   /'
fi

# 8-9. chat after the crash
fifo_cmd r "chat $S" 'wait 0.2'
fifo_cmd s "chat $R" 'wait 0.2'
_shown() { [ "$(grep -c ' received ' "$T/r.out")" -ge $((reported + 1)) ]; }
wait_for 5 _shown
st_output "$T/r.out" | sed -n 's/^[0-9-]* [0-9:]* in  received  //p' | sort >"$T/r.shown"
cut -f2- "$T/r.reported" | sort >"$T/r.texts"
missing=$(comm -23 "$T/r.texts" "$T/r.shown" | wc -l)
if [ "$missing" = 0 ] && grep -qx 'after the torn line' "$T/r.shown" && ! grep -q TORN "$T/r.shown"; then
	ok "the restarted receiver's chat shows every reported message and the new one, not the torn line"
else
	not_ok "the restarted receiver's chat shows every reported message ($missing missing)"
fi
_sshown() { [ "$(grep -c ' out ' "$T/s.out")" -ge "$(wc -l <"$T/s.reported")" ]; }
wait_for 5 _sshown
nu=$(st_output "$T/s.out" | grep -c '^[0-9-]* [0-9:]* out unknown ')
ns=$(st_output "$T/s.out" | grep -c '^[0-9-]* [0-9:]* out sending ')
if [ "$nu" -ge 1 ] && [ "$ns" = 0 ]; then
	ok "the restarted sender shows $nu messages with an unknown outcome, none 'sending'"
else
	not_ok "the restarted sender shows lost outcomes as unknown ($nu unknown, $ns sending)"
fi

# 10-11.
fifo_quit r; rr=$?
fifo_quit s; rs=$?
if [ $rr = 0 ] && [ $rs = 0 ]; then
	ok "the restarted receiver and sender quit with status 0"
else
	not_ok "the restarted receiver and sender quit with status 0 ($rr, $rs)"
fi
left=$(leftovers)
if [ -z "$left" ]; then
	ok "nothing left running"
else
	not_ok "nothing left running: $left"
fi
done_testing
