#!/bin/bash
# tests/call/direct.sh: two sipterms call each other directly on 127.0.0.1,
# and the audio really arrives.
#
# A plays a tone sweep, B plays speech; both record what their speaker
# plays, both directions at once, for PCMU and for PCMA; tests/tools/xcorr
# finds each sent signal in the other side's recording (normalized cross-
# correlation >= 0.9).  Then: DTMF 123#* by RFC 4733 and by SIP INFO, hold
# and resume, hangup from either side, a callee that never answers (408,
# exit status 6), a port nobody listens on (ICMP port unreachable: 503 at
# once, exit status 4) and a busy callee (486, exit status 5).
#
# xcorr aligns 250 ms blocks of the recording on their own (--align-ms):
# an adaptive jitter buffer may move its delay by a frame when the machine
# is busy, which shifts the rest of the recording by 20 ms; the figure is
# still the correlation of the whole 2 s, and single= the one-offset one.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tools/call.sh"

call_need
MIN_CORR=0.9
T=$TEST_TMP

tap_plan 42

gen_sweep "$T/a.wav" 300 3000 3
gen_speech "$T/b.wav" "The quick brown fox jumps over the lazy dog, twice."
# a continuous sound, so that a silence in it means something
gen_sweep "$T/b2.wav" 2800 250 3

# G.711 everywhere (the default list starts with Opus since the wideband
# codecs came; this test is about PCMU and PCMA)
st_conf base '[media]\ncodecs = PCMU\n'
st_conf PCMU '[media]\ncodecs = PCMU\n'
st_conf PCMA '[media]\ncodecs = PCMA\n'
# T1 50 ms: an INVITE into the void times out (Timer B, 64*T1) in 3.2 s
st_conf fast '[general]\nt1 = 50\n'

# --- 408: a socket that takes the INVITE and never answers (in the
# background while PCMU talks) ---
need_cmd socat socat
silent=$(free_port)
timeout 20 socat -u "UDP4-RECV:$silent,bind=127.0.0.1" /dev/null &
test_pids="$test_pids $!"
wait_for 5 udp_bound "$silent"
st_bg void 20 -f "$T/fast.conf" -e "call sip:nobody@127.0.0.1:$silent" \
	-e 'wait call-answered 15' -e quit
# --- 503 at once: a port nobody listens on (ICMP port unreachable) ---
dead=$(free_port)
t_dead=$(date +%s%N)
st_bg closed 20 -e "call sip:nobody@127.0.0.1:$dead" -e 'wait call-answered 15' -e quit
st_wait closed; rc_closed=$?
t_dead=$(( ($(date +%s%N) - t_dead) / 1000000 ))

# audio_call CODEC WHO-HANGS-UP: one call with audio both ways
audio_call() {
	_c=$1 _who=$2
	if [ "$_who" = callee ]; then
		st_bg "b-$_c" 25 -f "$T/$_c.conf" -A0 --play "$T/b.wav" \
			--record "$T/brec-$_c.wav" \
			-e 'wait call-answered 10' -e 'wait 4' -e hangup -e 'wait 0.3' -e quit
	else
		st_bg "b-$_c" 25 -f "$T/$_c.conf" -A0 --play "$T/b.wav" \
			--record "$T/brec-$_c.wav" -e 'wait call-ended 15' -e quit
	fi
	_port=$(st_port "b-$_c") || return 1
	if [ "$_who" = callee ]; then
		st_bg "a-$_c" 25 -f "$T/$_c.conf" --play "$T/a.wav" --record "$T/arec-$_c.wav" \
			-e "call sip:bob@127.0.0.1:$_port" -e 'wait call-answered 5' \
			-e 'wait call-ended 10' -e quit
	else
		st_bg "a-$_c" 25 -f "$T/$_c.conf" --play "$T/a.wav" --record "$T/arec-$_c.wav" \
			-e "call sip:bob@127.0.0.1:$_port" -e 'wait call-answered 5' \
			-e 'wait 4' -e hangup -e 'wait 0.3' -e quit
	fi
}

