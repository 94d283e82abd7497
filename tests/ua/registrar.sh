#!/bin/bash
# tests/ua/registrar.sh: sipterm's registration client against SIPp playing
# the registrar (tests/ua/sipp/uas-reg-*.xml):
#   - 401 Digest MD5, then 200; the Authorization is recomputed here
#   - 401 Digest SHA-256 with qop=auth: algorithm=SHA-256, a 64-hex response
#   - one 401 offering MD5 and SHA-256 (either order): SHA-256 is used
#   - 423 with Min-Expires: the next REGISTER asks for that, and registers
#   - a registrar granting 4 s: the refresh comes well before they run out
#   - password_cmd: its first line is the password, shown nowhere
#   - the UA core's error answers to SIPp (uac-errors.xml), over UDP, TCP
#     and UDP with -lost 20
#   - a registrar challenging the refresh afresh (no stale=true): sipterm
#     answers the new challenge instead of giving up
#   - SIPp -lost 20 (it drops 20% of what it sends and receives): five
#     registrations and twenty OPTIONS all succeed, through retransmissions
#   - a registrar that never answers the unregistration: quit still ends
#   - configs refused: a password readable by others, expires = 0
# Every sipterm run ends with "quit", whose REGISTER with Expires: 0 the
# scenarios expect.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/ua/sipterm.sh"
. "$top_srcdir/tests/tools/sipp.sh"

SCEN=$top_srcdir/tests/ua/sipp
need_cmd sipp sip-tester
need_cmd socat socat
need_cmd md5sum coreutils
need_cmd sha256sum coreutils
[ -x "$SIPTERM" ] || skip_all "$SIPTERM not built (make sipterm)"

tap_plan 38

# account NAME [LINE...]: $TEST_TMP/NAME.cfg, alice registering at SIPp
account() {
	local _n=$1 _l; shift
	{
		printf '[general]\n'
		for _l in "$@"; do
			case $_l in t1*|t2*) printf '%s\n' "$_l" ;; esac
		done
		if [ -n "${ACCOUNT_PWCMD:-}" ]; then
			printf '[account alice]\nuri = sip:alice@sipterm.test\npassword_cmd = %s\n' \
				"$ACCOUNT_PWCMD"
		else
			printf '[account alice]\nuri = sip:alice@sipterm.test\npassword = alicepw\n'
		fi
		printf 'registrar = sip:127.0.0.1:%s\n' "$SIPP_PORT"
		for _l in "$@"; do
			case $_l in t1*|t2*) ;; *) printf '%s\n' "$_l" ;; esac
		done
	} >"$TEST_TMP/$_n.cfg"
	chmod 600 "$TEST_TMP/$_n.cfg"
}

# run NAME SCRIPT-LINE...: sipterm with NAME.cfg, events (JSON) in NAME.out,
# log in NAME.err, SIP trace in NAME.trace; returns its exit status
run() {
	local _n=$1 _l _e=(); shift
	for _l in "$@"; do _e+=(-e "$_l"); done
	timeout 30 "$SIPTERM" --headless -l 127.0.0.1:0 -f "$TEST_TMP/$_n.cfg" \
		--events json --siptrace="$TEST_TMP/$_n.trace" "${_e[@]}" \
		</dev/null >"$TEST_TMP/$_n.out" 2>"$TEST_TMP/$_n.err"
}

# logval NAME KEY: the rest of the first "KEY ..." line of SIPp's log
logval() {
	sed -n "s/^$2 *//p" "$TEST_TMP/$1.log" 2>/dev/null | head -n 1 | tr -d '\r'
}

# param HEADER-VALUE NAME: a digest parameter, quoted or not
param() {
	printf '%s\n' "$1" | sed -n -e "s/.*[ ,]$2=\"\([^\"]*\)\".*/\1/p" \
		-e "t" -e "s/.*[ ,]$2=\([^ ,]*\).*/\1/p"
}

