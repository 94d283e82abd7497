#!/bin/sh
# Libraries loaded at first use (src/dl.h): sipterm does not link
# PortAudio, ALSA, libxml2 or libcrypto; a headless sipterm, even in a call
# on --audio null, has none of them (nor JACK) in its address space;
# `audio devices` loads PortAudio and ALSA, and what they print still
# stays off stderr.  (libxml2 and libcrypto at their first use:
# tests/unit/test-dl.c.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

[ -x "$SIPTERM" ] || skip_all "$SIPTERM not built (make sipterm)"
need_cmd objdump binutils
tap_plan 5

export HOME="$TEST_TMP/home" XDG_CONFIG_HOME="$TEST_TMP/home/.config" \
	XDG_DATA_HOME="$TEST_TMP/home/.local/share"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"

LAZY='lib(portaudio|asound|jack|xml2|crypto)\.so'

needed=$(objdump -p "$SIPTERM" | awk '$1 == "NEEDED" { print $2 }')
if [ -z "$needed" ]; then
	not_ok "objdump -p lists no NEEDED libraries of $SIPTERM"
elif printf '%s\n' "$needed" | grep -qE "$LAZY"; then
	not_ok "sipterm links $(printf '%s\n' "$needed" | grep -E "$LAZY" | tr '\n' ' ')"
else
	ok "not linked: PortAudio, ALSA, libxml2, libcrypto"
fi

# run NAME ARGS...: a headless sipterm in the background; sets PID
run() {
	n=$1
	shift
	spawn "$SIPTERM" --headless -l 127.0.0.1:0 "$@" > "$TEST_TMP/$n.out" 2> "$TEST_TMP/$n.err"
	PID=$!
}
# lazy_loaded PID: the lazily loaded libraries mapped into PID, one a line
lazy_loaded() { grep -oE "$LAZY[.0-9]*" "/proc/$1/maps" | sort -u; }

run idle -e 'wait 10' -e quit
if wait_for 5 grep -q 'listening for SIP' "$TEST_TMP/idle.err"; then
	got=$(lazy_loaded "$PID")
	if [ -z "$got" ]; then
		ok "idle: none of them loaded"
	else
		not_ok "idle: loaded $(echo $got)"
	fi
else
	not_ok "idle: sipterm did not start: $(head -c 300 "$TEST_TMP/idle.err")"
fi

run call --audio null -e 'call echo' -e 'wait call-answered 5' -e 'wait 10' -e quit
if wait_for 10 grep -q 'call-answered' "$TEST_TMP/call.out"; then
	sleep 0.5
	got=$(lazy_loaded "$PID")
	if [ -z "$got" ]; then
		ok "a call on --audio null: none of them loaded"
	else
		not_ok "a call on --audio null: loaded $(echo $got)"
	fi
else
	not_ok "a call on --audio null: not answered: $(head -c 300 "$TEST_TMP/call.out")"
fi

run devs -e 'audio devices' -e 'wait 10' -e quit
if wait_for 20 grep -q . "$TEST_TMP/devs.out"; then
	got=$(lazy_loaded "$PID")
	if printf '%s\n' "$got" | grep -q libportaudio && printf '%s\n' "$got" | grep -q libasound; then
		ok "audio devices: PortAudio and ALSA loaded ($(echo $got))"
	else
		not_ok "audio devices: loaded only: $(echo $got)"
	fi
	strays=$(grep -v '^sipterm: ' "$TEST_TMP/devs.err")
	if [ -z "$strays" ]; then
		ok "audio devices: nothing from ALSA or JACK on stderr"
	else
		not_ok "audio devices: stderr has $(printf '%s\n' "$strays" | head -n 3)"
	fi
else
	not_ok "audio devices: no answer: $(head -c 300 "$TEST_TMP/devs.err")"
	not_ok "audio devices: stderr not checked"
fi

done_testing