# check_audio CODEC WHO-HANGS-UP: the TAP lines of one audio call
check_audio() {
	_c=$1 _who=$2
	st_wait "a-$_c"; _ra=$?
	st_wait "b-$_c"; _rb=$?
	if [ $_ra = 0 ] && [ $_rb = 0 ]; then
		ok "$_c: caller and callee exit 0"
	else
		not_ok "$_c: caller and callee exit 0 (caller $_ra, callee $_rb)"
		st_dump "a-$_c"
		st_dump "b-$_c"
	fi
	_la=$(ev "a-$_c" call-answered | head -n 1)
	_lb=$(ev "b-$_c" call-answered | head -n 1)
	if [ "$(ev_field "$_la" codec)" = "$_c" ] && [ "$(ev_field "$_lb" codec)" = "$_c" ]; then
		ok "$_c: both sides report call-answered with codec $_c"
	else
		not_ok "$_c: both sides report call-answered with codec $_c"
		diag "caller: $_la"
		diag "callee: $_lb"
	fi
	if [ "$_who" = callee ]; then _bya=remote _byb=local; else _bya=local _byb=remote; fi
	_ea=$(ev "a-$_c" call-ended | head -n 1)
	_eb=$(ev "b-$_c" call-ended | head -n 1)
	if [ "$(ev_field "$_ea" by)" = $_bya ] && [ "$(ev_field "$_eb" by)" = $_byb ] &&
		[ "$(ev_field "$_ea" status)" = 200 ] && [ "$(ev_field "$_eb" status)" = 200 ]; then
		ok "$_c: the $_who hangs up: call-ended 200 by $_bya (caller), by $_byb (callee)"
	else
		not_ok "$_c: the $_who hangs up: call-ended 200 by $_bya (caller), by $_byb (callee)"
		diag "caller: $_ea"
		diag "callee: $_eb"
	fi
	_x=$(xc "$T/a.wav" "$T/brec-$_c.wav" --align-ms 250)
	if ge "$(corr_of "$_x")" $MIN_CORR; then
		ok "$_c: caller -> callee audio: $_x"
	else
		not_ok "$_c: caller -> callee audio: ${_x:-xcorr failed} (want corr >= $MIN_CORR)"
		tail -n 3 "$T/xcorr.err" 2>/dev/null | awk '{ print "#   " $0 }'
	fi
	_g=$(gap_secs "$T/brec-$_c.wav")
	if ge 0.06 "$_g"; then
		ok "$_c: no dropout in the caller's sweep at the callee (longest silence $_g s)"
	else
		not_ok "$_c: no dropout in the caller's sweep at the callee (longest silence $_g s)"
	fi
	_x=$(xc "$T/b.wav" "$T/arec-$_c.wav" --align-ms 250)
	if ge "$(corr_of "$_x")" $MIN_CORR; then
		ok "$_c: callee -> caller audio: $_x"
	else
		not_ok "$_c: callee -> caller audio: ${_x:-xcorr failed} (want corr >= $MIN_CORR)"
		tail -n 3 "$T/xcorr.err" 2>/dev/null | awk '{ print "#   " $0 }'
	fi
}

# Phase 1: PCMU (the caller hangs up) while the call into the void waits
# for its timeout, then PCMA (the callee hangs up).  The audio calls run
# one at a time: on a busy 2-core machine (tests run in parallel) a stalled
# sender makes the receiver conceal frames, and each concurrent call adds
# to the load.
audio_call PCMU caller

# 1-6. PCMU
check_audio PCMU caller
audio_call PCMA callee

# 7-9. the call into the void
st_wait void; rc=$?
if [ $rc = 6 ]; then
	ok "call to a socket that never answers: wait call-answered exits 6"
else
	not_ok "call to a socket that never answers: wait call-answered exits 6 (got $rc)"
	st_dump void
fi
l=$(ev void call-ended | head -n 1)
if [ "$(ev_field "$l" status)" = 408 ]; then
	ok "call to a socket that never answers: call-ended status 408 (Timer B)"
else
	not_ok "call to a socket that never answers: call-ended status 408 (Timer B)"
	diag "got: ${l:-no call-ended event}"
fi
if [ -z "$(ev void call-answered)" ] && [ -z "$(ev void call-ringing)" ]; then
	ok "call to a socket that never answers: neither ringing nor answered"
else
	not_ok "call to a socket that never answers: neither ringing nor answered"
fi
# 10-12. the port nobody listens on
l=$(ev closed call-ended | head -n 1)
if [ $rc_closed = 4 ]; then
	ok "call to a port nobody listens on: exit 4 (call failed)"
else
	not_ok "call to a port nobody listens on: exit 4 (got $rc_closed)"
	st_dump closed
fi
if [ "$(ev_field "$l" status)" = 503 ] && [ "$(ev_field "$l" reason)" = "Connection refused" ]; then
	ok "call to a port nobody listens on: call-ended 503 Connection refused"
else
	not_ok "call to a port nobody listens on: call-ended 503 Connection refused (got: ${l:-nothing})"
fi
if [ "$t_dead" -lt 3000 ]; then
	ok "call to a port nobody listens on: over in $t_dead ms (no 32 s Timer B)"
