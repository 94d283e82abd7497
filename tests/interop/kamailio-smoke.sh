#!/bin/bash
# tests/interop/kamailio-smoke.sh: proves the Kamailio harness
# (tests/interop/kamailio.sh + kamailio.cfg) with SIPp, before sipterm's own
# interop tests rely on it: registrar + digest auth over UDP and TCP,
# presence, offline messages (msilo), a proxied call with loose routing.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/interop/kamailio.sh"

kam_need
need_cmd sipp sip-tester

tap_plan 16

# 1. the config on its own
if kamailio -c -f "$KAM_CFG" >"$TEST_TMP/check.out" 2>&1; then
	ok "kamailio -c accepts tests/interop/kamailio.cfg"
else
	not_ok "kamailio -c accepts tests/interop/kamailio.cfg"
	awk '{ print "#   " $0 }' "$TEST_TMP/check.out"
fi

# 2. start (dave and erin are callees of the call tests)
if kam_start alice:alicepw bob:bobpw carol:carolpw dave:davepw erin:erinpw; then
	ok "Kamailio started"
	diag "Kamailio on $KAM_ADDR, log $KAM_LOG"
else
	not_ok "Kamailio started"
	echo "Bail out! no Kamailio, nothing else can run"
	exit 1
fi

# sipp_check DESC NAME SCENARIO OPTIONS...: one TAP line per SIPp call
sipp_check() {
	_d=$1 _n=$2; shift 2
	if kam_sipp "$_n" "$@"; then
		ok "$_d"
	else
		not_ok "$_d"
		kam_sipp_diag "$_n"
	fi
}

# final_is NAME CODE: uac-message-auth ended with that status code
final_is() {
	grep -q "^FINAL $2\$" "$TEST_TMP/$1.log" 2>/dev/null
}

# 3-6. registrar
sipp_check "OPTIONS to the proxy answered 200" \
	options uac-options -s probe
sipp_check "REGISTER alice over UDP with digest auth: 401 then 200" \
	reg-alice uac-register-auth -s alice -au alice -ap alicepw
sipp_check "REGISTER bob over TCP with digest auth: 401 then 200" \
	reg-bob-tcp uac-register-auth -s bob -au bob -ap bobpw -t t1
sipp_check "REGISTER with a wrong password is refused" \
	reg-badpw uac-register-badpw -s alice -au alice -ap not-alicepw

# 7-8. presence
sipp_check "PUBLISH presence by authenticated alice: 407 then 200" \
	publish uac-publish-auth -s alice -au alice -ap alicepw -key note smoke-note-42
if kam_sipp subscribe uac-subscribe-presence -s bob -au bob -ap bobpw -key to alice &&
	grep -q "^NOTE smoke-note-42\$" "$TEST_TMP/subscribe.log"; then
	ok "bob watches alice: NOTIFY carries her published PIDF, unsubscribe works"
else
	not_ok "bob watches alice: NOTIFY carries her published PIDF, unsubscribe works"
	kam_sipp_diag subscribe
fi

# 9-11. MESSAGE to an offline user is stored, to an unknown user refused
if kam_sipp msg-offline uac-message-auth -s alice -au alice -ap alicepw \
	-key to carol -key text "offline hello from alice" &&
	final_is msg-offline 202; then
	ok "MESSAGE to offline carol: 407 then 202 (stored by msilo)"
else
	not_ok "MESSAGE to offline carol: 407 then 202 (stored by msilo)"
	kam_sipp_diag msg-offline
fi
n=$(sqlite3 "$KAM_DB" "SELECT count(*) FROM silo WHERE username = 'carol' AND CAST(body AS TEXT) LIKE 'offline hello from alice%';" 2>&1)
if [ "$n" = 1 ]; then
	ok "the message waits in the silo table"
else
	not_ok "the message waits in the silo table"
	diag "silo rows for carol: $n"
fi
if kam_sipp msg-unknown uac-message-auth -s alice -au alice -ap alicepw \
	-key to nobody -key text "hello?" &&
	final_is msg-unknown 404; then
	ok "MESSAGE to an unknown user: 404"
else
	not_ok "MESSAGE to an unknown user: 404"
	kam_sipp_diag msg-unknown
fi

# 12. carol comes online: msilo delivers the stored MESSAGE to her contact
p=$(free_port)
if kam_sipp_bg carol-uas uas-message "$p" &&
	kam_sipp reg-carol uac-register-contact -s carol -au carol -ap carolpw \
		-key contact "sip:carol@127.0.0.1:$p" &&
	kam_sipp_wait carol-uas &&
	grep -q "^BODY offline hello from alice" "$TEST_TMP/carol-uas.log" &&
	grep -q "^FROM *<sip:alice@sipterm.test>" "$TEST_TMP/carol-uas.log"; then
	ok "carol registers: the stored MESSAGE is delivered to her (from alice)"
else
	not_ok "carol registers: the stored MESSAGE is delivered to her (from alice)"
	kam_sipp_diag reg-carol
	kam_sipp_diag carol-uas
fi

# 13. a call: alice (TCP) -> proxy -> dave (UDP); BYE follows Record-Route
p=$(free_port)
if kam_sipp_bg dave-uas uas-invite "$p" &&
	kam_sipp reg-dave uac-register-contact -s dave -au dave -ap davepw \
		-key contact "sip:dave@127.0.0.1:$p" &&
	kam_sipp call uac-invite-auth -s alice -au alice -ap alicepw -key to dave -t t1 &&
	kam_sipp_wait dave-uas &&
	grep -q "^VIA *SIP/2.0/UDP 127.0.0.1:$KAM_PORT;" "$TEST_TMP/dave-uas.log"; then
	ok "call alice (TCP) -> dave (UDP) through the proxy, BYE loose-routed"
else
	not_ok "call alice (TCP) -> dave (UDP) through the proxy, BYE loose-routed"
	kam_sipp_diag call
	kam_sipp_diag dave-uas
fi

# 14. CANCEL of a ringing call, relayed by tm
p=$(free_port)
if kam_sipp_bg erin-uas uas-ring-cancel "$p" &&
	kam_sipp reg-erin uac-register-contact -s erin -au erin -ap erinpw \
		-key contact "sip:erin@127.0.0.1:$p" &&
	kam_sipp cancel uac-invite-cancel -s alice -au alice -ap alicepw -key to erin &&
	kam_sipp_wait erin-uas; then
	ok "CANCEL of a ringing call: 200 to the CANCEL, 487 to the INVITE"
else
	not_ok "CANCEL of a ringing call: 200 to the CANCEL, 487 to the INVITE"
	kam_sipp_diag cancel
	kam_sipp_diag erin-uas
fi

# 15. nothing went wrong in Kamailio itself
if grep -E " (ERROR|CRITICAL|BUG): " "$KAM_LOG" >"$TEST_TMP/kam-errors"; then
	not_ok "no ERROR in the Kamailio log"
	head -n 20 "$TEST_TMP/kam-errors" | awk '{ print "#   " $0 }'
else
	ok "no ERROR in the Kamailio log"
fi

# 16. and nothing is left behind (every process of this test names TEST_TMP
# on its command line: Kamailio's -P/-w, SIPp's trace files)
kam_stop
sleep 0.2
left=$(pgrep -f -- "$TEST_TMP" | tr '\n' ' ')
if [ -z "$left" ]; then
	ok "no kamailio or sipp process left behind"
else
	not_ok "no kamailio or sipp process left behind"
	for p in $left; do ps -o pid=,args= -p "$p"; done | awk '{ print "#   " $0 }'
fi

done_testing
