#!/bin/bash
# tests/presence/sipp.sh: sipterm's presence client (RFC 3903, RFC 6665)
# against SIPp playing the registrar and presence server
# (tests/presence/sipp/), and two sipterms for on-the-phone.
#
# PUBLISH (prs-publish.xml grants 4 s and answers 412 to a modification
# and to the first refresh): the initial PUBLISH carries the PIDF and no
# SIP-If-Match; "status away" sends SIP-If-Match with the body, gets 412,
# and sipterm publishes anew at once (full body, away and the note, no
# SIP-If-Match); the refresh comes halfway through the 4 s with the
# current entity tag and no body; its 412 brings a fresh initial PUBLISH
# again; the next refresh carries the new tag; quit removes the
# publication (Expires: 0, SIP-If-Match, no body); nothing else is sent.
# A 412 to a PUBLISH without SIP-If-Match (prs-publish-412.xml) is a
# failure: no loop of PUBLISHes.
#
# SUBSCRIBE (prs-subscribe.xml: one buddy per reason code, each first
# subscription ended by "terminated;reason=R;retry-after=2"), as RFC 6665
# 4.1.3 says: deactivated and timeout subscribe again at once (retry-after
# has no meaning there), probation, giveup and an unknown reason after the
# 2 s, rejected, noresource and invariant never (the buddy shows
# "terminated: rejected"...).  Every terminating NOTIFY gets 200, a NOTIFY
# in the ended dialog 481.  A NOTIFY whose PIDF is not well-formed gets
# 200, is logged and changes nothing (the buddy keeps its state and the
# subscription); a NOTIFY with a wrong To tag, or an unknown Call-ID,
# gets 481.  A notifier that deactivates every subscription gets three
# new ones at once, then sipterm backs off (30 s).
#
# Two calls: ending one of them keeps the on-the-phone activity that a
# watcher sees; ending the other one drops it.
#
# SIPTERM_KEEP_TMP=1 keeps NAME.out (events), NAME.log, NAME.trace (SIP
# trace) of each sipterm and NAME.{msg,log,err,out} of each SIPp.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/presence/pres.sh"
. "$top_srcdir/tests/tools/sipp.sh"

fifo_need
need_cmd sipp sip-tester
need_cmd socat socat
need_cmd ss iproute2
T=$TEST_TMP
SCEN=$top_srcdir/tests/presence/sipp

tap_plan 46

# ------------------------------------------------------------------
# SIPp

# account NAME [BUDDY...]: NAME.cfg, alice registering at SIPp, which is
# also her outbound proxy; a [buddy U] with uri sip:U@sipterm.test each
# (a BUDDY NAME=URI names its URI)
account() {
	local _n=$1 _b; shift
	{
		printf '[account alice]\nuri = sip:alice@sipterm.test\n'
		printf 'registrar = sip:127.0.0.1:%s\n' "$SIPP_PORT"
		printf 'outbound_proxy = sip:127.0.0.1:%s\n' "$SIPP_PORT"
		for _b in "$@"; do
			case $_b in
			*=*) printf '[buddy %s]\nuri = %s\n' "${_b%%=*}" "${_b#*=}" ;;
			*) printf '[buddy %s]\nuri = sip:%s@sipterm.test\n' "$_b" "$_b" ;;
			esac
		done
	} >"$T/$_n.cfg"
}

