#!/bin/bash
# tests/call/sipp-dialog.sh: the RFC behaviour of sipterm's INVITE
# dialogs (src/call.c) against SIPp, on 127.0.0.1.
#
#  - a 200 never ACKed (RFC 3261 13.3.1.4): retransmitted from T1 on,
#    doubling, then a BYE 64*T1 after the first one (t1 = 50 ms here);
#  - hold and resume by UPDATE with an offer (RFC 3311);
#  - glare: sipterm's hold re-INVITE gets 491 and is retried 2.1-4 s
#    later, as the owner of the Call-ID (RFC 3261 14.1);
#  - session timers (RFC 4028): a 422 with a Min-SE above the interval
#    asked for is retried with it; an INVITE asking for less than 90 s
#    gets 422 with Min-SE: 90; as the non-refresher, a session that is
#    never refreshed ends with a BYE at 90 - 30 = 60 s; as the refresher,
#    sipterm refreshes half-way, by UPDATE without a body when the peer
#    allows UPDATE, else by re-INVITE, with Session-Expires and Min-SE
#    (7.4); as UAS, the 200 to a body-less UPDATE carries the timer and
#    Require: timer but no SDP (RFC 3311 5.2);
#  - a re-INVITE without an offer: the offer in sipterm's 200, the answer
#    in the ACK (RFC 3261 14.2);
#  - RTP inactivity ([media] rtp_timeout = 2): a silent peer's call ends
#    with a BYE, but not a call on hold, held by either side.
#
# Hold and resume by re-INVITE from SIPp (a=sendonly answered a=recvonly)
# is in tests/call/sipp.sh (uac-hold.xml), not repeated here.
#
# The session timer check takes a minute: it runs in the background from
# the start, while the others run one after the other, so the whole test
# lasts about 65 s.
#
# The scenarios are tests/call/sipp/dlg-*.xml.  As in tests/call/sipp.sh,
# every sipterm gets its own HOME and XDG directories in TEST_TMP (and a
# configuration file NAME.conf when it needs one) and listens on
# 127.0.0.1 port 0; every SIPp gets -p, -cp and -mp from free_port.
# Timings come from sipterm's SIP trace (NAME.trace), whose lines carry
# the time in ms.  SIPTERM_KEEP_TMP=1 keeps the traces.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck disable=SC1091
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/call/sipp-lib.sh"

need_cmd sipp sip-tester
need_cmd ss iproute2
need_cmd timeout coreutils

SCEN=$top_srcdir/tests/call/sipp

tap_plan 27

if [ ! -x "$SIPTERM" ]; then
	echo "Bail out! $SIPTERM not built"
	exit 1
fi

# ------------------------------------------------------------------
# sipterm (the rest: tests/call/sipp-lib.sh)

# trace_ms NAME send|recv REGEX [N]: the time (ms since midnight) of the
# Nth (default 1st) message sipterm NAME sent or received whose first line
# matches REGEX, from its --siptrace ("HH:MM:SS.mmm UDP send to ...")
trace_ms() {
	awk -v d="$2" -v re="$3" -v n="${4:-1}" '
		/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]+ (UDP|TCP) (send|recv) / {
			split($1, t, /[:.]/)
			ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
			dir = $3
			first = 1
			next
		}
		first {
			first = 0
			if (dir == d && $0 ~ re && ++k == n) { print ms; exit }
		}' "$TEST_TMP/$1.trace" 2>/dev/null
}

# trace_count NAME send|recv REGEX: how many such messages
trace_count() {
	awk -v d="$2" -v re="$3" '
		/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]+ (UDP|TCP) (send|recv) / {
			dir = $3; first = 1; next
		}
		first { first = 0; if (dir == d && $0 ~ re) k++ }
		END { print k + 0 }' "$TEST_TMP/$1.trace" 2>/dev/null
}

# secs FROM TO: TO - FROM (ms since midnight) in seconds, 3 decimals;
# empty when either is missing
secs() {
	[ -n "$1" ] && [ -n "$2" ] || return 0
	awk -v a="$1" -v b="$2" 'BEGIN {
		d = b - a; if (d < 0) d += 86400000; printf "%.3f\n", d / 1000 }'
}

# between X LO HI: LO <= X <= HI (X may be empty: false)
between() {
	[ -n "$1" ] && awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'
}

# ==================================================================
# session timer, in the background: SIPp should refresh, never does
# ==================================================================
# rtp_timeout = 0: SIPp sends no RTP, and only the session timer may end
# this call
st_conf timer '[media]' 'rtp_timeout = 0'
timer_r=1
if st_start timer 90 -A0; then
	sipp_call_bg timer dlg-uac-timer "127.0.0.1:$ST_PORT" 80 && timer_r=0
