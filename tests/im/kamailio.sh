#!/bin/bash
# tests/im/kamailio.sh: instant messages through the test Kamailio
# (registrar and proxy with digest auth, msilo for offline users).
#
# alice and bob register; alice writes to "bob" (a user of her domain) and
# bob to "alice": each MESSAGE is challenged (407) and retried with
# credentials, then routed to the registered contact.  200 messages given
# at once arrive all, in order, each exactly once.  A message to carol, who
# is not registered, is stored by msilo (202: status "stored") and
# delivered when carol registers.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/interop/kamailio.sh"
. "$top_srcdir/tests/im/im.sh"

fifo_need
kam_need
T=$TEST_TMP
N=200

tap_plan 15

# 1. the proxy
if kam_start alice:alicepw bob:bobpw carol:carolpw; then
	ok "Kamailio started on $KAM_ADDR"
else
	not_ok "Kamailio started"
	echo "Bail out! no Kamailio, nothing else can run"
	exit 1
fi

# account_conf NAME PASSWORD
account_conf() {
	printf '[general]\nt4 = 100\n\n[account %s]\nuri = sip:%s@%s\npassword = %s\nregistrar = sip:%s\noutbound_proxy = sip:%s\nexpires = 60\n' \
		"$1" "$1" "$KAM_DOMAIN" "$2" "$KAM_ADDR" "$KAM_ADDR" >"$T/$1.conf"
	chmod 600 "$T/$1.conf"
}
account_conf alice alicepw
account_conf bob bobpw
account_conf carol carolpw
ALICE=sip:alice@$KAM_DOMAIN
BOB=sip:bob@$KAM_DOMAIN
CAROL=sip:carol@$KAM_DOMAIN

# 2. alice and bob register
im_start alice 120 -f "$T/alice.conf" --siptrace="$T/alice.trace"
im_start bob 120 -f "$T/bob.conf"
fifo_wait_count 10 alice '.event == "registered"' 1
fifo_wait_count 10 bob '.event == "registered"' 1
if [ "$(fifo_count alice '.event == "registered"')" = 1 ] &&
	[ "$(fifo_count bob '.event == "registered"')" = 1 ]; then
	ok "alice and bob registered with digest auth"
else
	not_ok "alice and bob registered with digest auth"
	fifo_dump alice
	fifo_dump bob
	kam_log | tail -n 20 | sed 's/^/#   /'
fi

# 3-4. alice -> bob
t1='Hello bob 👋 — this went through the proxy, "with quotes" & it'"'"'s fine'
fifo_cmd alice "msg bob $t1"
fifo_wait_count 10 bob '.event == "message" and .direction == "in"' 1
got=$(fifo_ev bob 'select(.event == "message" and .direction == "in") | "\(.peer) \(.account) \(.text)"' | head -n 1)
if [ "$got" = "$(printf '%s' "$ALICE bob $t1" | jq -R .)" ]; then
	ok "alice -> bob: arrives from $ALICE at account bob, text as written"
else
	not_ok "alice -> bob: arrives from $ALICE at account bob (got ${got:-nothing})"
	fifo_dump bob
fi
fifo_wait_count 10 alice '.event == "message-status"' 1
st=$(fifo_ev alice 'select(.event == "message-status") | "\(.peer) \(.status) \(.code)"' | head -n 1)
if [ "$st" = "\"$BOB delivered 200\"" ] && grep -q '^SIP/2.0 407' "$T/alice.trace" &&
	grep -q '^Proxy-Authorization: Digest' "$T/alice.trace"; then
	ok "alice: 407 answered with credentials, then delivered (200)"
else
	not_ok "alice: 407 answered with credentials, then delivered (got ${st:-nothing})"
	fifo_dump alice
fi