# digest_ok AUTHORIZATION PASSWORD: the response is right (RFC 2617 /
# RFC 7616 with the algorithm the header names; MD5 when it names none)
digest_ok() {
	local _a=$1 _pw=$2 _h _ha1 _ha2 _want
	case $(param "$_a" algorithm) in
	""|MD5) _h=md5sum ;;
	SHA-256) _h=sha256sum ;;
	*) return 1 ;;
	esac
	_H() { printf '%s' "$1" | $_h | cut -d' ' -f1; }
	_ha1=$(_H "$(param "$_a" username):$(param "$_a" realm):$_pw")
	_ha2=$(_H "REGISTER:$(param "$_a" uri)")
	if [ -n "$(param "$_a" qop)" ]; then
		_want=$(_H "$_ha1:$(param "$_a" nonce):$(param "$_a" nc):$(param "$_a" cnonce):$(param "$_a" qop):$_ha2")
	else
		_want=$(_H "$_ha1:$(param "$_a" nonce):$_ha2")
	fi
	[ "$_want" = "$(param "$_a" response)" ]
}

# registered NAME: the JSON events of the run show a registration
registered() {
	grep -q '^{"event":"registered","account":"alice"' "$TEST_TMP/$1.out"
}

nonce() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }

# challenge_run NAME SCENARIO DESC SIPP-KEYS...: one registration against
# a challenging registrar; two TAP lines (the run, SIPp's view)
challenge_run() {
	local _n=$1 _s=$2 _d=$3 _rc _src; shift 3
	if ! sipp_serve "$_n-sipp" "$_s" -key expires 60 "$@"; then
		not_ok "$_d: SIPp registrar started"
		not_ok "$_d: SIPp registrar saw 401, 200 and the unregistration"
		return
	fi
	account "$_n"
	run "$_n" "wait registered 5" quit
	_rc=$?
	if [ $_rc = 0 ] && registered "$_n"; then
		ok "$_d: sipterm registers (registered event) and quits (status 0)"
	else
		not_ok "$_d: sipterm registers and quits (status $_rc)"
		tail -n 5 "$TEST_TMP/$_n.err" "$TEST_TMP/$_n.out" | awk '{ print "#   " $0 }'
	fi
	sipp_quit
	_src=$?
	if [ $_src = 0 ] && [ -z "$(logval "$_n-sipp" AUTH1)" ] && [ "$(logval "$_n-sipp" UNREG)" = 0 ]; then
		ok "$_d: SIPp saw REGISTER without credentials, 401, REGISTER, 200, Expires: 0"
	else
		not_ok "$_d: SIPp saw REGISTER without credentials, 401, REGISTER, 200, Expires: 0 (SIPp status $_src)"
		sipp_diag "$_n-sipp"
	fi
}

# 1-3. MD5
n1=$(nonce)
challenge_run md5 uas-reg-auth "401 MD5" \
	-key challenge "Digest realm=\"sipterm.test\", nonce=\"$n1\", algorithm=MD5"
a=$(logval md5-sipp AUTH2)
if digest_ok "$a" alicepw && [ "$(param "$a" nonce)" = "$n1" ] &&
	[ "$(param "$a" username)" = alice ] &&
	printf '%s' "$(param "$a" response)" | grep -qx '[0-9a-f]\{32\}'; then
	ok "401 MD5: the Authorization is a right MD5 digest for alice"
else
	not_ok "401 MD5: the Authorization is a right MD5 digest for alice"
	diag "Authorization: $a"
fi

# password_cmd: the password is what the command prints (its first line),
# and it appears in no log, trace or event
n1=$(nonce)
ACCOUNT_PWCMD="printf 'cmd-pw-9x\\nsecond line\\n'" challenge_run pwcmd uas-reg-auth "password_cmd" \
	-key challenge "Digest realm=\"sipterm.test\", nonce=\"$n1\", algorithm=MD5"
