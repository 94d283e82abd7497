#!/bin/bash
# tests/im/direct.sh: instant messages between two sipterms by IP address
# only (direct mode), headless, events as JSON.
#
# Both ways with UTF-8 text (quotes, apostrophes, '#', a tab); a 5000-byte
# message that must go over TCP (RFC 3428: never over UDP above 1300
# bytes) and arrives whole; a message to a port where nobody listens is
# reported failed at once (503, ICMP port unreachable), one to a socket
# that never answers within Timer F (64*T1, T1 = 50 ms here); text that is not
# UTF-8 is refused with a clear error and nothing is sent or stored.  A
# hand-made MESSAGE resent three times with the same Call-ID and CSeq is
# answered each time and shown once; bytes that are not UTF-8 arrive as
# U+FFFD; an is-composing indication is reported and a message ends it.
# The history files hold every message with its final status, with the
# right modes, and "chat"/"history NAME" print them.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/im/im.sh"

fifo_need
need_cmd perl perl
need_cmd socat socat
T=$TEST_TMP

tap_plan 23

printf '[general]\nt1 = 50\nt4 = 100\n' >"$T/fast.conf"

# 1. two sipterms
if im_start a 60 -f "$T/fast.conf" --siptrace="$T/a.trace" &&
	im_start b 60 -f "$T/fast.conf"; then
	pa=$(fifo_port a) pb=$(fifo_port b)
	A=sip:sipterm@127.0.0.1:$pa
	B=sip:sipterm@127.0.0.1:$pb
	ok "two sipterms listen on 127.0.0.1:$pa and :$pb (no accounts)"
else
	not_ok "two sipterms listen"
	echo "Bail out! no sipterm"
	exit 1
fi

# 2-3. A -> B
t1='Hello from A — ünïcödé ✓ 日本語 😀 it'"'"'s "quoted" #1  (two spaces)'
fifo_cmd a "msg $B $t1"
fifo_wait_count 10 b '.event == "message" and .direction == "in"' 1
got=$(fifo_ev b 'select(.event == "message" and .direction == "in") | .text' | head -n 1)
peer=$(fifo_ev b 'select(.event == "message" and .direction == "in") | .peer' | head -n 1)
if [ "$got" = "$(printf '%s' "$t1" | jq -R .)" ] && [ "$peer" = "\"$A\"" ]; then
	ok "A -> B: the UTF-8 text arrives as written, from $A"
else
	not_ok "A -> B: the UTF-8 text arrives as written (got $got from $peer)"
	fifo_dump b
fi
fifo_wait_count 10 a '.event == "message-status"' 1
id1=$(fifo_ev a 'select(.event == "message" and .direction == "out") | .id' | head -n 1)
st1=$(fifo_ev a "select(.event == \"message-status\" and .id == ${id1:-0}) | \"\(.status) \(.code)\"")
if [ "$st1" = '"delivered 200"' ]; then
	ok "A: message $id1 reported delivered (200)"
else
	not_ok "A: message ${id1:-?} reported delivered (200) (got ${st1:-nothing})"
	fifo_dump a
fi

# 4-5. B -> A, with a tab inside
t2=$(printf 'reply\twith a tab & <xml/> \\ backslash')
fifo_cmd b "msg $A $t2"
fifo_wait_count 10 a '.event == "message" and .direction == "in"' 1
got=$(fifo_ev a 'select(.event == "message" and .direction == "in") | .text' | head -n 1)
if [ "$got" = "$(printf '%s' "$t2" | jq -R .)" ]; then
	ok "B -> A: the text arrives as written (tab, backslash, markup)"
else
	not_ok "B -> A: the text arrives as written (got $got)"
	fifo_dump a
fi
fifo_wait_count 10 b '.event == "message-status"' 1
if [ "$(fifo_ev b 'select(.event == "message-status") | .status' | head -n 1)" = '"delivered"' ]; then
	ok "B: its message is reported delivered"
else
	not_ok "B: its message is reported delivered"
	fifo_dump b
fi

# 6-7. 5000 bytes: over TCP, and whole
# 4 + 499 * 10 + 3 + 3 = 5000 bytes
big=$(printf 'big:'; for i in $(seq 1 499); do printf '%09d|' "$i"; done; printf '✓END')
diag "the big text has $(printf '%s' "$big" | wc -c) bytes"
fifo_cmd a "msg $B $big"
fifo_wait_count 10 b '.event == "message" and .direction == "in"' 2
got=$(fifo_ev b 'select(.event == "message" and .direction == "in") | .text' | sed -n 2p)
if [ "$got" = "$(printf '%s' "$big" | jq -R .)" ]; then
	ok "A -> B: a 5000-byte message arrives whole"