# 5. bob -> alice
t2='Hi alice, ünïcödé back'
fifo_cmd bob "msg alice $t2"
fifo_wait_count 10 alice '.event == "message" and .direction == "in"' 1
got=$(fifo_ev alice 'select(.event == "message" and .direction == "in") | "\(.peer) \(.text)"' | head -n 1)
fifo_wait_count 10 bob '.event == "message-status"' 1
st=$(fifo_ev bob 'select(.event == "message-status") | .status' | head -n 1)
if [ "$got" = "$(printf '%s' "$BOB $t2" | jq -R .)" ] && [ "$st" = '"delivered"' ]; then
	ok "bob -> alice: arrives from $BOB, delivered"
else
	not_ok "bob -> alice: arrives from $BOB, delivered (got ${got:-nothing}; status ${st:-none})"
	fifo_dump alice
fi

# 6. 850 bytes of text: with the proxy's Route and the credentials the
# request passes 1300 bytes, so it cannot go over UDP: TCP it is
mid="mid-size $(head -c 841 /dev/zero | tr '\0' m)"
fifo_cmd alice "msg bob $mid"
fifo_wait_count 10 bob ".event == \"message\" and .text == \"$mid\"" 1
fifo_wait_count 10 alice '.event == "message-status"' 2
tps=$(awk '/^[0-9:.]+ [A-Z]+ (send|recv) / { tp = $2; dir = $3; next }
	index($0, "mid-size ") && dir == "send" { printf "%s ", tp; dir = "" }' "$T/alice.trace")
st=$(fifo_ev alice 'select(.event == "message-status") | .status' | sed -n 2p)
case "$tps" in *UDP*|"") tcp=no ;; *) tcp=yes ;; esac
if [ $tcp = yes ] && [ "$st" = '"delivered"' ] &&
	[ "$(fifo_count bob ".event == \"message\" and .text == \"$mid\"")" = 1 ]; then
	ok "an 850-byte text that makes a request over 1300 bytes goes over TCP and arrives"
else
	not_ok "an 850-byte text goes over TCP and arrives (sent over: ${tps:-nothing}; status $st)"
fi

# 7-9. N messages given at once
for i in $(seq 1 $N); do printf 'msg bob seq %03d of %d ✓\n' "$i" $N; done >"$T/burst.txt"
t0=$(date +%s%N)
fifo_cmd alice "$(cat "$T/burst.txt")"
fifo_wait_count 90 bob '.event == "message" and .direction == "in" and (.text | startswith("seq "))' $N
fifo_wait_count 10 alice '.event == "message-status" and .status == "delivered"' $((N + 2))
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
seqs=$(fifo_ev bob 'select(.event == "message" and .direction == "in" and (.text | startswith("seq "))) | .text' |
	sed -n 's/^"seq \([0-9]*\) of .*/\1/p' | tr '\n' ' ')
want=$(seq -f '%03g' 1 $N | tr '\n' ' ')
if [ "$seqs" = "$want" ]; then
	ok "$N messages at once: all arrive, in order, each once ($ms ms)"
else
	not_ok "$N messages at once: all arrive, in order, each once"
	diag "got: $(printf '%s' "$seqs" | cut -c1-300)"
	fifo_dump bob
fi
nd=$(fifo_count alice '.event == "message-status" and .status == "delivered"')
nf=$(fifo_count alice '.event == "message-status" and .status != "delivered"')
if [ "$nd" = $((N + 2)) ] && [ "$nf" = 0 ]; then
	ok "alice: all $((N + 2)) messages to bob reported delivered, none failed"
else
	not_ok "alice: all $((N + 2)) messages reported delivered ($nd delivered, $nf other)"
fi
fb=$(ls "$(im_chats bob)"/alice@sipterm.test-*.chat 2>/dev/null)
hb=$(im_hist "$fb" in 2>/dev/null | cut -f4- | sed -n 's/^seq \([0-9]*\) of .*/\1/p' | tr '\n' ' ')
fa=$(ls "$(im_chats alice)"/bob@sipterm.test-*.chat 2>/dev/null)
ha=$(im_hist "$fa" out 2>/dev/null | cut -f3 | sort | uniq -c | awk '{ printf "%s %s ", $1, $2 }')
if [ "$hb" = "$want" ] && [ "$ha" = "$((N + 2)) delivered " ]; then
	ok "the histories: bob's holds the $N in order, alice's the $((N + 2)) sent, all delivered"