else
	not_ok "call to a port nobody listens on: over in $t_dead ms (want < 3000)"
fi

# 13-18. PCMA
check_audio PCMA callee

# Phase 2, at once: DTMF both ways of sending it with hold and resume; a
# busy callee; a callee with --max-calls 1 that gets a second call.
st_bg b-dtmf 25 -f "$T/base.conf" -A0 --play "$T/b2.wav" -e 'wait call-ended 20' -e quit
port=$(st_port b-dtmf)
st_bg a-dtmf 25 -f "$T/base.conf" --play "$T/a.wav" --record "$T/arec-dtmf.wav" \
	-e "call sip:bob@127.0.0.1:$port" -e 'wait call-answered 5' \
	-e 'dtmf 123#*' -e 'wait 1.4' \
	-e 'dtmf --info 123#*' -e 'wait 1' \
	-e hold -e 'wait call-held 3' -e 'wait 0.5' \
	-e resume -e 'wait call-resumed 3' -e 'wait 1.6' \
	-e hangup -e 'wait 0.3' -e quit
st_bg b-busy 15 -f "$T/base.conf" -e 'wait call-incoming 10' -e reject -e 'wait 1' -e quit
port=$(st_port b-busy)
st_bg a-busy 15 -f "$T/base.conf" -e "call sip:bob@127.0.0.1:$port" -e 'wait call-answered 10' -e quit
st_bg b-max 20 -f "$T/base.conf" --max-calls 1 -A0 -e 'wait call-ended 15' -e quit
port=$(st_port b-max)
st_bg a-max1 20 -f "$T/base.conf" -e "call sip:bob@127.0.0.1:$port" -e 'wait call-answered 5' \
	-e 'wait 2' -e hangup -e 'wait 0.3' -e quit
_answered() { [ -n "$(ev "$1" call-answered)" ]; }
wait_for 5 _answered b-max || diag "b-max did not answer the first call"
st_bg a-max2 20 -f "$T/base.conf" -e "call sip:bob@127.0.0.1:$port" -e 'wait call-answered 5' -e quit

# 19-35. DTMF, hold, resume
st_wait a-dtmf; ra=$?
st_wait b-dtmf; rb=$?
if [ $ra = 0 ] && [ $rb = 0 ]; then
	ok "DTMF/hold call: caller and callee exit 0"
else
	not_ok "DTMF/hold call: caller and callee exit 0 (caller $ra, callee $rb)"
	st_dump a-dtmf
	st_dump b-dtmf
fi

# digits METHOD: the digits the callee reported for METHOD, in order
digits() {
	ev b-dtmf dtmf | grep "\"method\":\"$1\"" | while IFS= read -r l; do
		ev_field "$l" digit
	done | tr -d '\n'
}
for m in rfc4733 info; do
	d=$(digits $m)
	n=$(ev b-dtmf dtmf | grep -c "\"method\":\"$m\"")
	if [ "$d" = '123#*' ] && [ "$n" = 5 ]; then
		ok "DTMF by $m: the callee reports 5 digits 123#* in order"
	else
		not_ok "DTMF by $m: the callee reports 5 digits 123#* in order (got $n: '$d')"
	fi
done
# every digit reported once: 10 events in all
n=$(ev b-dtmf dtmf | wc -l)
if [ "$n" = 10 ]; then
	ok "DTMF: 10 dtmf events in all, none doubled"
else
	not_ok "DTMF: 10 dtmf events in all, none doubled (got $n)"
	ev b-dtmf dtmf | awk '{ print "#   " $0 }'
fi
# RFC 4733 digits come first: the INFO ones were sent after them
first_info=$(ev b-dtmf dtmf | grep -n '"method":"info"' | head -n 1 | cut -d: -f1)
last_te=$(ev b-dtmf dtmf | grep -n '"method":"rfc4733"' | tail -n 1 | cut -d: -f1)
if [ -n "$first_info" ] && [ -n "$last_te" ] && [ "$last_te" -lt "$first_info" ]; then
	ok "DTMF: the RFC 4733 digits arrive before the INFO ones, as sent"
else
	not_ok "DTMF: the RFC 4733 digits arrive before the INFO ones, as sent"