a=$(logval pwcmd-sipp AUTH2)
if digest_ok "$a" cmd-pw-9x &&
	! grep -q 'cmd-pw-9x' "$TEST_TMP/pwcmd.err" "$TEST_TMP/pwcmd.out" "$TEST_TMP/pwcmd.trace"; then
	ok "password_cmd: the digest is computed with its first line, which no log, trace or event shows"
else
	not_ok "password_cmd: the digest is computed with its first line, which no log, trace or event shows"
	diag "Authorization: $a"
fi

# 4-6. SHA-256 with qop=auth
n1=$(nonce)
challenge_run sha256 uas-reg-auth "401 SHA-256" \
	-key challenge "Digest realm=\"sipterm.test\", nonce=\"$n1\", algorithm=SHA-256, qop=\"auth\""
a=$(logval sha256-sipp AUTH2)
if [ "$(param "$a" algorithm)" = SHA-256 ] &&
	printf '%s' "$(param "$a" response)" | grep -qx '[0-9a-f]\{64\}' &&
	[ "$(param "$a" qop)" = auth ] && digest_ok "$a" alicepw; then
	ok "401 SHA-256: algorithm=SHA-256, 64-hex response, right digest (qop=auth)"
else
	not_ok "401 SHA-256: algorithm=SHA-256, 64-hex response, right digest (qop=auth)"
	diag "Authorization: $a"
fi

# 7-12. both algorithms in one 401 (RFC 8760), in both orders
for order in md5-first sha-first; do
	nm=$(nonce) ns=$(nonce)
	cm="Digest realm=\"sipterm.test\", nonce=\"$nm\", algorithm=MD5"
	cs="Digest realm=\"sipterm.test\", nonce=\"$ns\", algorithm=SHA-256"
	if [ $order = md5-first ]; then
		challenge_run both-$order uas-reg-auth2 "401 MD5 then SHA-256" \
			-key challenge "$cm" -key challenge2 "$cs"
	else
		challenge_run both-$order uas-reg-auth2 "401 SHA-256 then MD5" \
			-key challenge "$cs" -key challenge2 "$cm"
	fi
	a=$(logval both-$order-sipp AUTH2)
	if [ "$(param "$a" algorithm)" = SHA-256 ] && [ "$(param "$a" nonce)" = "$ns" ] &&
		digest_ok "$a" alicepw; then
		ok "both offered ($order): the SHA-256 challenge is answered, digest right"
	else
		not_ok "both offered ($order): the SHA-256 challenge is answered, digest right"
		diag "Authorization: $a"
	fi
done

# 13-15. 423 Interval Too Brief
if sipp_serve min-sipp uas-reg-423 -key min 30; then
	account e423 "expires = 10"
	run e423 "wait registered 5" quit
	rc=$?
	if [ $rc = 0 ] && grep -q '^{"event":"registered","account":"alice","expires":30}' "$TEST_TMP/e423.out"; then
		ok "423: sipterm registers for the Min-Expires (registered, expires 30)"
	else
		not_ok "423: sipterm registers for the Min-Expires (status $rc)"
		tail -n 5 "$TEST_TMP/e423.err" "$TEST_TMP/e423.out" | awk '{ print "#   " $0 }'
	fi
	e1=$(logval min-sipp EXPIRES1) e2=$(logval min-sipp EXPIRES2)
	if [ "$e1" = 10 ] && [ "$e2" = 30 ]; then
		ok "423: asked Expires: $e1, then Expires: $e2 (the Min-Expires)"
	else
		not_ok "423: asked Expires: 10, then Expires: 30 (got '$e1', '$e2')"
	fi
	sipp_quit
	rc=$?
	if [ $rc = 0 ] && [ "$(logval min-sipp UNREG)" = 0 ]; then
		ok "423: SIPp saw the whole flow, unregistration included"
	else
		not_ok "423: SIPp saw the whole flow, unregistration included (status $rc)"
		sipp_diag min-sipp
	fi