# ------------------------------------------------------------------
# sipterm's SIP trace, one line per message, fields separated by tabs:
#   1 ms  2 send|recv  3 start line  4 CSeq  5 Call-ID  6 To tag
#   7 SIP-If-Match  8 Content-Length  9 Expires  10 SIP-ETag
#   11 Subscription-State  12 Content-Type  13 the body on one line
# ("-" for a header that is not there)
msgs() {
	awk '
	function flush(   i) {
		if (!have)
			return
		printf "%s\t%s\t%s", ms, dir, start
		for (i = 1; i <= 9; i++)
			printf "\t%s", (i in f) ? f[i] : "-"
		printf "\t%s\n", body == "" ? "-" : body
		have = 0
	}
	/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9] (UDP|TCP) (send|recv) (to|from) / {
		flush()
		split($1, t, /[:.]/)
		ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
		dir = $3; have = 1; first = 1; inbody = 0; body = ""
		delete f
		next
	}
	{ sub(/\r$/, "") }
	!have { next }
	first { start = $0; first = 0; next }
	inbody { if ($0 != "") body = body $0 " "; next }
	$0 == "" { inbody = 1; next }
	{
		name = tolower($0); sub(/[ \t]*:.*/, "", name)
		val = $0; sub(/^[^:]*:[ \t]*/, "", val)
		if (name == "cseq") f[1] = val
		else if (name == "call-id") f[2] = val
		else if (name == "to") {
			if (match(val, /;tag=[^;>]+/))
				f[3] = substr(val, RSTART + 5, RLENGTH - 5)
		}
		else if (name == "sip-if-match") f[4] = val
		else if (name == "content-length") f[5] = val
		else if (name == "expires") f[6] = val
		else if (name == "sip-etag") f[7] = val
		else if (name == "subscription-state") f[8] = val
		else if (name == "content-type") f[9] = val
	}
	END { flush() }' "$1"
}

# publishes TRACE: the PUBLISH transactions sipterm made, in order, one
# line each (retransmissions folded):
#   ms-sent  SIP-If-Match  Content-Length  Expires  status  ETag-granted
#   ms-answered  body
publishes() {
	msgs "$1" | awk -F'\t' '
	$2 == "send" && $3 ~ /^PUBLISH / && !($5 in seen) {
		seen[$5] = ++n; id[n] = $5
		sent[n] = $1; ifm[n] = $7; len[n] = $8; ex[n] = $9; body[n] = $13
	}
	$2 == "recv" && $3 ~ /^SIP\/2\.0 [2-6]/ && $4 ~ /PUBLISH$/ && ($5 in seen) {
		i = seen[$5]
		if (!(i in code)) { split($3, w, " "); code[i] = w[2]; tag[i] = $10; at[i] = $1 }
	}
	END {
		for (i = 1; i <= n; i++)
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sent[i], ifm[i], len[i], ex[i],
				(i in code) ? code[i] : "none", (i in tag) ? tag[i] : "-",
				(i in at) ? at[i] : "-", body[i]
	}'
}

# resub TRACE USER: milliseconds from the NOTIFY that terminated USER's
# first subscription to the SUBSCRIBE of a new one (another Call-ID, no To
# tag), or "none"
resub() {
	msgs "$1" | awk -F'\t' -v u="SUBSCRIBE sip:$2@sipterm.test " '
	$2 == "send" && index($3, u) == 1 && $6 == "-" {
		if (c1 == "") c1 = $5
		else if ($5 != c1 && t1 != "" && re == "") re = $1
	}
	$2 == "recv" && $3 ~ /^NOTIFY / && $5 == c1 && $11 ~ /^terminated/ && t1 == "" { t1 = $1 }
	END { print (t1 != "" && re != "") ? re - t1 : "none" }'
}

# notify_answers TRACE: "CALL-ID CSEQ-NUMBER STATUS" for every NOTIFY
# sipterm answered (its final response)
notify_answers() {
	msgs "$1" | awk -F'\t' '
	$2 == "send" && $3 ~ /^SIP\/2\.0 [2-6]/ && $4 ~ /NOTIFY$/ {
		split($3, w, " "); split($4, c, " ")
		k = $5 " " c[1]
		if (!(k in done)) { done[k] = 1; print $5, c[1], w[2] }
	}'
}

# callid_of TRACE USER: the Call-ID of sipterm's first SUBSCRIBE to USER
callid_of() {
	msgs "$1" | awk -F'\t' -v u="SUBSCRIBE sip:$2@sipterm.test " '
	$2 == "send" && index($3, u) == 1 { print $5; exit }'
}

field() { printf '%s\n' "$1" | cut -f"$2"; }

# between N LO HI: N is a number from LO to HI
between() {
	case $1 in ''|*[!0-9]*) return 1 ;; esac
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

# ==================================================================
# 1-13. PUBLISH: 412 recovery and refreshes (RFC 3903 4.3, 4.4, 6)

