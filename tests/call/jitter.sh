#!/bin/bash
# tests/call/jitter.sh: a call over a bad network: the caller's RTP reaches
# the callee through tests/tools/udprelay with 3% loss, 3% duplicates, 5%
# held back 40 ms more, and 0-60 ms of random delay (which reorders too).
# What the callee plays must still be the caller's sound (normalized cross-
# correlation >= 0.8), its call-stats must show the jitter buffer at work,
# and nobody crashes.
#
# How the relay gets into the media path, honestly: both phones are on
# 127.0.0.1 and latch on to the source of the RTP they hear (symmetric RTP),
# but a packet from the address in the SDP always wins, so a relay is only
# used if both SDPs point at it.  A second udprelay carries the SIP of the
# INVITE transaction and rewrites "m=audio N" in both SDPs to the media
# relay's port (the job an SBC or rtpproxy does).  The callee's RTP port is
# pinned with [media] rtp_port_min/rtp_port_max so the media relay knows
# where to send.  The callee -> caller direction crosses the relay without
# impairment and must stay clean (>= 0.9).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tools/call.sh"

call_need
need_cmd ss iproute2
MIN_CORR=0.8
MIN_CORR_CLEAN=0.9
T=$TEST_TMP

tap_plan 16

gen_sweep "$T/a.wav" 300 3000 3
gen_speech "$T/b.wav" "The quick brown fox jumps over the lazy dog, twice."

relay_places
diag "callee RTP $bport, media relay $mport, SIP relay $sport"
st_conf b "[media]\ncodecs = PCMU\nrtp_port_min = $bport\nrtp_port_max = $((bport + 2))\n"
st_conf a "[media]\ncodecs = PCMU\n"

st_bg b 30 -f "$T/b.conf" -A0 --play "$T/b.wav" --record "$T/brec.wav" \
	-e 'wait call-ended 20' -e quit
bsip=$(st_port b)
relay_bg sip --listen "$sport" --to "127.0.0.1:$bsip" --sdp-port "$mport" &&
relay_bg media --listen "$mport" --to "127.0.0.1:$bport" \
	--listen $((mport + 1)) --to "127.0.0.1:$((bport + 1))" \
	--impair fwd --loss 3 --dup 3 --reorder 5 --reorder-ms 40 --delay 0-60 --seed 4242
st_bg a 30 -f "$T/a.conf" --play "$T/a.wav" --record "$T/arec.wav" \
	-e "call sip:bob@127.0.0.1:$sport" -e 'wait call-answered 5' -e 'wait 4.5' \
	-e calls -e hangup -e 'wait 0.3' -e quit
st_wait a; ra=$?
st_wait b; rb=$?
relay_stop media
relay_stop sip

# 1. both ends fine
if [ $ra = 0 ] && [ $rb = 0 ]; then
	ok "caller and callee exit 0"
else
	not_ok "caller and callee exit 0 (caller $ra, callee $rb)"
	st_dump a
	st_dump b
fi
diag "$(cat "$T/media.out" "$T/sip.out" 2>/dev/null | tr '\n' ' ')"

# 2. the SDPs pointed at the media relay
if grep -q "sdp m=audio [0-9]* -> m=audio $mport" "$T/sip.err" &&
	[ "$(grep -c "m=audio .* -> m=audio $mport" "$T/sip.err")" -ge 2 ]; then
	ok "the SIP relay pointed both SDPs at the media relay"
else
	not_ok "the SIP relay pointed both SDPs at the media relay"
	awk '{ print "#   " $0 }' "$T/sip.err"
fi

# 3-4. all the RTP went through the media relay, both ways
fin=$(relay_count media fwd in)
rin=$(relay_count media rev in)
sa=$(ev_field "$(ev a call-stats | tail -n 1)" sent)
sb=$(ev_field "$(ev b call-stats | tail -n 1)" sent)
# a packet or two may be in flight at the hangup
if [ -n "$fin" ] && [ -n "$sa" ] && [ "$fin" -ge $((sa - 3)) ] && [ "$fin" -le "$sa" ] && [ "$sa" -gt 150 ]; then
	ok "the caller's RTP all went through the relay ($fin of $sa packets)"
else
	not_ok "the caller's RTP all went through the relay (${fin:-?} of ${sa:-?} packets)"
fi
if [ -n "$rin" ] && [ -n "$sb" ] && [ "$rin" -ge $((sb - 3)) ] && [ "$rin" -le "$sb" ] && [ "$sb" -gt 150 ]; then
	ok "the callee's RTP all went through the relay ($rin of $sb packets)"
else
	not_ok "the callee's RTP all went through the relay (${rin:-?} of ${sb:-?} packets)"
fi

# 5. the relay really was a bad network
lost=$(relay_count media fwd lost)
dup=$(relay_count media fwd dup)
reo=$(relay_count media fwd reordered)
if [ "${lost:-0}" -gt 0 ] && [ "${dup:-0}" -gt 0 ] && [ "${reo:-0}" -gt 0 ]; then
	ok "the relay lost $lost, duplicated $dup and held back $reo of the caller's packets"
else
	not_ok "the relay lost, duplicated and held back some of the caller's packets (${lost:-?}, ${dup:-?}, ${reo:-?})"
