#!/bin/bash
# tests/interop/register.sh: sipterm's accounts register at the test
# Kamailio (tests/interop/kamailio.sh) and can be reached while they are:
#   - alice over UDP (expires = 4): registered, reachable through the proxy,
#     refreshed before the 4 s run out (still reachable after them, and no
#     second registered event);
#     SIGTERM unregisters (unregistered event, Expires: 0) and exits 0,
#     and she is no longer reachable
#   - bob over TCP (registrar URI with ;transport=tcp): registered over
#     TCP, reached over that connection; "unreg" makes him unreachable,
#     "reg" brings him back, "quit" exits 0
#   - alice over TCP (transport = tcp)
#   - a wrong password: one registration-failed "authentication failed",
#     no second try (two REGISTERs in 7 s), and "wait registered" exits 3
#   - a Kamailio with min_expires = 30 (a copy of kamailio.cfg): 423 for
#     expires = 10, sipterm asks again with Min-Expires and registers
# Kamailio's and SIPp's processes are gone at the end.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/interop/kamailio.sh"
. "$top_srcdir/tests/ua/sipterm.sh"

kam_need
need_cmd sipp sip-tester
[ -x "$SIPTERM" ] || skip_all "$SIPTERM not built (make sipterm)"
# our own UAC scenarios (uac-options-auth) for kam_sipp
KAM_SIPP_DIR=$top_srcdir/tests/ua/sipp

tap_plan 34

if kam_start alice:alicepw bob:bobpw; then
	ok "Kamailio started on $KAM_ADDR"
else
	not_ok "Kamailio started"
	echo "Bail out! no Kamailio, nothing else can run"
	exit 1
fi

