#!/bin/sh
# tests/audio/pulse.sh: the PortAudio device (audio/dev-pa.c) on a real,
# clocked sound card: a private PulseAudio with two null sinks, reached
# through PortAudio's ALSA "pulse" device (NOTES.md).  "mic" is the
# microphone (paplay feeds it, PortAudio reads mic.monitor), "spk" the
# speaker (PortAudio plays into it, parec records spk.monitor).
#
#  - listing: the pulse device is there, with its host API
#  - 20 s of streaming through tests/audio/pa-loop and the engine loop:
#    paced by the device clock, no capture overrun, every frame reached
#    the engine, the engine never stalled while the stream started slowly,
#    and both directions carry the audio (cross-correlation)
#  - sipterm itself on the pulse device in a 20 s call with a file-device
#    sipterm: no ring overrun, no backlog left by the slow start, both
#    directions carry the audio (cross-correlation)
#  - sipterm's "audio use": a name that matches nothing is refused; a call
#    moves from the null device to the card
#  - device names: substring match, and a name that matches nothing
#  - the sound server stopped (SIGSTOP): the watchdog reports it, closing
#    does not hang; killed: the read error is reported at once
#  - an unclocked device (ALSA "null"): overruns counted, engine not starved
#  - no sound card at all: 0 devices, one clear message, no ALSA/JACK noise
#  - nothing left running
. "$(dirname "$0")/../lib.sh"

need_cmd pulseaudio pulseaudio
need_cmd pactl pulseaudio-utils
need_cmd paplay pulseaudio-utils
need_cmd parec pulseaudio-utils
need_cmd sox sox
ls /usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so >/dev/null 2>&1 ||
	skip_all "the ALSA pulse plugin is not installed (apt-get install libasound2-plugins)"

PALOOP="$top_builddir/tests/audio/pa-loop"
XCORR="$top_builddir/tests/tools/xcorr"
for b in "$PALOOP" "$XCORR"; do
	if [ ! -x "$b" ]; then
		echo "1..1"
		echo "not ok 1 - $b is not built (make check builds it)"
		exit 1
	fi
done

# A private world: no session bus, no user's PulseAudio or ~/.asoundrc.
unset PULSE_SERVER PULSE_SINK PULSE_SOURCE DBUS_SESSION_BUS_ADDRESS ALSA_CONFIG_PATH
export XDG_RUNTIME_DIR="$TEST_TMP/run" HOME="$TEST_TMP/home"
mkdir -p "$XDG_RUNTIME_DIR" "$HOME"
chmod 700 "$XDG_RUNTIME_DIR"
printf 'pcm.!default { type pulse }\nctl.!default { type pulse }\n' > "$HOME/.asoundrc"
# Sanitizer builds: reports go to files (fd 2 is /dev/null around
# PortAudio calls), libpulse's invisible synchronisation is suppressed.
export TSAN_OPTIONS="suppressions=$top_srcdir/tests/audio/tsan.supp log_path=$TEST_TMP/tsan ${TSAN_OPTIONS:-}"
# Under ThreadSanitizer an unclocked device's thread, spinning on atomics
# that TSan instruments, can hold the engine off for most of a second:
# the starvation bound there only says "not stuck"
GAP_UNCLOCKED=199
ldd "$PALOOP" 2>/dev/null | grep -q libtsan && GAP_UNCLOCKED=1999

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# fig NAME FILE: a figure from pa-loop's output line
fig() { tr ' ' '\n' < "$2" | sed -n "s/^$1=//p" | head -n 1; }
# num_le A B: A <= B (decimals allowed)
num_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }
num_ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'; }
# corr_ge REF REC MIN [XCORR-OPTIONS]: the recording carries the reference
corr_ge() {
	_c=$("$XCORR" "$1" "$2" ${4:-} 2>&1)
	diag "xcorr $(basename "$1") $(basename "$2"): $_c"
	num_ge "$(echo "$_c" | sed -n 's/.*corr=\([-0-9.]*\).*/\1/p')" "$3"
}
# only_lines FILE REGEX: every line of FILE matches (an empty file does)
only_lines() { ! grep -qv "$2" "$1"; }
show() { [ -s "$1" ] && sed 's/^/#   /' "$1"; return 0; }

