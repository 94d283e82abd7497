#!/bin/bash
# tests/call/kamailio.sh: a call through the test Kamailio (registrar and
# record-routing proxy with digest auth), and the audio really arrives.
#
# alice and bob register with their passwords; alice calls "bob" (a user of
# her account's domain, sipterm.test), the INVITE is challenged (407) and
# routed to bob's registered contact.  PCMU both ways at once: each side's
# recording must hold what the other played (normalized cross-correlation
# >= 0.9).  DTMF 123#* by RFC 4733 (media, direct) and by SIP INFO (in the
# dialog, through the proxy's Record-Route), first: RFC 4733 digits replace
# the caller's audio while they play, and xcorr measures the middle of the
# recording (in 250 ms blocks aligned on their own, see tests/call/direct.sh).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/interop/kamailio.sh"
. "$top_srcdir/tests/tools/call.sh"

call_need
kam_need
MIN_CORR=0.9
T=$TEST_TMP

tap_plan 17

gen_sweep "$T/a.wav" 300 3000 3
gen_speech "$T/b.wav" "The quick brown fox jumps over the lazy dog, twice."

# 1. the proxy
if kam_start alice:alicepw bob:bobpw; then
	ok "Kamailio started on $KAM_ADDR"
else
	not_ok "Kamailio started"
	echo "Bail out! no Kamailio, nothing else can run"
	exit 1
fi

# account_conf NAME USER PASSWORD
account_conf() {
	st_conf "$1" "[account $2]\nuri = sip:$2@$KAM_DOMAIN\npassword = $3\nregistrar = sip:$KAM_ADDR\noutbound_proxy = sip:$KAM_ADDR\nexpires = 60\n\n[media]\ncodecs = PCMU\n"
}
account_conf alice alice alicepw
account_conf bob bob bobpw

_has_ev() { [ -n "$(ev "$1" "$2")" ]; }

# 2-3. both register with digest auth
st_bg bob 30 -f "$T/bob.conf" --siptrace="$T/bob.trace" -A0 --play "$T/b.wav" \
	--record "$T/brec.wav" \
	-e 'wait registered 5' -e 'wait call-ended 15' -e quit
if wait_for 5 _has_ev bob registered; then
	ok "bob registered with digest auth"
else
	not_ok "bob registered with digest auth"
	st_dump bob
fi
st_bg alice 30 -f "$T/alice.conf" --siptrace="$T/alice.trace" --play "$T/a.wav" \
	--record "$T/arec.wav" \
	-e 'wait registered 5' -e 'call bob' -e 'wait call-answered 5' \
	-e 'dtmf 123#*' -e 'wait 1.2' -e 'dtmf --info 123#*' -e 'wait 4.5' \
	-e hangup -e 'wait 0.3' -e quit
if wait_for 5 _has_ev alice registered; then
	ok "alice registered with digest auth"
else
	not_ok "alice registered with digest auth"
	st_dump alice
fi

st_wait alice; ra=$?
st_wait bob; rb=$?

# 4. both ends are content
if [ $ra = 0 ] && [ $rb = 0 ]; then
	ok "alice and bob exit 0"
else
	not_ok "alice and bob exit 0 (alice $ra, bob $rb)"
	st_dump alice
	st_dump bob
	diag "--- Kamailio log"
	kam_log | tail -n 30 | awk '{ print "#   " $0 }'
	if kam_log | grep -q 'database is locked'; then
		diag "KNOWN HARNESS BUG: Kamailio's sqlite database was locked (presence writes"
		diag "for the phones' PUBLISH against auth_db reads in another worker), so a"
		diag "digest check failed; tests/interop/kamailio.sh _kam_db should create the"
		diag "database with PRAGMA journal_mode=WAL"
	fi
	if grep -q 'credentials for realm .* rejected' "$T/alice.err" &&
		! kam_log | grep -q 'database is locked'; then
		diag "KNOWN BUG: the INVITE's 407 came while the PUBLISH sent at registration"
		diag "had just been retried with proxy credentials; src/sip/auth.c cand_merge()"
		diag "takes a challenge for a realm whose credentials were used by ANY request as"
		diag "a rejection, although this INVITE never carried them"
	fi
fi

# 5-7. the call went through the proxy, authenticated
if grep -q '^SIP/2.0 407' "$T/alice.trace" 2>/dev/null &&
	awk '/^INVITE sip:/ { inv = 1 } inv && /^Proxy-Authorization: Digest/ { found = 1 }
		/^$/ { inv = 0 } END { exit !found }' "$T/alice.trace"; then
	ok "alice's INVITE was challenged (407) and answered with credentials"
