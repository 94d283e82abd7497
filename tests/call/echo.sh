#!/bin/bash
# tests/call/echo.sh: "call echo" with no config at all reaches the
# built-in echo service (src/echo.c, a second SIP stack in the same process
# on 127.0.0.1) and the caller hears itself.
#
# sipterm plays a tone sweep (and, in a second run, speech) as its
# microphone and records its speaker; the whole path runs: our INVITE over
# UDP to the service's socket, its 180/200 with an SDP answer, our ACK, RTP
# out, the service's packet echo, our jitter buffer and decoder.
# tests/tools/xcorr must find the played signal in the recording
# (normalized cross-correlation >= 0.9), for PCMU and for PCMA.  DTMF sent
# by RFC 4733 comes back as the same digits.  Both ends hang up cleanly.
# The answering service's --echo (another process, Opus) does the same.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tools/call.sh"

call_need
MIN_CORR=0.9
T=$TEST_TMP

tap_plan 16

gen_sweep "$T/sweep.wav" 300 3000 3
gen_speech "$T/speech.wav" "Hello, this is the echo test. Can you hear yourself?"
st_conf PCMA '[media]\ncodecs = PCMA\n'

# No config file at all: an empty HOME (tests/tools/call.sh) and no -f.
st_bg pcmu 20 --play "$T/sweep.wav" --record "$T/pcmu.wav" \
	-e 'call echo' -e 'wait call-answered 5' -e 'wait 4' -e hangup -e 'wait 0.3' -e quit
st_bg pcma 20 -f "$T/PCMA.conf" --play "$T/speech.wav" --record "$T/pcma.wav" \
	-e 'call echo' -e 'wait call-answered 5' -e 'wait 4' -e hangup -e 'wait 0.3' -e quit
st_bg dtmf 20 -e 'call echo' -e 'wait call-answered 5' -e 'dtmf 159#' -e 'wait 1.5' \
	-e hangup -e 'wait 0.3' -e quit
# the answering service's --echo: another process, default codecs (Opus)
st_bg echoer 20 -A0 --echo -e 'wait call-ended 15' -e quit
eport=$(st_port echoer)
st_bg opus 20 --play "$T/sweep.wav" --record "$T/opus.wav" \
	-e "call sip:echo@127.0.0.1:$eport" -e 'wait call-answered 5' -e 'wait 4' -e hangup \
	-e 'wait 0.3' -e quit

# check_run NAME CODEC PLAYED: the TAP lines of one audio call
check_run() {
	_n=$1 _c=$2 _ref=$3
	st_wait "$_n"; _rc=$?
	_a=$(ev "$_n" call-answered | head -n 1)
	if [ $_rc = 0 ] && [ -n "$_a" ]; then
		ok "$_c: 'call echo' is answered and sipterm exits 0"
	else
		not_ok "$_c: 'call echo' is answered and sipterm exits 0 (exit $_rc)"
		st_dump "$_n"
		grep -i echo "$T/$_n.log" 2>/dev/null | tail -n 5 | awk '{ print "#   " $0 }'
	fi
	_peer=$(ev_field "$_a" peer)
	if [ "$(ev_field "$_a" codec)" = "$_c" ] &&
		printf '%s' "$_peer" | grep -Eq '^sip:echo@127\.0\.0\.1:[0-9]+$'; then
		ok "$_c: answered by $_peer with codec $_c"
	else
		not_ok "$_c: answered by sip:echo@127.0.0.1:PORT with codec $_c (got: ${_a:-nothing})"
	fi
	_e=$(ev "$_n" call-ended | head -n 1)
	if [ "$(ev_field "$_e" by)" = local ] && [ "$(ev_field "$_e" status)" = 200 ]; then
		ok "$_c: our hangup ends it: call-ended 200 by local"
	else
		not_ok "$_c: our hangup ends it: call-ended 200 by local (got: ${_e:-nothing})"
	fi
	_x=$(xc "$_ref" "$T/$_n.wav")
	_lag=$(printf '%s\n' "$_x" | sed -n 's/.*lag_ms=\(-\{0,1\}[0-9]*\).*/\1/p')
	if ge "$(corr_of "$_x")" $MIN_CORR && [ -n "$_lag" ] && [ "$_lag" -ge 0 ] &&
		[ "$_lag" -lt 1000 ]; then
		ok "$_c: we hear ourselves: $_x"
	else
		not_ok "$_c: we hear ourselves: ${_x:-xcorr failed} (want corr >= $MIN_CORR, lag under 1 s)"
		tail -n 3 "$T/xcorr.err" 2>/dev/null | awk '{ print "#   " $0 }'
	fi
}