PA_PID=""
pa_start() {
	pulseaudio -n --daemonize=no --exit-idle-time=-1 --disallow-exit \
		--log-target="file:$TEST_TMP/pulse.log" \
		-L module-native-protocol-unix \
		-L "module-null-sink sink_name=spk" -L "module-null-sink sink_name=mic" \
		>/dev/null 2>&1 &
	PA_PID=$!
	test_pids="$test_pids $PA_PID"
	wait_for 10 pa_alive
}
pa_alive() { pactl info >/dev/null 2>&1; }
# a stopped server must get SIGCONT, or SIGTERM stays pending
at_exit '[ -n "$PA_PID" ] && kill -CONT "$PA_PID" 2>/dev/null'

check "a private PulseAudio with null sinks spk and mic" pa_start

# ---------- listing ----------
"$PALOOP" list > "$TEST_TMP/list.out" 2> "$TEST_TMP/list.err"
show "$TEST_TMP/list.out"
check "audio devices lists the ALSA pulse device" \
	grep -q "	pulse	ALSA	in=[1-9][0-9]* out=[1-9]" "$TEST_TMP/list.out"
check "listing prints nothing on stderr (ALSA and JACK silenced)" test ! -s "$TEST_TMP/list.err"

# ---------- 20 s of streaming ----------
"$PALOOP" gen "$TEST_TMP/mic.wav" 30 1 && "$PALOOP" gen "$TEST_TMP/play.wav" 7 2 ||
	not_ok "test signals written"
spawn paplay -d mic "$TEST_TMP/mic.wav"
play_pid=$!
spawn parec -d spk.monitor --file-format=wav --rate=48000 --channels=1 --format=s16le \
	"$TEST_TMP/spk.wav"
rec_pid=$!
PULSE_SINK=spk PULSE_SOURCE=mic.monitor timeout 60 "$PALOOP" run --in pulse --out pulse \
	--seconds 20 --play "$TEST_TMP/play.wav" --record "$TEST_TMP/cap.wav" \
	> "$TEST_TMP/run.out" 2> "$TEST_TMP/run.err"
rc=$?
kill "$rec_pid" "$play_pid" 2>/dev/null
wait "$rec_pid" "$play_pid" 2>/dev/null
show "$TEST_TMP/run.out"
show "$TEST_TMP/run.err"
R="$TEST_TMP/run.out"
check "20 s of streaming ends cleanly" test "$rc" = 0
check "nothing on stderr while streaming (no ALSA, JACK or PortAudio lines)" \
	test ! -s "$TEST_TMP/run.err"
check "the device clock paces the engine: 48-52 frames/s after the start" \
	eval 'num_ge "$(fig steady_fps "$R")" 48 && num_le "$(fig steady_fps "$R")" 52'
check "the slow first seconds cost at most 3 s of frames (>= 850 of 1000)" \
	eval 'num_ge "$(fig frames "$R")" 850 && num_le "$(fig frames "$R")" 1010'
check "first frame within the 5 s the watchdog allows" \
	eval 'num_ge "$(fig first_frame_ms "$R")" 1 && num_le "$(fig first_frame_ms "$R")" 4999'
check "no capture ring overrun in 20 s" test "$(fig capture_overruns "$R")" = 0
check "every captured frame reached the engine" test "$(fig engine_frames "$R")" = "$(fig frames "$R")"
check "playback ring underruns below 1% of frames" num_le "$(fig playback_underruns "$R")" 10
check "the engine never stalled (longest gap between 20 ms ticks < 200 ms)" \
	num_le "$(fig max_gap_ms "$R")" 199
check "closing the device takes < 200 ms" num_le "$(fig close_ms "$R")" 199
check "the microphone (mic sink) is captured through PortAudio (corr >= 0.9)" \
	corr_ge "$TEST_TMP/mic.wav" "$TEST_TMP/cap.wav" 0.9
check "what the program plays comes out of spk (corr >= 0.9)" \
	corr_ge "$TEST_TMP/play.wav" "$TEST_TMP/spk.wav" 0.9