else
	not_ok "423: SIPp registrar started"
	not_ok "423: (not run)"
	not_ok "423: (not run)"
fi

# 16-20. refresh: the registrar grants 4 s whatever was asked (3600)
if sipp_serve refresh-sipp uas-reg-refresh; then
	account refresh
	run refresh "wait registered 5" "wait 3" quit
	rc=$?
	if [ $rc = 0 ] && grep -q '^{"event":"registered","account":"alice","expires":4}' "$TEST_TMP/refresh.out"; then
		ok "refresh: registered for the 4 s granted (not the 3600 asked)"
	else
		not_ok "refresh: registered for the 4 s granted (status $rc)"
		tail -n 5 "$TEST_TMP/refresh.err" "$TEST_TMP/refresh.out" | awk '{ print "#   " $0 }'
	fi
	sipp_quit
	rc=$?
	if [ $rc = 0 ] && [ "$(logval refresh-sipp UNREG)" = 0 ]; then
		ok "refresh: SIPp saw REGISTER, 200, a refresh within 4 s, 200, Expires: 0"
	else
		not_ok "refresh: SIPp saw REGISTER, 200, a refresh within 4 s, 200, Expires: 0 (status $rc)"
		sipp_diag refresh-sipp
	fi
	# GRANTED <ms> <CSeq> <Call-ID>; REFRESH <ms> <CSeq> <Call-ID> <Expires>
	# (split into words on purpose)
	# shellcheck disable=SC2046
	set -- $(logval refresh-sipp GRANTED) x x x x
	t1=$1 c1=$2 i1=$4
	# shellcheck disable=SC2046
	set -- $(logval refresh-sipp REFRESH) x x x x x
	t2=$1 c2=$2 i2=$4
	dt=$(( ${t2:-0} - ${t1:-0} )) 2>/dev/null || dt=-1
	# sipterm refreshes halfway through short registrations (85% of
	# long ones): well before 4 s, and not at once
	if [ "$dt" -ge 1000 ] && [ "$dt" -le 3000 ]; then
		ok "refresh: the REGISTER came ${dt} ms after the 200 granting 4 s"
	else
		not_ok "refresh: the REGISTER came ${dt} ms after the 200 granting 4 s (want 1000-3000)"
		sipp_diag refresh-sipp
	fi
	if [ -n "$i1" ] && [ "$i1" = "$i2" ] && [ "$c2" -gt "$c1" ] 2>/dev/null; then
		ok "refresh: same Call-ID, CSeq $c1 -> $c2"
	else
		not_ok "refresh: same Call-ID ($i1 / $i2), higher CSeq ($c1 -> $c2)"
	fi
	n=$(grep -c '^{"event":"registered"' "$TEST_TMP/refresh.out")
	if [ "$n" = 1 ]; then
		ok "refresh: no second registered event (the binding was kept)"
	else
		not_ok "refresh: $n registered events, want 1 (a refresh is no new registration)"
	fi
else
	for i in 1 2 3 4 5; do not_ok "refresh: SIPp registrar started"; done
fi

# 21-23. the refresh re-challenged with a new nonce and no stale=true
n1=$(nonce) n2=$(nonce)
if sipp_serve rechal-sipp uas-reg-rechallenge -key nonce1 "$n1" -key nonce2 "$n2"; then
	account rechal
	run rechal "wait registered 5" "wait 1.6" quit
	rc=$?
	if [ $rc = 0 ] && ! grep -q '"registration-failed"' "$TEST_TMP/rechal.out"; then
		ok "refresh re-challenged: no registration-failed, quit with status 0"
	else
		not_ok "refresh re-challenged: no registration-failed, quit with status 0 (status $rc)"
		tail -n 5 "$TEST_TMP/rechal.out" "$TEST_TMP/rechal.err" | awk '{ print "#   " $0 }'
	fi
	a=$(logval rechal-sipp AUTH4)
	if [ "$(param "$(logval rechal-sipp AUTH3)" nonce)" = "$n1" ] &&
		[ "$(param "$a" nonce)" = "$n2" ] && digest_ok "$a" alicepw; then
		ok "refresh re-challenged: the refresh reused the nonce, then answered the new one"
	else
		not_ok "refresh re-challenged: the refresh reused the nonce, then answered the new one"
		diag "AUTH3: $(logval rechal-sipp AUTH3)"
		diag "AUTH4: $a"
	fi
	sipp_quit
	rc=$?
	if [ $rc = 0 ] && [ "$(logval rechal-sipp UNREG)" = 0 ]; then
		ok "refresh re-challenged: SIPp saw the whole flow, unregistration included"
	else
		not_ok "refresh re-challenged: SIPp saw the whole flow (status $rc)"
		sipp_diag rechal-sipp
	fi