fi

# sipterm as the refresher (the 200 says refresher=uac), two calls of 50 s
# in the background too: to a peer that allows UPDATE, and to one that
# does not.  Each sipterm runs in a subshell; its events tell the outcome.
rf_pids=""
for rf in rfupd rfinv; do
	case $rf in
	rfupd) allow="INVITE, ACK, BYE, CANCEL, UPDATE" ;;
	rfinv) allow="INVITE, ACK, BYE, CANCEL" ;;
	esac
	st_conf $rf '[media]' 'rtp_timeout = 0'
	p=$(free_port)
	if SIPP_SECS=75 sipp_bg $rf dlg-uas-refresh "$p" -key allow "$allow"; then
		(ST_CALL_SECS=70 st_call $rf "call sip:sipp@127.0.0.1:$p" "wait call-answered 10" \
			"wait 50" hangup "wait call-ended 5" quit) &
		rf_pids="$rf_pids $!"
	fi
done

# ==================================================================
# --- 1-3: the 200 never ACKed (RFC 3261 13.3.1.4), T1 = 50 ms
# ==================================================================
st_conf noack '[general]' 't1 = 50'
if st_start noack 30 -A0; then
	sipp_run noack dlg-uac-noack "127.0.0.1:$ST_PORT"
	r=$?
	st_stop noack
else
	r=1
fi
result "INVITE, 200 never ACKed: sipterm gives up with a BYE, which SIPp answers" $r \
	sipp_diag noack st_diag noack
t_bye=$(trace_ms noack send '^BYE ')
# the 200s sent before the BYE, and the gaps between them
n=0 last="" gaps=()
t_ok1=$(trace_ms noack send '^SIP/2.0 200 ' 1)
while t=$(trace_ms noack send '^SIP/2.0 200 ' $((n + 1))) && [ -n "$t" ] &&
	[ -n "$t_bye" ] && [ "$t" -le "$t_bye" ]; do
	[ -n "$last" ] && gaps+=($((t - last)))
	last=$t
	n=$((n + 1))
done
el=$(secs "$t_ok1" "$t_bye")
diag "sipterm sent the 200 $n times (gaps in ms: ${gaps[*]:-none}), the BYE ${el:-?} s after the first (64*T1 = 3.2 s)"
r=1
# the gaps double from T1: 50 100 200 400 800 1600 (T2 = 4 s is not reached)
[ "$n" -ge 6 ] && between "${gaps[0]}" 45 120 && between "${gaps[1]}" 95 170 &&
	between "${gaps[2]}" 195 280 && between "$el" 3.15 3.8 && r=0
result "sipterm retransmitted the 200 at T1, 2*T1, 4*T1... and sent the BYE 64*T1 after it" $r \
	st_diag noack
r=1
ev noack '"event":"call-ended","call":1,"status":408,"reason":"no ACK received","by":"error",.*"answered":false' &&
	! ev noack '"event":"call-answered"' && r=0
result "sipterm: call-ended 408 \"no ACK received\", the call never counted as answered" $r \
	st_diag noack

# ==================================================================
# --- 4-5: hold and resume by UPDATE (RFC 3311)
# ==================================================================
if st_start update 30 -A0; then
	sipp_run update dlg-uac-update "127.0.0.1:$ST_PORT" -rtp_echo
	r=$?
	st_stop update
else
	r=1
fi
result "UPDATE a=sendonly gets 200 with SDP a=recvonly, UPDATE a=sendrecv gets a=sendrecv" $r \
	sipp_diag update st_diag update
r=1
ev_order update '"event":"call-held","call":1,"by":"remote"' \
	'"event":"call-resumed","call":1,"by":"remote"' &&
	ev update '"event":"call-ended","call":1,"status":200,"reason":"[^"]*","by":"remote"' && r=0
result "sipterm: call-held by remote, then call-resumed by remote, then the BYE" $r \
	st_diag update
diag "remote hold by re-INVITE (answered a=recvonly) is checked in tests/call/sipp.sh"

# ==================================================================
# --- 6-8: glare: the hold re-INVITE gets 491 (RFC 3261 14.1)
# ==================================================================
p=$(free_port)
if sipp_bg glare dlg-uas-491 "$p"; then
	st_call glare "call sip:sipp@127.0.0.1:$p" "wait call-answered 10" hold \
		"wait call-held 10" hangup "wait call-ended 5" quit
	sipp_wait glare
	r=$?
else
	r=1
fi
result "SIPp UAS: 200, then 491 to the hold re-INVITE (ACKed), then 200 to its retry, BYE" $r \
	sipp_diag glare st_diag glare