# 1-4. PCMU, a sweep
check_run pcmu PCMU "$T/sweep.wav"
# 5-8. PCMA (from the config), speech
check_run pcma PCMA "$T/speech.wav"

# 9-10. --echo: the caller hears itself through another sipterm
st_wait opus; ro=$?
st_wait echoer; re=$?
_a=$(ev opus call-answered | head -n 1)
if [ $ro = 0 ] && [ $re = 0 ] && [ "$(ev_field "$_a" codec)" = opus ]; then
	ok "sipterm -A0 --echo answers with Opus; both exit 0"
else
	not_ok "sipterm -A0 --echo answers with Opus; both exit 0 (caller $ro, echoer $re: ${_a:-no answer})"
	st_dump opus
	st_dump echoer
fi
# the recording is at Opus's 48 kHz: the reference too
sox -q "$T/sweep.wav" -r 48000 "$T/sweep48.wav"
# Two Opus encodings on the way, and on a loaded machine the jitter buffer
# may re-centre once (lag_changes=1): 0.8 still says "the caller hears
# itself" (silence or noise scores below 0.2)
_x=$(xc "$T/sweep48.wav" "$T/opus.wav" --align-ms 250)
if ge "$(corr_of "$_x")" 0.8; then
	ok "--echo: the caller hears itself: $_x"
else
	not_ok "--echo: the caller hears itself: ${_x:-xcorr failed} (want corr >= 0.8)"
fi

# 11-12. RFC 4733 digits come back as sent
st_wait dtmf; rc=$?
d=$(ev dtmf dtmf | while IFS= read -r l; do ev_field "$l" digit; done | tr -d '\n')
m=$(ev dtmf dtmf | grep -c '"method":"rfc4733"')
if [ $rc = 0 ] && [ "$d" = '159#' ] && [ "$m" = 4 ]; then
	ok "DTMF 159# sent by RFC 4733 comes back as 159#"
else
	not_ok "DTMF 159# sent by RFC 4733 comes back as 159# (exit $rc, got '$d', $m by rfc4733)"
	st_dump dtmf
fi
if grep -q 'echo service on sip:echo@127.0.0.1:' "$T/dtmf.log" 2>/dev/null; then
	ok "the log names the echo service's address"
else
	not_ok "the log names the echo service's address"
fi

# 13. the service did its part: it logged the call and its end by our BYE
if grep -q 'echo call .* ended: BYE' "$T/pcmu.log" 2>/dev/null; then
	ok "the echo service saw the call end by BYE"
else
	not_ok "the echo service saw the call end by BYE"
	grep -i echo "$T/pcmu.log" 2>/dev/null | tail -n 5 | awk '{ print "#   " $0 }'
fi

# 14-16. nothing left behind
n=0
for f in "$T"/*.err; do
	if grep -qiE 'sanitizer|assert|segmentation|core dumped' "$f"; then
		diag "$f:"; grep -iE 'sanitizer|assert|segmentation' "$f" | head -n 5 | awk '{ print "#   " $0 }'
		n=$((n + 1))
	fi
done
if [ $n = 0 ]; then ok "no crash or sanitizer report in any log"; else not_ok "no crash or sanitizer report in any log"; fi
left=$(leftovers)
if [ -z "$left" ]; then
	ok "no process of this test is left running"
else
	not_ok "no process of this test is left running"
	ps -o pid,args -p "$(echo $left | tr ' ' ,)" | awk '{ print "#   " $0 }'
fi
if [ ! -s "$T/xcorr.err" ] || ! grep -q . "$T/xcorr.err"; then
	ok "xcorr had no complaint"
else
	not_ok "xcorr had no complaint"
	awk '{ print "#   " $0 }' "$T/xcorr.err"
fi

done_testing