# ---------- sipterm itself in a call ----------
# A is sipterm on the pulse device through PortAudio (its microphone is
# the mic sink, its speaker the spk sink); B is a second sipterm with the
# file device, answering.  What paplay feeds the mic sink must reach B's
# recording; what B plays must come out of spk.  20 s of call, no ring
# overrun (A's call-stats).  The signals are a sweep and speech (Opus, the
# default codec, keeps their waveform; it would not keep the noise above,
# nor reliably a sweep's top octave, which it may code by its envelope).
st_port() {
	wait_for 5 grep -q 'listening for SIP on port' "$TEST_TMP/$1.err" &&
		sed -n 's/.*listening for SIP on port \([0-9][0-9]*\).*/\1/p' "$TEST_TMP/$1.err" | head -n 1
}
if [ -x "$SIPTERM" ]; then
	sox -q -n -r 48000 -c 1 -b 16 "$TEST_TMP/sweep.wav" synth 3 sine 300-3400 vol 0.5 repeat 9
	if command -v espeak-ng >/dev/null 2>&1 &&
		espeak-ng -w "$TEST_TMP/sp.wav" "Hello, this is the sound card test. Can you hear me well?" &&
		sox -q "$TEST_TMP/sp.wav" -r 48000 -c 1 -b 16 "$TEST_TMP/speech.wav" gain -n -3; then
		:
	else
		sox -q -n -r 48000 -c 1 -b 16 "$TEST_TMP/speech.wav" synth 3.5 sine 2800-250 tremolo 5 60 vol 0.5
	fi
	timeout 40 "$SIPTERM" --headless --events json -l 127.0.0.1:0 -A0 \
		--play "$TEST_TMP/speech.wav" --record "$TEST_TMP/b-rec.wav" \
		-e 'wait call-ended 35' -e quit > "$TEST_TMP/b.out" 2> "$TEST_TMP/b.err" &
	b_pid=$!
	test_pids="$test_pids $b_pid"
	pb=$(st_port b)
	spawn paplay -d mic "$TEST_TMP/sweep.wav"
	play_pid=$!
	spawn parec -d spk.monitor --file-format=wav --rate=48000 --channels=1 --format=s16le \
		"$TEST_TMP/a-spk.wav"
	rec_pid=$!
	PULSE_SINK=spk PULSE_SOURCE=mic.monitor timeout 40 "$SIPTERM" --headless --events json \
		-l 127.0.0.1:0 --audio portaudio:pulse -e "call sip:b@127.0.0.1:$pb" \
		-e 'wait call-answered 5' -e 'wait 20' -e hangup -e 'wait 0.3' -e quit \
		> "$TEST_TMP/a.out" 2> "$TEST_TMP/a.err"
	rc=$?
	wait "$b_pid" 2>/dev/null
	kill "$rec_pid" "$play_pid" 2>/dev/null
	wait "$rec_pid" "$play_pid" 2>/dev/null
	show "$TEST_TMP/a.err"
	st=$(grep '"event":"call-stats"' "$TEST_TMP/a.out" | tail -n 1)
	diag "A: $st"
	diag "B: $(grep '"event":"call-stats"' "$TEST_TMP/b.out" | tail -n 1)"
	check "sipterm on the pulse device calls, talks 20 s and hangs up (exit 0)" \
		eval '[ $rc = 0 ] && grep -q "\"event\":\"call-answered\"" "$TEST_TMP/a.out"'
	check "no capture ring overrun in the 20 s call (A's call-stats)" \
		eval 'echo "$st" | grep -q "\"overruns\":0[,}]" && grep -q "\"event\":\"call-answered\"" "$TEST_TMP/a.out"'
	jbd=$(echo "$st" | sed -n 's/.*"jb_delay_ms":\([0-9]*\).*/\1/p')
	check "a slow-starting sound card leaves no backlog: jitter buffer delay ${jbd:-?} ms < 200" \
		num_le "${jbd:-9999}" 199
	# 250 ms blocks aligned on their own: an adaptive jitter buffer moves
	# its delay a frame at a time (see tests/call/direct.sh)
	check "the microphone reaches the far end through sipterm (corr >= 0.9)" \
		corr_ge "$TEST_TMP/sweep.wav" "$TEST_TMP/b-rec.wav" 0.9 "--align-ms 250"
	check "the far end comes out of sipterm's speaker (corr >= 0.9)" \
		corr_ge "$TEST_TMP/speech.wav" "$TEST_TMP/a-spk.wav" 0.9 "--align-ms 250"
else
	not_ok "sipterm is built ($SIPTERM)"
fi

# ---------- names ----------
PULSE_SINK=spk PULSE_SOURCE=mic.monitor timeout 30 "$PALOOP" open --in PULS --out ulse \
	--rate 16000 > "$TEST_TMP/open.out" 2> "$TEST_TMP/open.err"