else
	not_ok "A -> B: a 5000-byte message arrives whole (got ${#got} characters)"
	fifo_dump b
fi
fifo_wait_count 10 a '.event == "message-status"' 2
# the trace: "TIME UDP send to ADDR", then the request line
tps=$(awk -v to="127.0.0.1:$pb" '$3 == "send" && $5 == to { tp = $2; next }
	/^MESSAGE / && tp { printf "%s ", tp } { tp = "" }' "$T/a.trace")
st2=$(fifo_ev a 'select(.event == "message-status") | .status' | sed -n 2p)
if [ "$tps" = "UDP TCP " ] && [ "$st2" = '"delivered"' ]; then
	ok "the small MESSAGE went over UDP, the 5000-byte one over TCP (delivered)"
else
	not_ok "the small MESSAGE went over UDP, the 5000-byte one over TCP (sent over: $tps; status $st2)"
fi

# 8. nobody listens: the ICMP port unreachable fails it at once (503);
# a socket that reads and never answers: 408 after Timer F (64 * 50 ms)
dead=$(free_port)
silent=$(free_port)
timeout 20 socat -u "UDP4-RECV:$silent,bind=127.0.0.1" /dev/null &
test_pids="$test_pids $!"
wait_for 5 udp_bound "$silent"
t0=$(date +%s%N)
fifo_cmd a "msg sip:nobody@127.0.0.1:$dead hello?" "msg sip:quiet@127.0.0.1:$silent anyone?"
fifo_wait_count 10 a '.event == "message-status" and .status == "failed"' 2
t1ms=$(( ($(date +%s%N) - t0) / 1000000 ))
fl=$(fifo_ev a 'select(.event == "message-status" and .status == "failed") | "\(.peer) \(.code)"' | tr -d '"' | tr '\n' ' ')
if [ "$fl" = "sip:nobody@127.0.0.1:$dead 503 sip:quiet@127.0.0.1:$silent 408 " ] && [ "$t1ms" -le 6000 ]; then
	ok "a message to a port where nobody listens: failed 503 at once; to a silent socket: 408 after $t1ms ms (Timer F 3.2 s)"
else
	not_ok "a message to a closed port: 503, to a silent socket: 408 within 6 s (got '${fl:-nothing}' after $t1ms ms)"
	fifo_dump a
fi

# 9-10. not UTF-8: refused, nothing sent, nothing stored
bad=$(printf 'bad \377\376 text')
XDG_DATA_HOME=$T/u.data timeout 10 "$SIPTERM" --headless --events json -l 127.0.0.1:0 \
	-e "msg sip:x@127.0.0.1:$dead $bad" -e quit >"$T/u.out" 2>"$T/u.err"
rc=$?
if [ $rc = 2 ] && grep -q 'msg: the text is not valid UTF-8' "$T/u.err"; then
	ok "text that is not UTF-8: exit status 2, 'the text is not valid UTF-8'"
else
	not_ok "text that is not UTF-8: exit status 2 and a clear error (got $rc)"
	sed 's/^/#   /' "$T/u.err"
fi
if [ -z "$(ls -A "$T/u.data/sipterm/chats" 2>/dev/null)" ] && ! grep -q '"event"' "$T/u.out"; then
	ok "text that is not UTF-8: no event, no history"
else
	not_ok "text that is not UTF-8: no event, no history"
fi

# 11. an application resends its MESSAGE (same From tag, Call-ID, CSeq)
# after the first transaction ended (Timer J: 64 * T1 = 3.2 s over UDP;
# while it lives, the copy is a merged request and gets 482 from the
# transaction layer)
printf 'only once, please' >"$T/dup.txt"
codes=$(perl "$top_srcdir/tests/im/send-raw.pl" "$pb" dup-call-1@raw 7 2 \
	'text/plain;charset=UTF-8' "$T/dup.txt" 3.6 | tr '\n' ' ')
sleep 0.3
n=$(fifo_count b '.event == "message" and .text == "only once, please"')
if [ "$codes" = "200 200 " ] && [ "$n" = 1 ]; then
	ok "a MESSAGE resent 3.6 s later (same Call-ID and CSeq): 200 both times, shown once"
else
	not_ok "a MESSAGE resent 3.6 s later: 200 both times, shown once (codes: $codes; shown $n times)"
fi

# 12. bytes that are not UTF-8, and a control character
printf 'caf\351 \033[31m red' >"$T/latin.txt"
codes=$(perl "$top_srcdir/tests/im/send-raw.pl" "$pb" bad-utf8@raw 1 1 \
	'text/plain' "$T/latin.txt" | tr '\n' ' ')
fifo_wait_count 5 b '.event == "message" and (.text | startswith("caf"))' 1
got=$(fifo_ev b 'select(.event == "message" and (.text | startswith("caf"))) | .text' | head -n 1)
want=$(printf '%s' "caf� $(printf '\033')[31m red" | jq -R .)
printf 'na\357ve\000' >"$T/latin1.txt"
codes=$codes$(perl "$top_srcdir/tests/im/send-raw.pl" "$pb" latin1@raw 1 1 \
	'text/plain; charset="ISO-8859-1"' "$T/latin1.txt")
fifo_wait_count 5 b '.event == "message" and (.text | startswith("na"))' 1
got2=$(fifo_ev b 'select(.event == "message" and (.text | startswith("na"))) | .text' | head -n 1)
if [ "$codes" = "200 200" ] && [ "$got" = "$want" ] && [ "$got2" = '"naïve�"' ]; then
	ok "not UTF-8 on the wire: U+FFFD for bad bytes and NUL, control characters JSON-escaped, ISO-8859-1 converted"
else
	not_ok "not UTF-8 on the wire: shown with U+FFFD (codes $codes; got $got, want $want; latin1 $got2)"
fi

# 13. is-composing (RFC 3994): reported, not stored; a message ends it
cat >"$T/comp.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">
  <state>active</state>
  <contenttype>text/plain</contenttype>
  <refresh>60</refresh>
</isComposing>
EOF
c1=$(perl "$top_srcdir/tests/im/send-raw.pl" "$pb" comp-1@raw 1 1 \
	'application/im-iscomposing+xml' "$T/comp.xml")
fifo_wait_count 5 b '.event == "composing"' 1
printf 'done typing' >"$T/done.txt"
c2=$(perl "$top_srcdir/tests/im/send-raw.pl" "$pb" comp-2@raw 1 1 'text/plain' "$T/done.txt")
fifo_wait_count 5 b '.event == "composing"' 2
cs=$(fifo_ev b 'select(.event == "composing") | .state' | tr '\n' ' ')
if [ "$c1 $c2" = "200 200" ] && [ "$cs" = '"active" "idle" ' ]; then
	ok "is-composing: 'composing active' reported, and 'idle' when the message came"
else
	not_ok "is-composing: active then idle (codes $c1 $c2; states $cs)"
fi

# 14-17. the history files
fa=$(ls "$(im_chats a)"/sipterm@127.0.0.1_"$pb"-*.chat 2>/dev/null)
fb=$(ls "$(im_chats b)"/sipterm@127.0.0.1_"$pa"-*.chat 2>/dev/null)
ha=$(im_hist "$fa" 2>/dev/null | cut -f1,3-)
want=$(printf 'out\tdelivered\t%s\nin\treceived\t%s\nout\tdelivered\t%s' "$t1" "$t2" "$big")
if [ -n "$fa" ] && [ "$ha" = "$want" ]; then
	ok "A's history with B: out, in, out, each text whole with its final status"
else
	not_ok "A's history with B: out, in, out, each text whole with its final status"
	diag "file: ${fa:-none}"
	printf '%s\n' "$ha" | cut -c1-120 | sed 's/^/#   /'
fi
hb=$(im_hist "$fb" 2>/dev/null | cut -f1,3-)
want=$(printf 'in\treceived\t%s\nout\tdelivered\t%s\nin\treceived\t%s' "$t1" "$t2" "$big")
fr=$(ls "$(im_chats b)"/raw@raw.test-*.chat 2>/dev/null)
hr=$(im_hist "$fr" 2>/dev/null | cut -f4- | tr '\n' '|')
if [ -n "$fb" ] && [ "$hb" = "$want" ] && [ "$hr" = "only once, please|caf� $(printf '\033')[31m red|naïve�|done typing|" ]; then
	ok "B's histories: A's messages and its reply; the resent MESSAGE once, no is-composing"
else
	not_ok "B's histories: A's messages and its reply; the resent MESSAGE once"
	printf '%s\n' "$hb" | cut -c1-120 | sed 's/^/#   /'
	diag "raw peer: $hr"
fi
fd=$(ls "$(im_chats a)"/nobody@127.0.0.1_"$dead"-*.chat 2>/dev/null)
hd=$(im_hist "$fd" 2>/dev/null | cut -f1,3-)
if [ "$hd" = "$(printf 'out\tfailed\thello?')" ] && head -n 1 "$fd" | grep -q "^#sipterm-chat 1"$'\t'"sip:nobody@127.0.0.1:$dead\$"; then
	ok "the failed message is in its own history, marked failed"
else
	not_ok "the failed message is in its own history, marked failed (got '$hd')"
fi
modes=$(stat -c '%a' "$(im_chats a)" "$fa" "$fb" "$fd" | tr '\n' ' ')
if [ "$modes" = "700 600 600 600 " ]; then
	ok "the chats directory is 0700, the history files 0600"
else
	not_ok "the chats directory is 0700, the history files 0600 (got $modes)"
fi

# 18. a buddy's name as the address
fifo_cmd a "buddy add $B bee" "msg bee by the buddy's name"
fifo_wait_count 10 b '.event == "message" and .text == "by the buddy'"'"'s name"' 1
if [ "$(fifo_count b '.event == "message" and .text == "by the buddy'"'"'s name"')" = 1 ]; then
	ok "msg NAME: a buddy's name is its address"
else
	not_ok "msg NAME: a buddy's name is its address"
	fifo_dump a
fi
fifo_wait_count 10 a '.event == "message-status"' 4

# 19-20. chat and history NAME print the history
mark=$(wc -l <"$T/a.out")
fifo_cmd a "chat $B" "history sipterm@127.0.0.1:$pb" "chat" "wait 0.2"
_chat_done() { [ "$(tail -n +"$((mark + 1))" "$T/a.out" | grep -c ' out delivered  *Hello from A')" -ge 2 ]; }
wait_for 5 _chat_done
out=$(tail -n +"$((mark + 1))" "$T/a.out" | st_output)
n1=$(printf '%s\n' "$out" | grep -c "^[0-9-]* [0-9:]* out delivered  *Hello from A — ünïcödé")
n2=$(printf '%s\n' "$out" | grep -c "^[0-9-]* [0-9:]* in  received  *reply"$'\t'"with a tab")
if [ "$n1" = 2 ] && [ "$n2" = 2 ]; then
	ok "'chat URI' and 'history NAME' print the messages with time, direction, status"
else
	not_ok "'chat URI' and 'history NAME' print the messages (out: $n1, in: $n2)"
	printf '%s\n' "$out" | cut -c1-100 | sed 's/^/#   /'
fi
if printf '%s\n' "$out" | grep -q "sip:nobody@127.0.0.1:$dead\$" &&
	printf '%s\n' "$out" | grep -q "$B\$"; then
	ok "'chat' alone lists the peers"
else
	not_ok "'chat' alone lists the peers"
fi

# 21. a text over the limit is refused before anything happens
huge=$(head -c 70000 /dev/zero | tr '\0' 'x')
XDG_DATA_HOME=$T/u.data timeout 10 "$SIPTERM" --headless --events json -l 127.0.0.1:0 \
	-e "msg sip:x@127.0.0.1:$dead $huge" -e quit >"$T/h.out" 2>"$T/h.err"
rc=$?
if [ $rc = 2 ] && grep -q 'the text is too long (70000 bytes, at most 61440)' "$T/h.err"; then
	ok "a 70000-byte text: refused (exit status 2, 'too long')"
else
	not_ok "a 70000-byte text: refused (got $rc)"
	cut -c1-200 "$T/h.err" | sed 's/^/#   /'
fi

# 22. both end cleanly
fifo_quit a; ra=$?
fifo_quit b; rb=$?
if [ $ra = 0 ] && [ $rb = 0 ]; then
	ok "both sipterms quit with status 0"
else
	not_ok "both sipterms quit with status 0 (a $ra, b $rb)"
	fifo_dump a
	fifo_dump b
fi

# 23.
left=$(leftovers)
if [ -z "$left" ]; then
	ok "nothing left running"
else
	not_ok "nothing left running: $left"
fi
done_testing
