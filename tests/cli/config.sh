#!/bin/sh
# Bad configuration files and arguments: exit status 2 and one line that
# names the file and line (or the option) and says how to fix it; nothing
# starts.  And a good [media] opus_* setting reaches the SDP.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

[ -x "$SIPTERM" ] || skip_all "$SIPTERM not built (make sipterm)"
tap_plan 29

export HOME="$TEST_TMP/home" XDG_CONFIG_HOME="$TEST_TMP/home/.config" \
	XDG_DATA_HOME="$TEST_TMP/home/.local/share"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"

# bad_conf DESCRIPTION PATTERN CONFIG-TEXT: the config must be refused
# with exit 2 and one stderr line matching PATTERN (a grep -E regex).
n=0
bad_conf() {
	n=$((n + 1))
	f=$TEST_TMP/conf$n
	printf '%b' "$3" > "$f"
	chmod 600 "$f"
	timeout 10 "$SIPTERM" --headless -l 127.0.0.1:0 -f "$f" -e quit \
		> "$TEST_TMP/out$n" 2> "$TEST_TMP/err$n"
	rc=$?
	lines=$(grep -c . "$TEST_TMP/err$n")
	if [ $rc = 2 ] && [ "$lines" = 1 ] && grep -qE "$2" "$TEST_TMP/err$n"; then
		ok "$1: $(cat "$TEST_TMP/err$n")"
	else
		not_ok "$1 (exit $rc, want 2; stderr: $(head -c 300 "$TEST_TMP/err$n"))"
	fi
}

bad_conf "an unknown key names the known ones" "conf1:2: .*foo.*codecs" \
	'[media]\nfoo = 1\n'
bad_conf "an Opus bitrate out of range" "conf2:2: .*6000 to 510000" \
	'[media]\nopus_bitrate = 1000\n'
bad_conf "a yes/no setting that is neither" "conf3:3: .*yes or no" \
	'[media]\ncodecs = opus\nopus_fec = maybe\n'
bad_conf "an unknown codec" "conf4:.*speex" \
	'[media]\ncodecs = speex, PCMU\n'
bad_conf "an RTP port range the wrong way round" "conf5:3: rtp_port_max = 20000: .*30002" \
	'[media]\nrtp_port_min = 30000\nrtp_port_max = 20000\n'
bad_conf "a line that is not key = value" "conf6:2:" \
	'[media]\nthis is not a setting\n'
bad_conf "an account without a uri" "conf7:.*uri" \
	'[account a]\nregistrar = sip:127.0.0.1\n'
bad_conf "an account uri that is not a SIP URI" "conf8:2:" \
	'[account a]\nuri = mailto:alice@example.org\n'
bad_conf "a t1 of zero" "conf9:2:.*t1" \
	'[general]\nt1 = 0\n'
bad_conf "a section that takes no name given one" "conf10:1: .*write \\[general\\]" \
	'[general foo]\nt1 = 500\n'
bad_conf "an unknown section" "conf11:1: unknown section \\[ui\\]" \
	'[ui]\ntheme = dark\n'
bad_conf "a sips: account (no TLS yet): not sent in the clear" "conf12:2: .*sips.*TLS" \
	'[account a]\nuri = sips:a@127.0.0.1\nregister = no\n'
bad_conf "a registrar with a transport sipterm does not have" "conf13:3: .*transport=udp" \
	'[account a]\nuri = sip:a@127.0.0.1\nregistrar = sip:127.0.0.1;transport=sctp\n'
bad_conf "a DNS server that is not an address" "conf14:2: dns_server = nope" \
	'[general]\ndns_server = nope\n'
bad_conf "a log level that does not exist" "conf15:2: log_level = loud" \
	'[general]\nlog_level = loud\n'
bad_conf "a codec list with an empty name" "conf16:2: .*missing between commas" \
	'[media]\ncodecs = PCMU,,PCMA\n'
bad_conf "a password_cmd that fails" "conf17:3: password_cmd .*failed" \
	'[account a]\nuri = sip:a@127.0.0.1\npassword_cmd = false\nregister = no\n'