rc=$?
show "$TEST_TMP/open.out"
show "$TEST_TMP/open.err"
check "a device name matches as a case-insensitive substring, at 16 kHz" \
	eval '[ $rc = 0 ] && grep -q "^opened rate=16000" "$TEST_TMP/open.out" && [ ! -s "$TEST_TMP/open.err" ]'
timeout 30 "$PALOOP" open --in nosuchcard > "$TEST_TMP/open.out" 2> "$TEST_TMP/open.err"
rc=$?
show "$TEST_TMP/open.err"
check "a name that matches nothing fails with one clear line" \
	eval '[ $rc = 1 ] && [ "$(cat "$TEST_TMP/open.err")" = "pa-loop: no audio input device matches \"nosuchcard\" (see: audio devices)" ]'

# ---------- sipterm's "audio use" ----------
# a name that matches no card is refused before anything changes; a call
# on the null device moves to the pulse card (its microphone then hears
# what paplay plays into the mic sink)
if [ -x "$SIPTERM" ]; then
	PULSE_SINK=spk PULSE_SOURCE=mic.monitor timeout 20 "$SIPTERM" --headless -l 127.0.0.1:0 \
		-e 'audio use nosuchcard' -e quit > "$TEST_TMP/use1.out" 2> "$TEST_TMP/use1.err"
	rc=$?
	show "$TEST_TMP/use1.err"
	check "audio use NAME that matches no card: exit 1, one clear line" \
		eval '[ $rc = 1 ] && grep -qx -- "-e:1: audio use: no audio input device matches \"nosuchcard\" (see: audio devices)" "$TEST_TMP/use1.err"'
	spawn paplay -d mic "$TEST_TMP/sweep.wav"
	play_pid=$!
	PULSE_SINK=spk PULSE_SOURCE=mic.monitor timeout 30 "$SIPTERM" --headless -l 127.0.0.1:0 \
		--audio null -e 'call echo' -e 'wait call-answered 5' -e 'audio use ulse' -e 'wait 4' \
		-e 'audio level' -e hangup -e 'wait 0.3' -e quit \
		> "$TEST_TMP/use2.out" 2> "$TEST_TMP/use2.err"
	rc=$?
	kill "$play_pid" 2>/dev/null
	wait "$play_pid" 2>/dev/null
	lvl=$(sed -n 's/^microphone \(-\{0,1\}[0-9.]*\) dBFS.*/\1/p' "$TEST_TMP/use2.out" | tail -n 1)
	diag "after audio use: microphone ${lvl:-?} dBFS"
	check "audio use moves a call from the null device to the card: exit 0, the microphone hears the mic sink" \
		eval '[ $rc = 0 ] && num_ge "${lvl:--96}" -40'
fi

# ---------- the sound server stops answering ----------
spawn sh -c "sleep 4; kill -STOP $PA_PID; sleep 8; kill -CONT $PA_PID"
stopper=$!
t0=$(now_ms)
PULSE_SINK=spk PULSE_SOURCE=mic.monitor timeout 60 "$PALOOP" run --seconds 30 \
	> "$TEST_TMP/stall.out" 2> "$TEST_TMP/stall.err"
rc=$?
el=$(( $(now_ms) - t0 ))
show "$TEST_TMP/stall.out"
show "$TEST_TMP/stall.err"
diag "stalled run exited $rc after $el ms"
check "a stuck device is reported (no sound for 2 s), exit 3" \
	eval '[ $rc = 3 ] && grep -q "failed=1 error=\".*delivered no sound for 2 s" "$TEST_TMP/stall.out"'
check "closing a stuck device from the error handler does not hang (< 300 ms)" \
	num_le "$(fig closed_in_handler_ms "$TEST_TMP/stall.out")" 299
check "the program ends within 12 s although the device never answered" num_le "$el" 12000
check "stderr holds only sipterm's own warnings" \
	only_lines "$TEST_TMP/stall.err" '^sipterm: audio: warning: '
wait "$stopper" 2>/dev/null
check "PulseAudio answers again after SIGCONT" wait_for 10 pa_alive

# ---------- the sound server dies ----------
spawn sh -c "sleep 4; kill -9 $PA_PID"
killer=$!
t0=$(now_ms)
PULSE_SINK=spk PULSE_SOURCE=mic.monitor timeout 60 "$PALOOP" run --seconds 30 \
	> "$TEST_TMP/lost.out" 2> "$TEST_TMP/lost.err"
