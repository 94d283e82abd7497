#!/bin/bash
# tests/call/tones.sh: the local tones ([audio] tones = yes, the default
# with a sound card; here the file device records what the speaker plays):
#
#   1. ringing: B answers after 2 s; until then its speaker plays the ring
#      (400+450 Hz, 0.4 s on, 0.2 s off, 0.4 s on), and it sends the caller
#      nothing before it answers
#   2. DTMF feedback: the digit B sends (RFC 4733) is heard by B
#   3. busy: a callee answering 486 is heard as 3 s of 425 Hz, 0.5 s on,
#      0.5 s off; call-ended comes at once
#   4. call waiting: a third call rings while B talks to A: B hears the
#      waiting tone (425 Hz) in the call with A
#   5. with tones = no (the default of the file device) none of this
#
# The far ends play silence (the null device), so what B records is only
# its own tones.  Band levels come from sox (a band-pass, then RMS).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tools/call.sh"

call_need
T=$TEST_TMP
tap_plan 12

st_conf tones '[audio]\ntones = yes\n[media]\ncodecs = PCMU\n'
st_conf plain '[media]\ncodecs = PCMU\n'

# band FILE START DUR LOW HIGH: RMS amplitude (0..1) of FILE's band
band() {
	sox "$1" -n trim "$2" "$3" sinc "$4-$5" stat 2>&1 | awk '/^RMS +amplitude/ { print $3 }'
}
# loud X: X above 0.02 (about -34 dBFS); quiet X: below 0.002
loud() { awk -v x="${1:-0}" 'BEGIN { exit !(x > 0.02) }'; }
quiet() { awk -v x="${1:-1}" 'BEGIN { exit !(x < 0.002) }'; }

# 1-4. B rings for 2 s, then talks to A for 3 s; B sends a digit
st_bg b 20 -f "$T/tones.conf" --auto-answer=2 --record "$T/b.wav" -e 'wait call-answered 10' \
	-e 'wait 1' -e 'dtmf 5' -e 'wait 1.5' -e 'wait call-ended 10' -e quit
pb=$(st_port b)
st_bg a 20 -f "$T/plain.conf" -e "call sip:b@127.0.0.1:$pb" -e 'wait call-answered 10' \
	-e 'wait 3.5' -e hangup -e 'wait 0.3' -e quit
st_wait a; rca=$?
st_wait b; rcb=$?
if [ $rca = 0 ] && [ $rcb = 0 ] && [ -s "$T/b.wav" ]; then
	ok "B rang, answered after 2 s and recorded"
else
	not_ok "B rang, answered after 2 s and recorded (exit a $rca, b $rcb)"
	st_dump a
	st_dump b
fi
on1=$(band "$T/b.wav" 0.05 0.3 380 470)
off1=$(band "$T/b.wav" 0.45 0.1 380 470)
on2=$(band "$T/b.wav" 0.65 0.3 380 470)
if loud "$on1" && quiet "$off1" && loud "$on2"; then
	ok "B's speaker rang: 400+450 Hz on, off, on (RMS $on1, $off1, $on2)"
else
	not_ok "B's speaker rang: 400+450 Hz on, off, on (RMS ${on1:-?}, ${off1:-?}, ${on2:-?})"
fi
# B talked about 3.5 s: about 175 packets; ringing for 2 s more would be 100 more
st=$(ev b call-stats | tail -n 1)
sent=$(ev_field "$st" sent)
if [ -n "$sent" ] && [ "$sent" -gt 100 ] && [ "$sent" -lt 215 ]; then
	ok "B sent nothing while it rang ($sent packets for about 3.5 s of talk)"
else
	not_ok "B sent nothing while it rang (${sent:-?} packets; 3.5 s of talk is about 175)"
fi
# the digit, about 1 s after the answer (2 s): 770 + 1336 Hz in 2.6-3.6 s
dt=$(band "$T/b.wav" 2.6 1 1300 1370)
after=$(band "$T/b.wav" 4.8 0.5 1300 1370)
if loud "$dt" && quiet "$after"; then
	ok "B heard the digit it sent (1336 Hz band RMS $dt, after it $after)"
else
	not_ok "B heard the digit it sent (1336 Hz band RMS ${dt:-?}, after it ${after:-?})"
fi