if sipp_serve pub-sipp prs-publish -key grant 4; then
	account pub
	pres_start pub "$(free_port)" 40 -f "$T/pub.cfg"
else
	echo "Bail out! SIPp does not start"
	exit 1
fi
_published() { publishes "$T/pub.trace" | cut -f5 | grep -q '^200$'; }
_n_answered() { [ "$(publishes "$T/pub.trace" | cut -f5 | grep -c '^[2-6]')" -ge "$1" ]; }
if fifo_wait_count 5 pub '.event == "registered"' 1 && wait_for 5 _published; then
	ok "sipterm registers at SIPp and publishes its presence"
else
	not_ok "sipterm registers at SIPp and publishes its presence"
	fifo_dump pub
fi
# the initial PUBLISH is answered: a status change is now a modification
fifo_cmd pub "status away out to lunch"
# modification (412), initial, refresh (412), initial, refresh: 6 in all
wait_for 10 _n_answered 6 || diag "fewer than 6 PUBLISH transactions in 10 s"
fifo_quit pub
rc=$?
sipp_quit
src=$?
check "sipterm quits with status 0 (was $rc)" [ "$rc" = 0 ]
if [ "$src" = 0 ]; then
	ok "SIPp: every PUBLISH went as prs-publish.xml says"
else
	not_ok "SIPp: every PUBLISH went as prs-publish.xml says (SIPp status $src)"
	sipp_diag pub-sipp
fi

P=$(publishes "$T/pub.trace")
diag "PUBLISH transactions (sent, If-Match, length, Expires, answer, ETag, answered):"
printf '%s\n' "$P" | cut -f1-7 | awk '{ print "#   " $0 }'
p() { printf '%s\n' "$P" | sed -n "$1p"; }
away_body() { # BODY: the PIDF says away, with the note
	case $1 in *"<rpid:away/>"*"<note>out to lunch</note>"*|*"<note>out to lunch</note>"*"<rpid:away/>"*) return 0 ;; esac
	return 1
}
p1=$(p 1) p2=$(p 2) p3=$(p 3) p4=$(p 4) p5=$(p 5) p6=$(p 6) p7=$(p 7)

# the initial PUBLISH: the PIDF, no condition
if [ "$(field "$p1" 2)" = - ] && [ "$(field "$p1" 3)" -gt 0 ] 2>/dev/null &&
	case $(field "$p1" 8) in *"<basic>open</basic>"*) true ;; *) false ;; esac &&
	[ "$(field "$p1" 5)" = 200 ]; then
	ok "the initial PUBLISH carries the PIDF (open) and no SIP-If-Match; 200, ETag $(field "$p1" 6)"
else
	not_ok "the initial PUBLISH carries the PIDF (open) and no SIP-If-Match; 200 (got: $(field "$p1" 1-6))"
fi
# status away: a modification with the entity tag, refused with 412
if [ "$(field "$p2" 2)" = "$(field "$p1" 6)" ] && away_body "$(field "$p2" 8)" &&
	[ "$(field "$p2" 5)" = 412 ]; then
	ok "'status away': a PUBLISH with SIP-If-Match: $(field "$p1" 6) and the new body gets 412"
else
	not_ok "'status away': a PUBLISH with SIP-If-Match: $(field "$p1" 6) and the new body gets 412 (got: $(field "$p2" 1-6))"
fi
# the 412: an initial PUBLISH again, at once, with the whole state
d=$(( $(field "$p3" 1) - $(field "$p2" 7) )) 2>/dev/null
if [ "$(field "$p3" 2)" = - ] && away_body "$(field "$p3" 8)" && [ "$(field "$p3" 5)" = 200 ]; then
	ok "after the 412 a fresh PUBLISH: no SIP-If-Match, full body (away, the note); 200, ETag $(field "$p3" 6)"
else
	not_ok "after the 412 a fresh PUBLISH: no SIP-If-Match, full body (away, the note) (got: $(field "$p3" 1-6) $(field "$p3" 8))"