else
	not_ok "the histories: bob's holds the $N in order, alice's all delivered (alice: $ha)"
	diag "bob: $(printf '%s' "$hb" | cut -c1-200)"
fi

# 10-12. carol is offline: msilo stores, and delivers when she registers
t3='while you were away ✉ (stored by msilo)'
fifo_cmd alice "msg carol $t3"
fifo_wait_count 10 alice ".event == \"message-status\" and .peer == \"$CAROL\"" 1
st=$(fifo_ev alice "select(.event == \"message-status\" and .peer == \"$CAROL\") | \"\(.status) \(.code)\"")
if [ "$st" = '"stored 202"' ]; then
	ok "a message to carol, not registered: status stored (202)"
else
	not_ok "a message to carol, not registered: status stored (202) (got ${st:-nothing})"
	kam_log | grep -i 'msilo\|carol' | tail -n 10 | sed 's/^/#   /'
fi
im_start carol 60 -f "$T/carol.conf"
fifo_wait_count 10 carol '.event == "registered"' 1
fifo_wait_count 15 carol '.event == "message" and .direction == "in"' 1
got=$(fifo_ev carol 'select(.event == "message" and .direction == "in") | "\(.peer) \(.text)"')
if [ "$got" = "$(printf '%s' "$ALICE $t3" | jq -R .)" ]; then
	ok "carol registers: the stored message arrives from $ALICE, once"
else
	not_ok "carol registers: the stored message arrives from $ALICE (got ${got:-nothing})"
	fifo_dump carol
	kam_log | tail -n 20 | sed 's/^/#   /'
fi
fc=$(ls "$(im_chats carol)"/alice@sipterm.test-*.chat 2>/dev/null)
fac=$(ls "$(im_chats alice)"/carol@sipterm.test-*.chat 2>/dev/null)
if [ "$(im_hist "$fc" 2>/dev/null | cut -f1,3-)" = "$(printf 'in\treceived\t%s' "$t3")" ] &&
	[ "$(im_hist "$fac" 2>/dev/null | cut -f1,3-)" = "$(printf 'out\tstored\t%s' "$t3")" ]; then
	ok "the histories: carol's holds it received, alice's says stored"
else
	not_ok "the histories: carol's holds it received, alice's says stored"
fi

# 13. the unread count and "chat NAME" through the account's domain
mark=$(wc -l <"$T/bob.out")
fifo_cmd bob 'chat' 'chat alice' 'chat' 'wait 0.2'
_listed() { [ "$(tail -n +"$((mark + 1))" "$T/bob.out" | grep -c "$ALICE")" -ge 2 ]; }
wait_for 5 _listed
out=$(tail -n +"$((mark + 1))" "$T/bob.out" | st_output)
if printf '%s\n' "$out" | sed -n 1p | grep -q "$ALICE ($((N + 2)) unread)\$" &&
	[ "$(printf '%s\n' "$out" | grep -c ' in  received  seq ')" = $N ] &&
	printf '%s\n' "$out" | tail -n 1 | grep -q "$ALICE\$"; then
	ok "bob: 'chat' shows $((N + 2)) unread from alice, 'chat alice' the messages, then none unread"
else
	not_ok "bob: 'chat' shows unread counts, 'chat alice' the messages"
	printf '%s\n' "$out" | head -n 3 | sed 's/^/#   /'
	printf '%s\n' "$out" | tail -n 2 | sed 's/^/#   /'
fi

# 14. everyone ends cleanly
fifo_quit alice; ra=$?
fifo_quit bob; rb=$?
fifo_quit carol; rc=$?
if [ $ra = 0 ] && [ $rb = 0 ] && [ $rc = 0 ]; then
	ok "alice, bob and carol quit with status 0"
else
	not_ok "alice, bob and carol quit with status 0 ($ra, $rb, $rc)"
fi
kam_stop

# 15.
left=$(leftovers)
if [ -z "$left" ]; then
	ok "nothing left running"
else
	not_ok "nothing left running: $left"
fi
done_testing