t491=$(trace_ms glare recv '^SIP/2.0 491 ')
t_retry=$(trace_ms glare send '^INVITE ' 3)
el=$(secs "$t491" "$t_retry")
c2=$(trace_hdr glare INVITE 2 CSeq)
c3=$(trace_hdr glare INVITE 3 CSeq)
diag "the retry came ${el:-?} s after the 491 (2.1-4 s); CSeq ${c2:-?} then ${c3:-?}"
r=1
between "$el" 2.09 4.1 && [ "${c3%% *}" -gt "${c2%% *}" ] 2>/dev/null &&
	[ "$(trace_count glare send '^INVITE ')" = 3 ] && r=0
result "sipterm retried the re-INVITE 2.1-4 s after the 491 (owner of the Call-ID), new CSeq" $r \
	st_diag glare
r=1
[ "$ST_RC" = 0 ] && ev glare '"event":"call-held","call":1,"by":"local"' &&
	ev glare '"event":"call-ended","call":1,"status":200,"reason":"[^"]*","by":"local"' && r=0
result "sipterm: call-held by local once the retry is answered, exit 0" $r st_diag glare

# ==================================================================
# --- 9-12: 422 Session Interval Too Small (RFC 4028)
# ==================================================================
p=$(free_port)
if sipp_bg st422 dlg-uas-422 "$p"; then
	st_call st422 "call sip:sipp@127.0.0.1:$p" "wait call-answered 10" hangup \
		"wait call-ended 5" quit
	sipp_wait st422
	r=$?
else
	r=1
fi
result "SIPp UAS: 422 with Min-SE: 3600, ACK, then the retry (Session-Expires and Min-SE 3600) answered" \
	$r sipp_diag st422 st_diag st422
se1=$(trace_hdr st422 INVITE 1 Session-Expires)
se2=$(trace_hdr st422 INVITE 2 Session-Expires)
mse2=$(trace_hdr st422 INVITE 2 Min-SE)
diag "sipterm's INVITE: Session-Expires ${se1:-none}; after the 422: Session-Expires ${se2:-none}, Min-SE ${mse2:-none}, $(trace_hdr st422 INVITE 2 CSeq)"
r=1
[ "$ST_RC" = 0 ] && [ "$se2" = 3600 ] && [ "$mse2" = 3600 ] &&
	ev st422 '"event":"call-answered","call":1' &&
	ev st422 '"event":"call-ended","call":1,"status":200,"reason":"[^"]*","by":"local"' && r=0
result "sipterm: the retry carries Session-Expires: 3600 and Min-SE: 3600, the call is answered" $r \
	st_diag st422

if st_start se60 30 -A0; then
	sipp_run se60 dlg-uac-se60 "127.0.0.1:$ST_PORT"
	r=$?
	st_stop se60
else
	r=1
fi
result "SIPp INVITE with Session-Expires: 60 gets 422 with Min-SE: 90, and ACKs it" $r \
	sipp_diag se60 st_diag se60
n=$(trace_count se60 send '^SIP/2.0 422 ')
diag "sipterm sent the 422 $n time(s)"
r=1
[ "$n" = 1 ] && ! ev se60 '"event":"call-incoming"' && r=0
result "sipterm: one 422 (its ACK was taken), and no call-incoming for it" $r st_diag se60

# ==================================================================
# --- 13-18: RTP inactivity (rtp_timeout = 2 s)
# ==================================================================
st_conf silent '[media]' 'rtp_timeout = 2'
if st_start silent 30 -A0; then
	sipp_run silent dlg-uac-silent "127.0.0.1:$ST_PORT"
	r=$?
	st_stop silent
else
	r=1
fi
result "SIPp call that never sends RTP: sipterm hangs up with a BYE, SIPp answers 200" $r \
	sipp_diag silent st_diag silent
el=$(secs "$(trace_ms silent send '^SIP/2.0 200 ')" "$(trace_ms silent send '^BYE ')")
diag "sipterm's BYE came ${el:-?} s after its 200 (rtp_timeout = 2)"
r=1
between "$el" 1.95 4 &&
	ev silent '"event":"call-ended","call":1,"status":[0-9]+,"reason":"no RTP[^"]*"' && r=0
result "sipterm ended the silent call 2-4 s after answering it, call-ended \"no RTP...\"" $r \
	st_diag silent

st_conf rhold '[media]' 'rtp_timeout = 2'
if st_start rhold 30 -A0; then
	sipp_run rhold dlg-uac-silent-hold "127.0.0.1:$ST_PORT"
	r=$?
	st_stop rhold
else
	r=1
fi
result "SIPp puts the silent call on hold (re-INVITE a=sendonly) for 5 s: no BYE from sipterm" $r \
	sipp_diag rhold st_diag rhold