else
	for i in 1 2 3; do not_ok "refresh re-challenged: SIPp registrar started"; done
fi

# 24-25. registration through 20% loss: five in a row, short timers
# (t1 = 100 ms, t2 = 400 ms: retransmissions every 0.1-0.4 s, Timer F 6.4 s)
n1=$(nonce)
if sipp_serve lost-sipp uas-reg-auth -lost 20 -key expires 60 \
	-key challenge "Digest realm=\"sipterm.test\", nonce=\"$n1\", algorithm=MD5"; then
	good=0
	for i in 1 2 3 4 5; do
		account lost$i "t1 = 100" "t2 = 400"
		run lost$i "wait registered 10" quit && registered lost$i && good=$((good + 1))
	done
	if [ $good = 5 ]; then
		ok "-lost 20: 5 of 5 registrations succeed"
	else
		not_ok "-lost 20: $good of 5 registrations succeed"
		for i in 1 2 3 4 5; do tail -n 3 "$TEST_TMP/lost$i.err"; done | awk '{ print "#   " $0 }'
	fi
	sipp_quit
	rc=$?
	if [ $rc = 0 ]; then
		ok "-lost 20: SIPp registrar completed all 5 (401, 200, unregistration each)"
	else
		not_ok "-lost 20: SIPp registrar completed all 5 (status $rc)"
		sipp_diag lost-sipp
	fi
	regs=$(cat "$TEST_TMP"/lost[1-5].trace 2>/dev/null | grep -c '^REGISTER sip:')
else
	not_ok "-lost 20: SIPp registrar started"
	not_ok "-lost 20: (not run)"
	regs=0
fi

# 26-27. OPTIONS through 20% loss: SIPp's retransmissions must each get
# sipterm's answer again (its server transaction keeps it)
if st_start opt; then
	sipp_call_bg opt-sipp uac-options "127.0.0.1:$ST_PORT" 45 -s bob \
		-m 20 -r 20 -lost 20 -max_non_invite_retrans 12 -T2 1000
	sipp_wait opt-sipp
	rc=$?
	if [ $rc = 0 ]; then
		ok "-lost 20: 20 of 20 OPTIONS answered 200"
	else
		not_ok "-lost 20: 20 OPTIONS answered 200 (SIPp status $rc)"
		sipp_diag opt-sipp
		grep -i "successful\|failed" "$TEST_TMP/opt-sipp.out" | awk '{ print "#   " $0 }'
	fi
	answers=$(grep -c '^SIP/2.0 200' "$TEST_TMP/opt.trace")
	st_stop
else
	not_ok "-lost 20: OPTIONS (sipterm did not start)"
	answers=0
fi
# the loss was real: more REGISTERs than 5 x 3, more 200s than 20
extra=$(( regs - 15 + answers - 20 ))
if [ "$regs" -ge 15 ] && [ "$answers" -ge 20 ] && [ $extra -gt 0 ]; then
	ok "-lost 20 did cost retransmissions: $regs REGISTERs for 15, $answers answers to 20 OPTIONS"
else
	not_ok "-lost 20 did cost retransmissions: $regs REGISTERs for 15, $answers answers to 20 OPTIONS"