fi
check "the fresh PUBLISH goes at once ($d ms after the 412)" between "$d" 0 999
# the refresh: halfway through the 4 s granted, conditional, no body
d=$(( $(field "$p4" 1) - $(field "$p3" 7) )) 2>/dev/null
if [ "$(field "$p4" 2)" = "$(field "$p3" 6)" ] && [ "$(field "$p4" 3)" = 0 ] &&
	[ "$(field "$p4" 8)" = - ] && [ "$(field "$p4" 4)" != 0 ]; then
	ok "the refresh carries SIP-If-Match: $(field "$p3" 6), no body (Content-Length 0)"
else
	not_ok "the refresh carries SIP-If-Match: $(field "$p3" 6), no body (got: $(field "$p4" 1-6) $(field "$p4" 8))"
fi
check "the refresh comes $d ms after 4 s were granted (1500-3500)" between "$d" 1500 3500
# a 412 to the refresh: an initial PUBLISH again, with the whole state
if [ "$(field "$p4" 5)" = 412 ] && [ "$(field "$p5" 2)" = - ] && away_body "$(field "$p5" 8)" &&
	[ "$(field "$p5" 5)" = 200 ]; then
	ok "a 412 to the refresh: a fresh PUBLISH, no SIP-If-Match, full body (away, the note)"
else
	not_ok "a 412 to the refresh: a fresh PUBLISH, no SIP-If-Match, full body (got: $(field "$p4" 5); $(field "$p5" 1-6) $(field "$p5" 8))"
fi
if [ "$(field "$p6" 2)" = "$(field "$p5" 6)" ] && [ "$(field "$p6" 3)" = 0 ] &&
	[ "$(field "$p6" 5)" = 200 ]; then
	ok "the next refresh carries the new entity tag ($(field "$p5" 6)), no body; 200"
else
	not_ok "the next refresh carries the new entity tag ($(field "$p5" 6)), no body; 200 (got: $(field "$p6" 1-6))"
fi
if [ "$(field "$p7" 4)" = 0 ] && [ "$(field "$p7" 2)" = "$(field "$p6" 6)" ] &&
	[ "$(field "$p7" 3)" = 0 ] && [ "$(field "$p7" 5)" = 200 ]; then
	ok "quit removes the publication: Expires: 0, SIP-If-Match: $(field "$p6" 6), no body"
else
	not_ok "quit removes the publication: Expires: 0, SIP-If-Match: $(field "$p6" 6), no body (got: $(field "$p7" 1-6))"
fi
n=$(printf '%s\n' "$P" | grep -c .)
check "7 PUBLISH transactions in all, no more ($n)" [ "$n" = 7 ]

# 14-16. a 412 to a PUBLISH without SIP-If-Match is a failure, not a loop
if sipp_serve pub412-sipp prs-publish-412; then
	account pub412
	pres_start pub412 "$(free_port)" 40 -f "$T/pub412.cfg" || diag "sipterm does not start"
else
	echo "Bail out! SIPp does not start"
	exit 1
fi
fifo_wait_count 5 pub412 '.event == "registered"' 1 || diag "pub412 does not register"
sleep 2
fifo_quit pub412
rc=$?
sipp_quit
src=$?
check "sipterm and SIPp end with status 0 (sipterm $rc, SIPp $src)" [ "$rc$src" = 00 ]
n=$(publishes "$T/pub412.trace" | grep -c .)
check "a 412 to the initial PUBLISH (no SIP-If-Match): no other PUBLISH in 2 s ($n in all)" [ "$n" = 1 ]
check "it is logged as a failure" grep -q "PUBLISH failed: 412" "$T/pub412.log"

# ==================================================================
# 17-39. Subscription-State: terminated with each reason (RFC 6665
# 4.1.3), malformed PIDF, NOTIFY for no subscription

again="deactivated timeout probation giveup bogus"
never="rejected noresource invariant"
if sipp_serve sub-sipp prs-subscribe; then
	account sub $again $never badpidf churn=sip:deactivated@churn.test
	pres_start sub "$(free_port)" 40 -f "$T/sub.cfg" || diag "sipterm does not start"
else
	echo "Bail out! SIPp does not start"
	exit 1