else
	not_ok "alice's INVITE was challenged (407) and answered with credentials"
fi
l=$(ev bob call-incoming | head -n 1)
if [ "$(ev_field "$l" from)" = "sip:alice@$KAM_DOMAIN" ]; then
	ok "bob's call-incoming is from sip:alice@$KAM_DOMAIN"
else
	not_ok "bob's call-incoming is from sip:alice@$KAM_DOMAIN (got ${l:-nothing})"
fi
# the INVITE bob received carries the proxy's Record-Route
if awk '/^INVITE sip:/ { inv = 1 } inv && /^Record-Route:/ { found = 1 } /^$/ { inv = 0 }
	END { exit !found }' "$T/bob.trace" 2>/dev/null &&
	grep -q "^Record-Route:.*127.0.0.1:$KAM_PORT" "$T/bob.trace"; then
	ok "the INVITE reached bob through Kamailio (Record-Route $KAM_ADDR)"
else
	not_ok "the INVITE reached bob through Kamailio (Record-Route $KAM_ADDR)"
fi

# 8. codec
la=$(ev alice call-answered | head -n 1)
lb=$(ev bob call-answered | head -n 1)
if [ "$(ev_field "$la" codec)" = PCMU ] && [ "$(ev_field "$lb" codec)" = PCMU ]; then
	ok "both sides report call-answered with PCMU"
else
	not_ok "both sides report call-answered with PCMU"
	diag "alice: $la"
	diag "bob: $lb"
fi

# 9-10. audio both ways
x=$(xc "$T/a.wav" "$T/brec.wav" --align-ms 250)
if ge "$(corr_of "$x")" $MIN_CORR; then
	ok "alice -> bob audio through the proxy's call: $x"
else
	not_ok "alice -> bob audio through the proxy's call: ${x:-xcorr failed} (want corr >= $MIN_CORR)"
	tail -n 3 "$T/xcorr.err" 2>/dev/null | awk '{ print "#   " $0 }'
fi
x=$(xc "$T/b.wav" "$T/arec.wav" --align-ms 250)
if ge "$(corr_of "$x")" $MIN_CORR; then
	ok "bob -> alice audio through the proxy's call: $x"
else
	not_ok "bob -> alice audio through the proxy's call: ${x:-xcorr failed} (want corr >= $MIN_CORR)"
	tail -n 3 "$T/xcorr.err" 2>/dev/null | awk '{ print "#   " $0 }'
fi

# 11-12. DTMF
digits() {
	ev bob dtmf | grep "\"method\":\"$1\"" | while IFS= read -r l; do
		ev_field "$l" digit
	done | tr -d '\n'
}
for m in rfc4733 info; do
	d=$(digits $m)
	n=$(ev bob dtmf | grep -c "\"method\":\"$m\"")
	if [ "$d" = '123#*' ] && [ "$n" = 5 ]; then
		ok "DTMF by $m: bob reports 5 digits 123#* in order"
	else
		not_ok "DTMF by $m: bob reports 5 digits 123#* in order (got $n: '$d')"
	fi
done

# 13. the BYE went through the proxy too and ended the call on both sides
ea=$(ev alice call-ended | head -n 1)
eb=$(ev bob call-ended | head -n 1)
if [ "$(ev_field "$ea" by)" = local ] && [ "$(ev_field "$eb" by)" = remote ] &&
	[ "$(ev_field "$eb" status)" = 200 ]; then
	ok "alice hangs up: call-ended by local (alice), by remote (bob)"
else
	not_ok "alice hangs up: call-ended by local (alice), by remote (bob)"
	diag "alice: $ea"
	diag "bob: $eb"
fi

# 14. quit unregisters
if _has_ev alice unregistered && _has_ev bob unregistered; then
	ok "quit unregisters alice and bob"
else
	not_ok "quit unregisters alice and bob"
fi

# 15-17. nothing left behind
n=0
for f in "$T"/*.err; do
	grep -qiE 'sanitizer|assert|segmentation|core dumped' "$f" && n=$((n + 1))
done
if [ $n = 0 ]; then ok "no crash or sanitizer report in any log"; else not_ok "no crash or sanitizer report in any log"; fi
kam_stop
left=$(leftovers)
if [ -z "$left" ]; then
	ok "no process of this test is left running"
else
	not_ok "no process of this test is left running"
	ps -o pid,args -p "$(echo $left | tr ' ' ,)" | awk '{ print "#   " $0 }'
fi
if ! grep -q . "$T/xcorr.err" 2>/dev/null; then
	ok "xcorr had no complaint"
else
	not_ok "xcorr had no complaint"
	awk '{ print "#   " $0 }' "$T/xcorr.err"
fi

done_testing