rc=$?
el=$(( $(now_ms) - t0 ))
wait "$killer" 2>/dev/null
wait "$PA_PID" 2>/dev/null   # reap it: a zombie still answers kill -0
show "$TEST_TMP/lost.out"
show "$TEST_TMP/lost.err"
diag "lost-device run exited $rc after $el ms"
# whichever side fails first is named: the input, or the output when
# PortAudio's xrun recovery finds the server gone first
check "a lost device is reported (stopped working), exit 3" \
	eval '[ $rc = 3 ] && grep -Eq "failed=1 error=\"audio (input|output) .* stopped working" "$TEST_TMP/lost.out"'
check "reported at once: the program ends within 8 s" num_le "$el" 8000
# PortAudio's ALSA code prints its own "Expression ... failed" lines when a
# read fails; its print hook is not exported (see audio/dev-pa.c).
check "stderr holds no ALSA or JACK lines (only PortAudio's own)" \
	only_lines "$TEST_TMP/lost.err" "^Expression '"
check "PulseAudio is gone" eval '! kill -0 $PA_PID 2>/dev/null'

# ---------- an unclocked device ----------
mkdir -p "$TEST_TMP/nullhome"
printf 'pcm.!default { type null }\n' > "$TEST_TMP/nullhome/.asoundrc"
HOME="$TEST_TMP/nullhome" timeout 30 "$PALOOP" run --seconds 2 \
	> "$TEST_TMP/null.out" 2> "$TEST_TMP/null.err"
rc=$?
show "$TEST_TMP/null.out"
N="$TEST_TMP/null.out"
check "ALSA null (unclocked): runs and closes cleanly, nothing on stderr" \
	eval '[ $rc = 0 ] && [ ! -s "$TEST_TMP/null.err" ]'
check "ALSA null: capture overruns are counted" num_ge "$(fig capture_overruns "$N")" 1
check "ALSA null: frames = engine frames + overruns (+ at most a ring)" \
	eval '_d=$(( $(fig frames "$N") - $(fig engine_frames "$N") - $(fig capture_overruns "$N") )); [ $_d -ge 0 ] && [ $_d -le 16 ]'
check "ALSA null: the engine is not starved (gap <= $GAP_UNCLOCKED ms) and closing is quick" \
	eval 'num_le "$(fig max_gap_ms "$N")" $GAP_UNCLOCKED && num_le "$(fig close_ms "$N")" 199'

# ---------- no sound card at all ----------
mkdir -p "$TEST_TMP/nocard/home" "$TEST_TMP/nocard/run"
: > "$TEST_TMP/nocard/home/.asoundrc"
nocard() {
	HOME="$TEST_TMP/nocard/home" XDG_RUNTIME_DIR="$TEST_TMP/nocard/run" \
		PULSE_SERVER="unix:$TEST_TMP/nocard/none" timeout 30 "$PALOOP" "$@"
}
nocard list > "$TEST_TMP/nc.out" 2> "$TEST_TMP/nc.err"
rc=$?
show "$TEST_TMP/nc.out"
show "$TEST_TMP/nc.err"
check "no sound card: 0 devices listed, nothing on stderr" \
	eval '[ $rc = 0 ] && grep -qx "devices=0" "$TEST_TMP/nc.out" && [ ! -s "$TEST_TMP/nc.err" ]'
nocard open > "$TEST_TMP/nc.out" 2> "$TEST_TMP/nc.err"
rc=$?
show "$TEST_TMP/nc.err"
check "no sound card: opening the default fails with the clear message, said once, no ALSA/JACK noise" \
	eval '[ $rc = 1 ] && [ "$(cat "$TEST_TMP/nc.err")" = "pa-loop: no sound card found: use --audio null or --audio file" ]'

# ---------- sanitizers ----------
no_reports() {
	for f in "$TEST_TMP"/tsan.*; do
		[ -e "$f" ] || continue
		sed 's/^/#   /' "$f" | head -n 60
		return 1
	done
	return 0
}
check "no ThreadSanitizer report (in a --enable-tsan build)" no_reports

# ---------- nothing left ----------
kill "$PA_PID" 2>/dev/null
wait "$PA_PID" 2>/dev/null
check "nothing left running (pulseaudio, paplay, parec, pa-loop)" \
	eval '! pgrep -f "$TEST_TMP" >/dev/null && ! kill -0 $PA_PID 2>/dev/null'

tap_plan "$tap_n"
done_testing