fi
_all_again() {
	for _u in $again; do
		[ "$(fifo_count sub ".event == \"presence\" and .note == \"$_u again\"")" -ge 1 ] || return 1
	done
}
t0=$(_pres_ms)
if wait_for 10 _all_again; then
	ok "the buddies whose subscription should come back are open again ($(( $(_pres_ms) - t0 )) ms)"
else
	not_ok "the buddies whose subscription should come back are open again within 10 s"
	fifo_dump sub
fi
# rejected & co. must stay away well past their retry-after (2 s)
now=$(_pres_ms)
[ $((now - t0)) -lt 4500 ] && sleep "$(awk -v m=$((4500 - now + t0)) 'BEGIN { print m / 1000 }')"

# a NOTIFY for a subscription sipterm never made (unknown Call-ID)
sub_port=$(sed -n 's/.*listening for SIP on port \([0-9][0-9]*\).*/\1/p' "$T/sub.err" | head -n 1)
printf 'NOTIFY sip:alice@127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKstray%s;rport\r\nFrom: <sip:ghost@sipterm.test>;tag=g1\r\nTo: <sip:alice@sipterm.test>;tag=a1\r\nCall-ID: stray-%s\r\nCSeq: 1 NOTIFY\r\nMax-Forwards: 70\r\nContact: <sip:ghost@127.0.0.1:9>\r\nEvent: presence\r\nSubscription-State: active;expires=600\r\nContent-Length: 0\r\n\r\n' \
	"$sub_port" "$$" "$$" >"$T/stray.req"
timeout 5 socat -t 2 "OPEN:$T/stray.req,rdonly!!OPEN:$T/stray.ans,creat,wronly" \
	"UDP4:127.0.0.1:$sub_port" 2>/dev/null
r=$(grep -a -m1 '^SIP/2\.0 ' "$T/stray.ans" 2>/dev/null | tr -d '\r')
check "a NOTIFY for an unknown subscription (unknown Call-ID) gets 481 (got: ${r:-nothing})" \
	[ "${r#SIP/2.0 481}" != "$r" ]

B=$(pres_buddies sub)
fifo_quit sub
rc=$?
sipp_quit
src=$?
check "sipterm quits with status 0 (was $rc)" [ "$rc" = 0 ]
if [ "$src" = 0 ]; then
	ok "SIPp: each NOTIFY answered as prs-subscribe.xml requires, each subscription ended"
else
	not_ok "SIPp: each NOTIFY answered as prs-subscribe.xml requires (SIPp status $src)"
	sipp_diag sub-sipp
fi

# timing of each new subscription
for u in deactivated timeout; do
	d=$(resub "$T/sub.trace" "$u")
	check "reason=$u;retry-after=2: a new SUBSCRIBE (new dialog) at once ($d ms)" \
		between "$d" 0 999
done
for u in probation giveup bogus; do
	d=$(resub "$T/sub.trace" "$u")
	check "reason=$u;retry-after=2: a new SUBSCRIBE after the 2 s ($d ms, 1900-3500)" \
		between "$d" 1900 3500
done
for u in $never; do
	d=$(resub "$T/sub.trace" "$u")
	check "reason=$u;retry-after=2: no new SUBSCRIBE in 4.5 s (got: $d)" [ "$d" = none ]
done
# what the buddies command and the events show
l=$(printf '%s\n' "$B" | grep '^rejected ')
check "'buddies': $l" [ "$l" = "rejected sip:rejected@sipterm.test unknown (terminated: rejected)" ]
check "the last presence event of rejected says unknown" [ "$(pres_last sub rejected)" = "unknown||" ]
n=0
for u in noresource invariant; do
	[ "$(printf '%s\n' "$B" | grep "^$u ")" = "$u sip:$u@sipterm.test unknown (terminated: $u)" ] && n=$((n + 1))
done
check "'buddies': noresource and invariant unknown, terminated with their reason" [ "$n" = 2 ]
# the answers sipterm gave to each NOTIFY
A=$(notify_answers "$T/sub.trace")
bad=""
for u in $again $never; do
	c=$(callid_of "$T/sub.trace" "$u")
	[ "$(printf '%s\n' "$A" | grep "^$c 2 " | cut -d' ' -f3)" = 200 ] || bad="$bad $u:term"
	[ "$(printf '%s\n' "$A" | grep "^$c 3 " | cut -d' ' -f3)" = 481 ] || bad="$bad $u:stale"
