#!/bin/bash
# tests/ua/sipp-rfc.sh: RFC corners of sipterm's UA core and calls, driven
# by SIPp on 127.0.0.1 (scenarios tests/ua/sipp/rfc-*.xml; each says what
# it expects and why):
#   - Record-Route copied, in order, into the 180 and 200 of an INVITE and
#     the 200 of a SUBSCRIBE (RFC 3261 12.1.1, RFC 6665 4.2.1), and the
#     BYE routed by it;
#   - Require: replaces gets 420 (Replaces is not supported);
#   - BYE, INFO and UPDATE naming no dialog get 481, not 405;
#   - a body with Content-Encoding: gzip gets 415 with Accept-Encoding;
#   - a SUBSCRIBE without Contact gets 400 (an INVITE, RFC 2543 style, not);
#   - a 488 says why in its Warning code: 301 (address family), 302
#     (transport profile), 305 (codec) (RFC 3261 20.43);
#   - a MESSAGE in a charset it cannot show gets 415;
#   - a 300 with two Contacts: the higher q is tried first, the other when
#     it fails (RFC 3261 8.1.3.4, 16.6).
# SIPTERM_KEEP_TMP=1 keeps the traces.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck disable=SC1091
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/call/sipp-lib.sh"

need_cmd sipp sip-tester
need_cmd ss iproute2
need_cmd timeout coreutils
[ -x "$SIPTERM" ] || skip_all "$SIPTERM not built (make sipterm)"

SCEN=$top_srcdir/tests/ua/sipp

uac_cases="rfc-rr-invite rfc-rr-subscribe rfc-replaces rfc-ood-bye rfc-ood-info
rfc-ood-update rfc-gzip rfc-nocontact rfc-warn-savp rfc-warn-ip6 rfc-warn-codec
rfc-msg-utf16"
tap_plan $(( $(echo $uac_cases | wc -w) + 6 ))

desc() {
	case $1 in
	rfc-rr-invite) echo "INVITE through two Record-Routes: 180 and 200 copy them in order, the BYE follows them" ;;
	rfc-rr-subscribe) echo "SUBSCRIBE through a Record-Route: the 200 copies it" ;;
	rfc-replaces) echo "Require: replaces: 420 with Unsupported: replaces" ;;
	rfc-ood-bye) echo "BYE naming no dialog: 481" ;;
	rfc-ood-info) echo "INFO naming no dialog: 481" ;;
	rfc-ood-update) echo "UPDATE naming no dialog: 481" ;;
	rfc-gzip) echo "Content-Encoding: gzip: 415 with Accept-Encoding: identity" ;;
	rfc-nocontact) echo "SUBSCRIBE without Contact: 400" ;;
	rfc-warn-savp) echo "RTP/SAVP only: 488 with Warning 302" ;;
	rfc-warn-ip6) echo "an IPv6-only offer to sipterm on IPv4: 488 with Warning 301" ;;
	rfc-warn-codec) echo "G.729 only: 488 with Warning 305" ;;
	rfc-msg-utf16) echo "a MESSAGE in UTF-16: 415 naming the charsets taken" ;;
	esac
}

# one answering sipterm for the requests; --max-call-secs 1 makes it send
# the BYE of rfc-rr-invite
if st_start uas 60 -A0 --max-call-secs 1; then
	for sc in $uac_cases; do
		sipp_run "$sc" "$sc" "127.0.0.1:$ST_PORT"
		result "$(desc "$sc")" $? sipp_diag "$sc"
	done
	st_stop uas
	n=$(grep -c '"event":"call-incoming"' "$TEST_TMP/uas.ev")
	r=1
	[ "$n" = 1 ] && r=0
	result "only the record-routed INVITE became a call (call-incoming $n times)" $r st_diag uas
else
	for sc in $uac_cases; do not_ok "$(desc "$sc") (sipterm did not start)"; done
	not_ok "only the record-routed INVITE became a call"
fi

# sipterm calls SIPp, which redirects with 300 to two Contacts
p=$(free_port)
if sipp_bg q300 rfc-300-q "$p"; then
	st_call q300 "call sip:sipp@127.0.0.1:$p" "wait call-answered 10"
	sipp_wait q300
	result "300 with q=0.1 and q=0.9: sipterm tries q=0.9 first, then q=0.1" $? \
		sipp_diag q300 st_diag q300
	r=1
	[ "$ST_RC" = 6 ] && ev q300 '"event":"call-ended","call":1,"status":480' && r=0
	result "the call ends with the last target's 480, exit 6" $r st_diag q300
else
	not_ok "300 with q=0.1 and q=0.9 (SIPp did not start)"
	not_ok "the call ends with the last target's 480, exit 6"
fi

st_epilogue