# 5-7. busy: C refuses with 486
st_bg c 20 --max-calls 1 -e 'wait 8' -e quit
pc=$(st_port c)
# occupy C's one call so that the next is refused with 486
st_bg hold 20 -f "$T/plain.conf" -e "call sip:c@127.0.0.1:$pc" -e 'wait 8' -e quit
sleep 0.5
mkdir -p "$T/busy"
t0=$(date +%s.%N)
st_bg d 20 -f "$T/tones.conf" --record "$T/busy" -e "call sip:c@127.0.0.1:$pc" \
	-e 'wait call-ended 5' -e 'wait 4' -e quit
st_wait d
e=$(ev d call-ended | head -n 1)
if [ "$(ev_field "$e" status)" = 486 ]; then
	ok "the busy callee ended the call with 486 at once"
else
	not_ok "the busy callee ended the call with 486 (got: ${e:-nothing})"
fi
bw=$(ls "$T"/busy/*.wav 2>/dev/null | head -n 1)
b1=$(band "$bw" 0.1 0.3 400 450)
b2=$(band "$bw" 0.6 0.3 400 450)
b3=$(band "$bw" 2.1 0.3 400 450)
len=$(soxi -D "$bw" 2>/dev/null)
if [ -n "$bw" ] && loud "$b1" && quiet "$b2" && loud "$b3" &&
	awk -v x="${len:-0}" 'BEGIN { exit !(x > 2.7 && x < 3.5) }'; then
	ok "the caller heard the busy tone: 0.5 s on, 0.5 s off, for 3 s (RMS $b1, $b2, $b3; $len s)"
else
	not_ok "the caller heard the busy tone (file ${bw:-none}; RMS ${b1:-?}, ${b2:-?}, ${b3:-?}; ${len:-?} s)"
fi
t1=$(date +%s.%N)
if awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 12) }'; then
	ok "the busy tone did not hold sipterm up"
else
	not_ok "the busy tone did not hold sipterm up ($(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s)"
fi
st_wait hold
st_wait c

# 8-9. call waiting: E calls F (who answers it); then G calls F, which
# does not answer: F hears the waiting tone in its call with E
st_bg f 20 -f "$T/tones.conf" --record "$T/f.wav" -e 'wait call-incoming 5' -e answer \
	-e 'wait 6' -e quit
pf=$(st_port f)
st_bg e 20 -f "$T/plain.conf" -e "call sip:f@127.0.0.1:$pf" -e 'wait call-answered 5' \
	-e 'wait 5' -e hangup -e quit
sleep 2
st_bg g 20 -f "$T/plain.conf" -e "call sip:f@127.0.0.1:$pf" -e 'wait 2' -e hangup -e quit
st_wait g
st_wait e
st_wait f
# F's recording is per process (a file): the waiting tone came about 2 s in
w=$(band "$T/f.wav" 1.5 1.5 400 450)
w0=$(band "$T/f.wav" 0.2 1 400 450)
if loud "$w" && quiet "$w0"; then
	ok "F heard the call waiting tone in its call (RMS $w; before it $w0)"
else
	not_ok "F heard the call waiting tone in its call (RMS ${w:-?}; before it ${w0:-?})"
fi
if [ "$(ev f call-incoming | wc -l)" = 2 ] && [ "$(ev f call-answered | wc -l)" = 1 ]; then
	ok "the second call rang without being answered"
else
	not_ok "the second call rang without being answered ($(ev f call-incoming | wc -l) incoming, $(ev f call-answered | wc -l) answered)"
fi

# 10-11. tones = no (the file device's default): B's speaker stays silent
# while it rings, and the digit is not heard
st_bg q 20 -f "$T/plain.conf" --auto-answer=2 --record "$T/q.wav" -e 'wait call-answered 10' \
	-e 'wait 0.5' -e 'dtmf 5' -e 'wait call-ended 10' -e quit
pq=$(st_port q)
st_bg r 20 -f "$T/plain.conf" -e "call sip:q@127.0.0.1:$pq" -e 'wait call-answered 10' \
	-e 'wait 2' -e hangup -e 'wait 0.3' -e quit
st_wait r
st_wait q
r1=$(band "$T/q.wav" 0 1 380 470)
r2=$(band "$T/q.wav" 0 4 1300 1370)
if quiet "$r1"; then ok "tones = no: no ring ($r1)"; else not_ok "tones = no: no ring (${r1:-?})"; fi
if quiet "$r2"; then ok "tones = no: the digit is not heard ($r2)"; else not_ok "tones = no: the digit is not heard (${r2:-?})"; fi

# 12. nothing left
left=$(leftovers)
if [ -z "$left" ]; then ok "nothing left running"; else not_ok "nothing left running: $left"; fi
done_testing