# bad arguments: exit 2, one line naming the option
bad_arg() {
	timeout 10 "$SIPTERM" --headless "$@" -e quit > "$TEST_TMP/aout" 2> "$TEST_TMP/aerr"
	rc=$?
	if [ $rc = 2 ] && grep -q -- "$1" "$TEST_TMP/aerr"; then
		ok "bad argument $*: $(head -n 1 "$TEST_TMP/aerr")"
	else
		not_ok "bad argument $* (exit $rc, want 2; stderr: $(head -c 300 "$TEST_TMP/aerr"))"
	fi
}
bad_arg --audio bogus
bad_arg --listen nowhere:x
bad_arg --max-calls -1
bad_arg --listen ::1:5070
bad_arg --dns-server 127.0.0.1:99999
bad_arg --record "$TEST_TMP/no/such/folder/x.wav"
"$SIPTERM" --no-such-option > /dev/null 2> "$TEST_TMP/nerr"
check "an unknown option: exit 2, one line naming it" \
	sh -c "[ $? = 2 ] && [ \$(grep -c . '$TEST_TMP/nerr') = 1 ] && grep -q -- '--no-such-option' '$TEST_TMP/nerr'"
"$SIPTERM" -f > /dev/null 2> "$TEST_TMP/ferr"
check "an option without its value: exit 2, one line" \
	sh -c "[ $? = 2 ] && [ \$(grep -c . '$TEST_TMP/ferr') = 1 ] && grep -q -- '-f needs a value' '$TEST_TMP/ferr'"

# a UTF-8 byte order mark before the first section is taken
f=$TEST_TMP/bom
printf '\357\273\277[media]\ncodecs = PCMA\n' > "$f"
out=$(timeout 10 "$SIPTERM" --headless -l 127.0.0.1:0 -f "$f" -e 'get codecs' -e quit 2>/dev/null)
check "a config file starting with a UTF-8 BOM is read (codecs: $out)" [ "$out" = PCMA ]

# a live control socket is not taken over by a second sipterm
timeout 20 "$SIPTERM" --headless -l 127.0.0.1:0 --ctrl "$TEST_TMP/ctl" -e 'wait 10' \
	> /dev/null 2>&1 &
first=$!
wait_for 5 test -S "$TEST_TMP/ctl"
timeout 10 "$SIPTERM" --headless -l 127.0.0.1:0 --ctrl "$TEST_TMP/ctl" -e quit \
	> /dev/null 2> "$TEST_TMP/cerr"
rc=$?
check "--ctrl on a socket another sipterm answers: exit 2, one line, the socket stays" \
	sh -c "[ $rc = 2 ] && grep -q 'another sipterm' '$TEST_TMP/cerr' && [ -S '$TEST_TMP/ctl' ]"
kill "$first" 2>/dev/null
wait "$first" 2>/dev/null
timeout 10 "$SIPTERM" --headless -f "$TEST_TMP/missing" -e quit > /dev/null 2> "$TEST_TMP/merr"
rc=$?
check "a config file given with -f that does not exist: exit 2, named" \
	sh -c "[ $rc = 2 ] && grep -q missing '$TEST_TMP/merr'"

# a good Opus setting is what the offer says
f=$TEST_TMP/good
printf '[media]\ncodecs = opus\nopus_bitrate = 64000\nopus_dtx = yes\nopus_fec = no\n' > "$f"
timeout 10 "$SIPTERM" --headless -l 127.0.0.1:0 -f "$f" --siptrace="$TEST_TMP/trace" \
	-e 'call sip:nobody@127.0.0.1:9' -e 'wait 0.3' -e quit > /dev/null 2>&1
fmtp=$(grep -m 1 'a=fmtp:' "$TEST_TMP/trace" | tr -d '\r')
check "opus_bitrate, opus_dtx and opus_fec reach the offer ($fmtp)" \
	sh -c "printf '%s' '$fmtp' | grep -q 'useinbandfec=0.*maxaveragebitrate=64000.*usedtx=1'"
done_testing