done
check "each terminating NOTIFY gets 200, a NOTIFY in the ended dialog 481${bad:+ (wrong:$bad)}" [ -z "$bad" ]
# the malformed PIDF
c=$(callid_of "$T/sub.trace" badpidf)
check "a NOTIFY with a malformed PIDF gets 200" [ "$(printf '%s\n' "$A" | grep "^$c 2 " | cut -d' ' -f3)" = 200 ]
check "and is logged" grep -q "badpidf: ignoring a bad presence document" "$T/sub.log"
l=$(printf '%s\n' "$B" | grep '^badpidf ')
check "and changes nothing: $l" [ "$l" = "badpidf sip:badpidf@sipterm.test open - badpidf here (active)" ]
check "no presence event from it (the last says open, 'badpidf here')" \
	[ "$(pres_last sub badpidf)" = "open||badpidf here" ]
check "a NOTIFY with a wrong To tag (unknown dialog) gets 481" \
	[ "$(printf '%s\n' "$A" | grep "^$c 3 " | cut -d' ' -f3)" = 481 ]
# a notifier deactivating every subscription: 3 at once, then backoff
n=$(msgs "$T/sub.trace" | awk -F'\t' '$2 == "send" && index($3, "SUBSCRIBE sip:deactivated@churn.test ") == 1 && $6 == "-" && !s[$5]++' | wc -l)
check "deactivated every time: the first subscription, 3 more at once, then a 30 s wait ($n in 4.5 s)" [ "$n" = 4 ]
check "and the log says so" grep -q "buddy churn: subscription terminated (deactivated); subscribing again in 30 s" "$T/sub.log"

# ==================================================================
# 40-46. two calls at once: ending one keeps on-the-phone

pa=$(free_port) && pb=$(free_port)
while [ "$pb" = "$pa" ]; do pb=$(free_port); done
BOB=sip:bob@127.0.0.1:$pb
if pres_start ca "$pa" 40 && pres_start cb "$pb" 40 -A0; then
	ok "two sipterms (no accounts), B answers every call"
else
	not_ok "two sipterms (no accounts), B answers every call"
fi
fifo_cmd ca "buddy add $BOB bob"
fifo_wait_count 3 ca '.event == "presence" and .buddy == "bob" and .basic == "open"' 1 ||
	diag "A does not see bob"
fifo_cmd ca "call $BOB"
fifo_wait_count 5 ca '.event == "call-answered"' 1
fifo_cmd ca "call $BOB"
if fifo_wait_count 5 ca '.event == "call-answered"' 2 &&
	fifo_wait_count 2 ca '.event == "presence" and .buddy == "bob" and .activity == "on-the-phone"' 1; then
	ok "two calls up: A sees bob on-the-phone"
else
	not_ok "two calls up: A sees bob on-the-phone"
	fifo_dump ca
fi
n0=$(fifo_count ca '.event == "presence"')
fifo_cmd ca "hangup 1"
fifo_wait_count 3 cb '.event == "call-ended"' 1
sleep 1.5
n=$(fifo_ev ca 'select(.event == "presence")' | tail -n +$((n0 + 1)) |
	jq -r 'select(.activity != "on-the-phone") | .activity' | wc -l)
check "one call ended, the other up: no presence without on-the-phone ($n)" [ "$n" = 0 ]
l=$(pres_buddies ca | grep '^bob ')
check "'buddies' still shows bob on-the-phone ($l)" [ "$l" = "bob $BOB open on-the-phone (active)" ]
fifo_cmd ca "hangup"
check "the other call ended too: bob is open with no activity again" \
	fifo_wait_count 3 ca "(.event == \"presence\" and .buddy == \"bob\" and .basic == \"open\" and .activity == \"\")" 2
fifo_quit ca
rc=$?
fifo_quit cb
rcb=$?
check "both quit with status 0 (A $rc, B $rcb)" [ "$rc$rcb" = 00 ]
sleep 0.2
left=$(leftovers)
check "nothing left running${left:+ (}${left}${left:+)}" [ -z "$left" ]
done_testing