# account FILE USER PASSWORD [LINE...]: a config for USER@sipterm.test
# registering at Kamailio
account() {
	local f=$1 u=$2 pw=$3 l
	shift 3
	{
		printf '[account %s]\nuri = sip:%s@sipterm.test\npassword = %s\n' "$u" "$u" "$pw"
		printf 'registrar = sip:%s\n' "$KAM_ADDR"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$f"
	chmod 600 "$f"
}

# event NAME EVENT [FIELD-TEXT]: count of EVENT lines in NAME.out (JSON)
event() {
	grep -c "^{\"event\":\"$2\"${3:+.*$3}" "$TEST_TMP/$1.out" 2>/dev/null
}

# wait_event SECONDS NAME EVENT COUNT: at least COUNT such events
_has_events() { [ "$(event "$1" "$2")" -ge "$3" ]; }
wait_event() { wait_for "$1" _has_events "$2" "$3" "$4"; }

# reach NAME FROM FROM-PW TO: OPTIONS FROM -> TO through Kamailio; prints
# the final status (FINAL line of SIPp's log), nothing on failure
reach() {
	kam_sipp "$1" uac-options-auth -s "$2" -au "$2" -ap "$3" -key to "$4" >/dev/null 2>&1
	sed -n 's/^FINAL //p' "$TEST_TMP/$1.log" 2>/dev/null | head -n 1
}

# kam_registers FROM-PORT PROTO: REGISTERs Kamailio received from that port
kam_registers() {
	grep -c "REQ REGISTER .* from 127\.0\.0\.1:$1/$2 " "$KAM_LOG"
}

show() {
	for f in "$@"; do
		[ -s "$f" ] || continue
		diag "--- $f"
		tail -n 15 "$f" | tr -d '\r' | awk '{ print "#   " $0 }'
	done
}

# --- a wrong password, in the background: it must give up once, then
# stay quiet for 7 s (the first retry of a retry loop would come after 5-6 s)
account "$TEST_TMP/bad.cfg" alice not-alicepw
if st_start badpw -f "$TEST_TMP/bad.cfg" --events json \
	-e "wait registration-failed 10" -e "wait 7" -e quit; then
	BAD_PID=$ST_PID
else
	BAD_PID=""
fi

# --- alice over UDP, registered for 4 s at a time
account "$TEST_TMP/alice.cfg" alice alicepw "expires = 4"
if st_start alice -f "$TEST_TMP/alice.cfg" --events json && wait_event 10 alice registered 1; then
	ok "alice registers over UDP (registered event)"
else
	not_ok "alice registers over UDP (registered event)"
	show "$TEST_TMP/alice.err" "$TEST_TMP/alice.out"
fi
ALICE_PID=$ST_PID
t0=$(date +%s%N)
if [ "$(event alice registered '"expires":4')" = 1 ] && [ "$(kam_registers "$ST_PORT" udp)" -ge 1 ]; then
	ok "alice: Kamailio got her REGISTER over UDP and granted 4 s"
else
	not_ok "alice: Kamailio got her REGISTER over UDP and granted 4 s"
	show "$TEST_TMP/alice.out"
	grep "REQ REGISTER" "$KAM_LOG" | tail -n 5 | awk '{ print "#   " $0 }'
fi
r=$(reach reach-alice1 bob bobpw alice)
if [ "$r" = 200 ] && grep -q "^OPTIONS sip:alice@" "$TEST_TMP/alice.trace"; then
	ok "bob reaches alice through Kamailio: OPTIONS answered 200 by sipterm"
else
	not_ok "bob reaches alice through Kamailio: OPTIONS answered ${r:-nothing}"
	kam_sipp_diag reach-alice1
fi

# the refresh: a REGISTER answered 200 before the 4 s run out, then she
# is still reachable once they have
_refreshed() {
	[ "$(st_trace "$TEST_TMP/alice.trace" | grep -c ' recv UDP SIP/2.0 200 OK~[0-9]* REGISTER~')" -ge 2 ]
}
wait_for 5 _refreshed
# milliseconds between the first 200 and the next REGISTER sent
gap=$(st_trace "$TEST_TMP/alice.trace" | awk '
	$2 == "recv" && /SIP\/2.0 200 OK~[0-9]* REGISTER~/ && !t { t = $1; next }
	t && $2 == "send" && $4 == "REGISTER" { print $1 - t; exit }')
if _refreshed && [ -n "$gap" ] && [ "$gap" -ge 1000 ] && [ "$gap" -le 3000 ]; then
	ok "alice: refresh sent $gap ms after the 200 granting 4 s, answered 200"
else
	not_ok "alice: refresh sent ${gap:-no} ms after the 200 granting 4 s (want 1000-3000, then 200)"
	st_trace "$TEST_TMP/alice.trace" | awk '{ print "#   " $0 }'
fi
n=$(event alice registered)
if [ "$n" = 1 ]; then
	ok "alice: the refresh gives no second registered event"
else
	not_ok "alice: $n registered events after the refresh, want 1"
fi
# past the first 4 s (Kamailio's lookup() skips expired contacts)
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 4500 ]; do sleep 0.1; done
r=$(reach reach-alice2 bob bobpw alice)
if [ "$r" = 200 ]; then
	ok "alice still reachable 4.5 s after registering for 4 s"
else
	not_ok "alice still reachable 4.5 s after registering for 4 s (OPTIONS: ${r:-nothing})"
	kam_sipp_diag reach-alice2
fi

# SIGTERM: unregister, exit 0
ST_PID=$ALICE_PID
st_stop TERM
rc=$?
if [ $rc = 0 ]; then ok "alice: SIGTERM, exit status 0"; else not_ok "alice: SIGTERM, exit status $rc"; fi
if [ "$(event alice unregistered)" = 1 ] &&
	st_trace "$TEST_TMP/alice.trace" | grep -q ' send UDP REGISTER .*~[0-9]* REGISTER~0$'; then
	ok "alice: unregistered event after a REGISTER with Expires: 0"
else
	not_ok "alice: unregistered event after a REGISTER with Expires: 0"
	show "$TEST_TMP/alice.out" "$TEST_TMP/alice.err"
fi
r=$(reach reach-alice3 bob bobpw alice)
if [ "$r" = 480 ]; then
	ok "alice unreachable after quitting: Kamailio answers 480"
else
	not_ok "alice unreachable after quitting: Kamailio answers ${r:-nothing} (want 480)"
	kam_sipp_diag reach-alice3
fi

# --- bob over TCP (;transport=tcp in the registrar URI), driven on stdin
mkfifo "$TEST_TMP/bob.in"
exec 7<>"$TEST_TMP/bob.in"
account "$TEST_TMP/bob.cfg" bob bobpw
sed -i "s/^registrar = .*/&;transport=tcp/" "$TEST_TMP/bob.cfg"
if ST_STDIN=$TEST_TMP/bob.in st_start bob -f "$TEST_TMP/bob.cfg" --events json &&
	wait_event 10 bob registered 1; then
	ok "bob registers with registrar = sip:$KAM_ADDR;transport=tcp"
else
	not_ok "bob registers with registrar = sip:$KAM_ADDR;transport=tcp"
	show "$TEST_TMP/bob.err" "$TEST_TMP/bob.out"
fi
BOB_PID=$ST_PID
if grep -q "REQ REGISTER sip:$KAM_ADDR;transport=tcp .*/tcp " "$KAM_LOG" &&
	! grep -q "REQ REGISTER sip:$KAM_ADDR;transport=tcp .*/udp " "$KAM_LOG"; then
	ok "bob: Kamailio got his REGISTERs over TCP only"
else
	not_ok "bob: Kamailio got his REGISTERs over TCP only"
	grep "REQ REGISTER" "$KAM_LOG" | tail -n 5 | awk '{ print "#   " $0 }'
fi
r=$(reach reach-bob1 alice alicepw bob)
if [ "$r" = 200 ] && grep -q "^[0-9:.]* TCP recv from 127.0.0.1:$KAM_PORT" "$TEST_TMP/bob.trace"; then
	ok "alice reaches bob: Kamailio relays the OPTIONS over the TCP flow, 200"
else
	not_ok "alice reaches bob over the TCP flow (OPTIONS: ${r:-nothing})"
	kam_sipp_diag reach-bob1
	show "$TEST_TMP/bob.trace"
fi
echo unreg >&7
if wait_event 5 bob unregistered 1; then
	ok "bob: unreg gives the unregistered event"
else
	not_ok "bob: unreg gives the unregistered event"
	show "$TEST_TMP/bob.err" "$TEST_TMP/bob.out"
fi
r=$(reach reach-bob2 alice alicepw bob)
if [ "$r" = 480 ]; then
	ok "bob unreachable after unreg: Kamailio answers 480"
else
	not_ok "bob unreachable after unreg: Kamailio answers ${r:-nothing} (want 480)"
fi
echo reg >&7
if wait_event 5 bob registered 2; then
	ok "bob: reg registers him again"
else
	not_ok "bob: reg registers him again"
	show "$TEST_TMP/bob.err" "$TEST_TMP/bob.out"
fi
r=$(reach reach-bob3 alice alicepw bob)
if [ "$r" = 200 ]; then ok "bob reachable again: 200"; else not_ok "bob reachable again (OPTIONS: ${r:-nothing})"; fi
echo quit >&7
ST_PID=$BOB_PID
st_wait
rc=$?
exec 7>&-
if [ $rc = 0 ] && [ "$(event bob unregistered)" = 2 ]; then
	ok "bob: quit unregisters him and exits 0"
else
	not_ok "bob: quit unregisters him and exits 0 (status $rc, $(event bob unregistered) unregistered events)"
	show "$TEST_TMP/bob.err" "$TEST_TMP/bob.out"
fi
r=$(reach reach-bob4 alice alicepw bob)
if [ "$r" = 480 ]; then ok "bob unreachable after quit: 480"; else not_ok "bob unreachable after quit: ${r:-nothing} (want 480)"; fi

# --- alice over TCP with transport = tcp
account "$TEST_TMP/alice-tcp.cfg" alice alicepw "transport = tcp"
if st_start alice-tcp -f "$TEST_TMP/alice-tcp.cfg" --events json &&
	wait_event 10 alice-tcp registered 1; then
	ok "alice registers with transport = tcp"
else
	not_ok "alice registers with transport = tcp"
	show "$TEST_TMP/alice-tcp.err" "$TEST_TMP/alice-tcp.out"
fi
if st_trace "$TEST_TMP/alice-tcp.trace" | grep -q ' send TCP REGISTER ' &&
	! st_trace "$TEST_TMP/alice-tcp.trace" | grep -q ' send UDP '; then
	ok "alice (transport = tcp): every REGISTER went over TCP"
else
	not_ok "alice (transport = tcp): every REGISTER went over TCP"
	st_trace "$TEST_TMP/alice-tcp.trace" | awk '{ print "#   " $0 }'
fi
r=$(reach reach-alice4 bob bobpw alice)
if [ "$r" = 200 ]; then ok "bob reaches alice over her TCP flow: 200"; else not_ok "bob reaches alice over her TCP flow (OPTIONS: ${r:-nothing})"; fi
st_stop TERM
rc=$?
if [ $rc = 0 ] && [ "$(event alice-tcp unregistered)" = 1 ]; then
	ok "alice (TCP): SIGTERM unregisters, exit status 0"
else
	not_ok "alice (TCP): SIGTERM unregisters, exit status 0 (status $rc)"
	show "$TEST_TMP/alice-tcp.err" "$TEST_TMP/alice-tcp.out"
fi

# --- the wrong password: "wait registered" fails with status 3
account "$TEST_TMP/bad2.cfg" alice not-alicepw
timeout 30 "$SIPTERM" --headless -l 127.0.0.1:0 -f "$TEST_TMP/bad2.cfg" --events json \
	--siptrace="$TEST_TMP/badwait.trace" -e "wait registered 10" \
	</dev/null >"$TEST_TMP/badwait.out" 2>"$TEST_TMP/badwait.err"
rc=$?
if [ $rc = 3 ]; then
	ok "wrong password: -e 'wait registered 10' exits with status 3"
else
	not_ok "wrong password: -e 'wait registered 10' exits with status $rc (want 3)"
	show "$TEST_TMP/badwait.err" "$TEST_TMP/badwait.out"
fi
if grep -q "registration failed" "$TEST_TMP/badwait.err"; then
	ok "wrong password: the script says why ($(grep -m1 'registration failed' "$TEST_TMP/badwait.err"))"
else
	not_ok "wrong password: the script says why"
	show "$TEST_TMP/badwait.err"
fi

# ... and the one that kept running for 7 s after the failure
if [ -n "$BAD_PID" ]; then
	wait_for 15 _st_exited "$BAD_PID"
	ST_PID=$BAD_PID
	st_stop TERM
	rc=$?
else
	rc=none
fi
nfail=$(event badpw registration-failed)
if [ "$nfail" = 1 ] && [ "$(event badpw registration-failed '"reason":"authentication failed"')" = 1 ]; then
	ok "wrong password: exactly one registration-failed, reason \"authentication failed\""
else
	not_ok "wrong password: exactly one registration-failed with reason \"authentication failed\" (got $nfail)"
	show "$TEST_TMP/badpw.out" "$TEST_TMP/badpw.err"
fi
nreg=$(st_trace "$TEST_TMP/badpw.trace" | grep -c ' send UDP REGISTER ')
if [ "$nreg" = 2 ]; then
	ok "wrong password: 2 REGISTERs (the challenge, one answer), none in the next 7 s"
else
	not_ok "wrong password: $nreg REGISTERs, want 2 (the challenge, one answer) and no retry"
	st_trace "$TEST_TMP/badpw.trace" | awk '{ print "#   " $0 }'
fi
if [ "$rc" = 0 ]; then
	ok "wrong password: that sipterm ran its script to the end (quit, status 0)"
else
	not_ok "wrong password: that sipterm ran its script to the end (status $rc)"
	show "$TEST_TMP/badpw.err"
fi

if grep -E " (ERROR|CRITICAL|BUG): " "$KAM_LOG" >"$TEST_TMP/kam-errors"; then
	not_ok "no ERROR in the Kamailio log"
	head -n 20 "$TEST_TMP/kam-errors" | awk '{ print "#   " $0 }'
else
	ok "no ERROR in the Kamailio log"
fi

# --- 423: a Kamailio whose registrar wants at least 30 s (a copy of
# kamailio.cfg: it accepts any expiry, which the tests above rely on)
kam_stop
# (min_expires_mode 1: answer 423 instead of raising the expiry quietly)
sed 's/^modparam("registrar", "min_expires", 0)$/modparam("registrar", "min_expires", 30)\
modparam("registrar", "min_expires_mode", 1)/' \
	"$KAM_CFG" >"$TEST_TMP/kamailio-423.cfg"
if grep -q '^modparam("registrar", "min_expires_mode", 1)$' "$TEST_TMP/kamailio-423.cfg" &&
	KAM_CFG=$TEST_TMP/kamailio-423.cfg kam_start alice:alicepw; then
	ok "a Kamailio with min_expires = 30 started"
else
	not_ok "a Kamailio with min_expires = 30 started (kamailio.cfg still has min_expires 0?)"
fi
account "$TEST_TMP/short.cfg" alice alicepw "expires = 10"
timeout 30 "$SIPTERM" --headless -l 127.0.0.1:0 -f "$TEST_TMP/short.cfg" --events json \
	--siptrace="$TEST_TMP/short.trace" -e "wait registered 10" -e quit \
	</dev/null >"$TEST_TMP/short.out" 2>"$TEST_TMP/short.err"
rc=$?
if [ $rc = 0 ] && [ "$(event short registered '"expires":30')" = 1 ]; then
	ok "expires = 10: registered for 30 s, then quit (status 0)"
else
	not_ok "expires = 10: registered for 30 s, then quit (status $rc)"
	show "$TEST_TMP/short.err" "$TEST_TMP/short.out"
fi
st_trace "$TEST_TMP/short.trace" >"$TEST_TMP/short.sum"
if grep -q ' recv UDP SIP/2.0 423 ' "$TEST_TMP/short.sum" &&
	grep -qi '^Min-Expires: *30' "$TEST_TMP/short.trace"; then
	ok "Kamailio answered Expires: 10 with 423, Min-Expires: 30"
else
	not_ok "Kamailio answered Expires: 10 with 423, Min-Expires: 30"
	awk '{ print "#   " $0 }' "$TEST_TMP/short.sum"
fi
# the REGISTER after the 423 asks for 30
after=$(awk '/ recv UDP SIP\/2.0 423 / { f = 1; next } f && / send UDP REGISTER / { print; exit }' "$TEST_TMP/short.sum")
case $after in
*"~30") ok "the next REGISTER asks for Expires: 30" ;;
*) not_ok "the next REGISTER asks for Expires: 30 (got: ${after:-none})" ;;
esac

kam_stop
sleep 0.2
left=$(st_left)
if [ -z "$left" ]; then
	ok "no kamailio, sipp or sipterm process left behind"
else
	not_ok "no kamailio, sipp or sipterm process left behind"
	for p in $left; do ps -o pid=,args= -p "$p"; done | awk '{ print "#   " $0 }'
fi

done_testing