fi

# The UA core's error answers as SIPp sees them (uac-errors.xml: 501
# with Allow, 420 with Unsupported, 415 with Accept, 483, 481, 505): over
# UDP, over TCP, and over UDP with 20% of the messages lost both ways
if st_start errs; then
	for mode in udp tcp lost; do
		case $mode in
		udp) set -- -t u1 -m 1 ;;
		tcp) set -- -t t1 -m 1 ;;
		lost) set -- -t u1 -m 5 -lost 20 -max_non_invite_retrans 12 -max_invite_retrans 12 ;;
		esac
		sipp_call_bg "errs-$mode" uac-errors "127.0.0.1:$ST_PORT" 45 -s bob "$@"
		sipp_wait "errs-$mode"
		rc=$?
		if [ $rc = 0 ]; then
			ok "UA core errors ($mode): 501+Allow, 420+Unsupported, 415+Accept, 483, 481, 505"
		else
			not_ok "UA core errors ($mode): 501+Allow, 420+Unsupported, 415+Accept, 483, 481, 505 (SIPp status $rc)"
			sipp_diag "errs-$mode"
		fi
	done
	st_stop
else
	for mode in udp tcp lost; do not_ok "UA core errors ($mode): sipterm did not start"; done
fi

# 28-29. quit while the registrar ignores the unregistration: sipterm
# waits a few seconds (3 s), then exits normally
if sipp_serve silent-sipp uas-reg-silent; then
	account silent
	s0=$(date +%s)
	run silent "wait registered 5" quit
	rc=$?
	dt=$(( $(date +%s) - s0 ))
	# (this crashed at exit until sip_free() flushed the reap list)
	if [ "$rc" = 0 ] && [ "$dt" -le 6 ]; then
		ok "quit with the unregistration unanswered: exit status 0 after $dt s"
	else
		not_ok "quit with the unregistration unanswered: exit status $rc after $dt s"
		grep -v 'listening for SIP' "$TEST_TMP/silent.err" | head -n 5 |
			awk '{ print "#   " $0 }'
	fi
	sipp_quit
	rc=$?
	if [ $rc = 0 ] && [ "$(logval silent-sipp UNREG)" = 0 ]; then
		ok "the REGISTER with Expires: 0 was sent (SIPp got it)"
	else
		not_ok "the REGISTER with Expires: 0 was sent (SIPp status $rc)"
		sipp_diag silent-sipp
	fi
else
	not_ok "quit with the unregistration unanswered: SIPp registrar started"
	not_ok "(not run)"
fi

# 30. a config holding a password must not be readable by others
account mode
chmod 644 "$TEST_TMP/mode.cfg"
run mode "wait registered 5" quit
rc=$?
if [ $rc = 2 ] && grep -q "chmod 600" "$TEST_TMP/mode.err"; then
	ok "a config with a password and mode 644 is refused (status 2, says chmod 600)"
else
	not_ok "a config with a password and mode 644 is refused (status $rc)"
	awk '{ print "#   " $0 }' "$TEST_TMP/mode.err"
fi

# 31. expires = 0 would unregister instead: refused
account zero "expires = 0"
run zero "wait registered 5" quit
rc=$?
if [ $rc = 2 ] && grep -q "expires = 0" "$TEST_TMP/zero.err" && [ ! -s "$TEST_TMP/zero.trace" ]; then
	ok "expires = 0 in an account is refused (status 2, nothing sent)"
else
	not_ok "expires = 0 in an account is refused (status $rc)"
	awk '{ print "#   " $0 }' "$TEST_TMP/zero.err"
fi

sleep 0.1
left=$(st_left)
if [ -z "$left" ]; then
	ok "no sipterm or sipp process left behind"
else
	not_ok "no sipterm or sipp process left behind"
	for p in $left; do ps -o pid=,args= -p "$p"; done | awk '{ print "#   " $0 }'
fi

done_testing