r=1
ev rhold '"event":"call-held","call":1,"by":"remote"' &&
	ev rhold '"event":"call-ended","call":1,"status":200,"reason":"[^"]*","by":"remote"' && r=0
result "sipterm: call-held by remote, the call lasts until SIPp's BYE (no RTP timeout on hold)" $r \
	st_diag rhold

st_conf lhold '[media]' 'rtp_timeout = 2'
p=$(free_port)
if sipp_bg lhold dlg-uas-hold "$p"; then
	st_call lhold "call sip:sipp@127.0.0.1:$p" "wait call-answered 10" hold \
		"wait call-held 5" "wait 5" hangup "wait call-ended 5" quit
	sipp_wait lhold
	r=$?
else
	r=1
fi
result "sipterm holds a call to a silent SIPp UAS (200 a=recvonly), 5 s, then hangs up" $r \
	sipp_diag lhold st_diag lhold
el=$(secs "$(trace_ms lhold recv '^SIP/2.0 200 ' 2)" "$(trace_ms lhold send '^BYE ')")
diag "sipterm's BYE came ${el:-?} s after the hold was answered (the script waits 5 s)"
r=1
between "$el" 4.9 8 && [ "$ST_RC" = 0 ] && ev lhold '"event":"call-held","call":1,"by":"local"' &&
	ev lhold '"event":"call-ended","call":1,"status":200,"reason":"BYE","by":"local"' && r=0
result "sipterm: call-held by local, the call lasts until the hangup (no RTP timeout on hold)" $r \
	st_diag lhold

# ==================================================================
# --- 19-20: the session timer (RFC 4028 10), started at the beginning
# ==================================================================
r=$timer_r
if [ $r = 0 ]; then
	sipp_wait timer
	r=$?
fi
st_stop timer
result "SIPp UAC asks Session-Expires: 90;refresher=uac, the 200 agrees, SIPp never refreshes: BYE" \
	$r sipp_diag timer st_diag timer
el=$(secs "$(trace_ms timer send '^SIP/2.0 200 ')" "$(trace_ms timer send '^BYE ')")
diag "sipterm's BYE came ${el:-?} s after its 200 (90 - min(32, 90/3) = 60 s)"
r=1
between "$el" 59.5 61.5 &&
	ev timer '"event":"call-ended","call":1,"status":408,"reason":"session expired","by":"error"' &&
	r=0
result "sipterm (not the refresher) sent the BYE 60 s into the unrefreshed session" $r \
	st_diag timer

# ==================================================================
# --- 21-24: sipterm refreshes the session it is the refresher of
# ==================================================================
for _p in $rf_pids; do wait "$_p"; done
for rf in rfupd rfinv; do
	r=1
	sipp_wait $rf && r=0
	case $rf in
	rfupd) m=UPDATE other=INVITE what="by UPDATE without a body (the peer allows UPDATE)" ;;
	rfinv) m=INVITE other=UPDATE what="by re-INVITE with its SDP (the peer does not allow UPDATE)" ;;
	esac
	# the call's INVITE is the first one sent; a refresh INVITE the second
	n=1
	[ $m = INVITE ] && n=2
	el=$(secs "$(trace_ms $rf recv '^SIP/2.0 200 ')" "$(trace_ms $rf send "^$m " $n)")
	diag "$rf: the refresh came ${el:-?} s after the 200 (90 / 2 = 45 s)"
	n=1
	[ $other = INVITE ] && n=2
	[ -z "$(trace_ms $rf send "^$other " $n)" ] || r=1
	between "$el" 44 47 || r=1
	ev $rf '"event":"call-ended","call":1,"status":200,"reason":"BYE","by":"local"' || r=1
	result "sipterm, the refresher, refreshed 45 s in $what, Session-Expires: 90;refresher=uac" \
		$r sipp_diag $rf st_diag $rf
done

# sipterm as UAS of a session SIPp refreshes: the 200 to a body-less
# UPDATE has no SDP; a body-less re-INVITE gets an offer, answered in the ACK
if st_start refresh 30 -A0; then
	sipp_run refresh dlg-uac-refresh "127.0.0.1:$ST_PORT"
	r=$?
	sleep 0.3
	st_stop refresh
else
	r=1
fi
result "SIPp refreshes by UPDATE: 200 with Session-Expires and Require: timer, no SDP; re-INVITE without SDP: offer in the 200" \
	$r sipp_diag refresh st_diag refresh
r=1
ev refresh '"event":"call-held","call":1,"by":"remote"' && r=0
result "sipterm took the answer in SIPp's ACK (a=sendonly): call-held by remote" $r st_diag refresh

# ==================================================================
# --- 25-27: nothing left behind, no sanitizer report, clean exits
st_epilogue

done_testing