fi

# 6-7. the sound.  The jitter buffer grows its delay a frame at a time as
# the jitter shows, and each step shifts what follows by 20 ms: xcorr aligns
# 250 ms blocks on their own (single= is the one-offset figure).
x=$(xc "$T/a.wav" "$T/brec.wav" --align-ms 250)
xa=$x
if ge "$(corr_of "$x")" $MIN_CORR; then
	ok "caller -> callee audio over the bad network: $x"
else
	not_ok "caller -> callee audio over the bad network: ${x:-xcorr failed} (want corr >= $MIN_CORR)"
	tail -n 3 "$T/xcorr.err" 2>/dev/null | awk '{ print "#   " $0 }'
fi
x=$(xc "$T/b.wav" "$T/arec.wav" --align-ms 250)
if ge "$(corr_of "$x")" $MIN_CORR_CLEAN; then
	ok "callee -> caller audio through the relay, unimpaired: $x"
else
	not_ok "callee -> caller audio through the relay, unimpaired: ${x:-xcorr failed} (want corr >= $MIN_CORR_CLEAN)"
	tail -n 3 "$T/xcorr.err" 2>/dev/null | awk '{ print "#   " $0 }'
fi

# 8-11. the callee's figures (its last call-stats, at the hangup)
st=$(ev b call-stats | tail -n 1)
diag "callee: $st"
diag "caller: $(ev a call-stats | tail -n 1)"
recv=$(ev_field "$st" received)
dup=$(ev_field "$st" dup)
[ -n "$recv" ] && [ -n "$dup" ] && recv=$((recv + dup))
late=$(ev_field "$st" late)
jit=$(ev_field "$st" jitter_ms)
jbd=$(ev_field "$st" jb_delay_ms)
fsent=$(relay_count media fwd sent)
# every datagram the relay sent was received: received (unique) + dup
if [ -n "$recv" ] && [ -n "$fsent" ] && [ "$recv" -le "$fsent" ] && [ "$recv" -ge $((fsent - 3)) ]; then
	ok "the callee received what the relay sent, duplicates included ($recv of $fsent)"
else
	not_ok "the callee received what the relay sent, duplicates included (${recv:-?} of ${fsent:-?})"
fi
if ge "$jit" 5; then
	ok "the callee measures the jitter: $jit ms"
else
	not_ok "the callee measures the jitter: ${jit:-?} ms (want >= 5)"
fi
# the playout delay, measured on the sound itself: xcorr's lag is how late
# the callee plays the caller's sweep, 20-40 ms on a clean path; holding
# back to ride out 0-60 ms of jitter takes more: usually 70-100 ms, but
# speexdsp may settle lower and drop more late packets instead (seen once
# at 60 ms with 19 late drops, test 11), so above 50 (call-stats'
# jb_delay_ms is what is buffered at the instant of the hangup: it swings)
lag=$(printf '%s\n' "$xa" | sed -n 's/.*lag_ms=\([0-9]*\).*/\1/p')
if [ -n "$lag" ] && [ "$lag" -gt 50 ] && [ "$lag" -le 400 ]; then
	ok "the callee's jitter buffer holds the sound back $lag ms (jb_delay_ms $jbd at the hangup)"
else
	not_ok "the callee's jitter buffer holds the sound back ${lag:-?} ms, want 51-400 (jb_delay_ms ${jbd:-?})"
fi
if [ -n "$late" ] && [ "$late" -gt 0 ]; then
	ok "the callee dropped $late late packets (counted in call-stats)"
else
	not_ok "the callee dropped late packets (counted in call-stats: late ${late:-?})"
fi

# 12-13. losses and duplicates apart: RFC 3550's cumulative loss
# (expected minus received) lets duplicates cancel losses; call-stats
# must not.
rlost=$(relay_count media fwd lost)
slost=$(ev_field "$st" lost)
if [ -n "$slost" ] && [ -n "$rlost" ] && [ "$slost" -ge $((rlost / 2)) ] && [ "$rlost" -gt 0 ]; then
	ok "the callee's call-stats count the lost packets (lost $slost, the relay dropped $rlost)"
else
	not_ok "the callee's call-stats count the lost packets (lost ${slost:-?}, the relay dropped ${rlost:-?})"
fi
sdup=$(ev_field "$st" dup)
if [ -n "$sdup" ] && [ "$sdup" -gt 0 ]; then
	ok "the callee's call-stats count the duplicates it dropped ($sdup)"
else
	not_ok "the callee's call-stats count the duplicates it dropped (dup ${sdup:-?}; the relay sent $(relay_count media fwd dup))"
fi

# 14-16. no crash, nothing left
n=0
for f in "$T"/*.err; do
	grep -qiE 'sanitizer|assert|segmentation|core dumped' "$f" && n=$((n + 1))
done
if [ $n = 0 ]; then ok "no crash or sanitizer report in any log"; else not_ok "no crash or sanitizer report in any log"; fi
left=$(leftovers)
for r in media sip; do
	eval "_p=\$relay_pid_$r"
	kill -0 "$_p" 2>/dev/null && left="$left $_p"
done
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