fi
for side in a-dtmf:local b-dtmf:remote; do
	who=${side%%:*} by=${side#*:}
	h=$(ev "$who" call-held | head -n 1)
	r=$(ev "$who" call-resumed | head -n 1)
	name=caller; [ "$who" = b-dtmf ] && name=callee
	if [ -n "$h" ] && [ "$(ev_field "$h" by)" = "$by" ]; then
		ok "hold: the $name reports call-held by $by"
	else
		not_ok "hold: the $name reports call-held by $by (got: ${h:-nothing})"
	fi
	if [ -n "$r" ] && [ "$(ev_field "$r" by)" = "$by" ]; then
		ok "resume: the $name reports call-resumed by $by"
	else
		not_ok "resume: the $name reports call-resumed by $by (got: ${r:-nothing})"
	fi
	n=$(ev "$who" call-held | wc -l)
	m=$(ev "$who" call-resumed | wc -l)
	if [ "$n" = 1 ] && [ "$m" = 1 ]; then
		ok "hold/resume: the $name reports each once"
	else
		not_ok "hold/resume: the $name reports each once (held $n, resumed $m)"
	fi
done
# held, then resumed: in that order on both sides
for who in a-dtmf b-dtmf; do
	order=$(grep -o '"event":"call-\(held\|resumed\)"' "$T/$who.out" | tr -d '\n')
	if [ "$order" = '"event":"call-held""event":"call-resumed"' ]; then
		ok "hold/resume: $who sees held then resumed"
	else
		not_ok "hold/resume: $who sees held then resumed (got $order)"
	fi
done
l=$(ev a-dtmf call-ended | head -n 1)
if [ "$(ev_field "$l" by)" = local ] && [ "$(ev_field "$(ev b-dtmf call-ended | head -n 1)" by)" = remote ]; then
	ok "DTMF/hold call: the caller's hangup ends it on both sides"
else
	not_ok "DTMF/hold call: the caller's hangup ends it on both sides"
fi
# while held (sendonly/recvonly) the callee stops sending: its continuous
# sweep has a hole in the caller's recording; after the resume it comes
# back, in the last part of the recording
g=$(gaps "$T/arec-dtmf.wav" 0.1)
if ge "${g#* }" 0.4; then
	ok "hold: the callee's audio stops while held (a ${g#* } s silence at the caller)"
else
	not_ok "hold: the callee's audio stops while held (longest silence at the caller ${g#* } s, want >= 0.4)"
fi
# and once resumed it plays on: the hold is the only silence (a jitter
# buffer left behind by the hold used to drop 300 ms after the resume)
if [ "${g%% *}" = 1 ]; then
	ok "resume: no dropout after the hold (one silence of 0.1 s or more in all)"
else
	not_ok "resume: no dropout after the hold (${g%% *} silences of 0.1 s or more, want 1)"
fi
rec_secs=$(soxi -D "$T/arec-dtmf.wav" 2>/dev/null || echo 0)
if ge "$rec_secs" 3; then
	sox -q "$T/arec-dtmf.wav" "$T/arec-dtmf-tail.wav" trim -1.4 2>/dev/null
	x=$(xc "$T/b2.wav" "$T/arec-dtmf-tail.wav" --min-seconds 1 --align-ms 250)
	if ge "$(corr_of "$x")" $MIN_CORR; then
		ok "audio flows again after resume: $x"
	else
		not_ok "audio flows again after resume: ${x:-xcorr failed}"
	fi
else
	not_ok "audio flows again after resume: the callee recorded $rec_secs s"
fi

# 36-38. a busy callee: rejects with 486
st_wait a-busy; ra=$?
st_wait b-busy; rb=$?
if [ $ra = 5 ]; then
	ok "busy callee: wait call-answered exits 5"
else
	not_ok "busy callee: wait call-answered exits 5 (got $ra)"
	st_dump a-busy
fi
l=$(ev a-busy call-ended | head -n 1)
if [ "$(ev_field "$l" status)" = 486 ] && [ "$(ev_field "$l" by)" = remote ]; then
	ok "busy callee: the caller reports call-ended 486 by remote"
else
	not_ok "busy callee: the caller reports call-ended 486 by remote (got ${l:-nothing})"
fi
l=$(ev b-busy call-ended | head -n 1)
if [ $rb = 0 ] && [ "$(ev_field "$l" status)" = 486 ] && [ "$(ev_field "$l" by)" = local ]; then
	ok "busy callee: it reports call-ended 486 by local and exits 0"
else
	not_ok "busy callee: it reports call-ended 486 by local and exits 0 (exit $rb, ${l:-no event})"
fi

# 39. --max-calls 1: a second call while one is up gets 486 too
st_wait a-max2; r2=$?
st_wait a-max1; r1=$?
st_wait b-max
if [ $r2 = 5 ] && [ $r1 = 0 ]; then
	ok "--max-calls 1: a second call gets 486 (exit 5) while the first goes on"
else
	not_ok "--max-calls 1: a second call gets 486 (exit 5) while the first goes on (first $r1, second $r2)"
	st_dump a-max2
fi

# 40-42. nothing left behind
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
