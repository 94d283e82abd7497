#!/bin/sh
# tests/presence/min-expires.sh: 423 Interval Too Brief and Retry-After on
# the presence client (RFC 6665 4.1.2.1, RFC 3903 6, RFC 3261 20.33).
#
# A small presence server (Python, below) registers alice, answers her
# PUBLISH of 3600 s with 423 and Min-Expires: 7200, and her SUBSCRIBE of
# 600 s to bob with 423 and Min-Expires: 1800; the SUBSCRIBE sent again
# with 1800 gets 503 and Retry-After: 3; the next one 200.  sipterm must
# send each again with the Min-Expires asked for, and wait the 3 s (not
# its own 30 s back-off, not less) before subscribing again.  The server
# writes one line per request: seconds since its start, method, Expires.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"

need_cmd python3 python3
T=$TEST_TMP

tap_plan 6

port=$(free_port)
cat >"$T/server.py" <<'EOF'
import socket, sys, time
port, logf = int(sys.argv[1]), open(sys.argv[2], "w", buffering=1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(0.5)
t0 = time.time()
subs = 0
while time.time() - t0 < 25:
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        continue
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").split("\r\n")
    if head[0].startswith("SIP/2.0"):
        continue
    method = head[0].split(" ", 1)[0]
    hdrs = {}
    for line in head[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            hdrs.setdefault(k.strip().lower(), v.strip())
    exp = hdrs.get("expires", "-")
    logf.write("%.2f %s %s\n" % (time.time() - t0, method, exp))
    extra = ""
    if method == "REGISTER":
        code, extra = "200 OK", "Contact: %s;expires=600\r\n" % hdrs.get("contact", "")
    elif method == "PUBLISH":
        if exp != "0" and int(exp) < 7200:
            code, extra = "423 Interval Too Brief", "Min-Expires: 7200\r\n"
        else:
            code, extra = "200 OK", "SIP-ETag: e1\r\nExpires: %s\r\n" % exp
    elif method == "SUBSCRIBE":
        subs += 1
        if exp != "0" and int(exp) < 1800:
            code, extra = "423 Interval Too Brief", "Min-Expires: 1800\r\n"
        elif subs == 2:
            code, extra = "503 Service Unavailable", "Retry-After: 3\r\n"
        else:
            code, extra = "200 OK", "Expires: %s\r\nContact: <sip:ps@127.0.0.1:%d>\r\n" % (exp, port)
    elif method == "ACK":
        continue
    else:
        code = "200 OK"
    vias = [l for l in head[1:] if l.lower().startswith(("via:", "v:"))]
    resp = "SIP/2.0 %s\r\n%s\r\nFrom: %s\r\nTo: %s;tag=ps1\r\nCall-ID: %s\r\nCSeq: %s\r\n%sContent-Length: 0\r\n\r\n" % (
        code, "\r\n".join(vias), hdrs.get("from", ""), hdrs.get("to", ""),
        hdrs.get("call-id", ""), hdrs.get("cseq", ""), extra)
    s.sendto(resp.encode(), peer)
EOF
python3 "$T/server.py" "$port" "$T/server.log" &
srv=$!
test_pids="$test_pids $srv"
wait_for 5 udp_bound "$port"

printf '[account alice]\nuri = sip:alice@sipterm.test\nregistrar = sip:127.0.0.1:%s\noutbound_proxy = sip:127.0.0.1:%s\n[buddy bob]\nuri = sip:bob@sipterm.test\n' \
	"$port" "$port" >"$T/a.conf"
timeout 30 "$SIPTERM" --headless -f "$T/a.conf" -l 127.0.0.1:0 \
	-e 'wait registered 5' -e 'wait 6' -e quit >"$T/a.out" 2>"$T/a.err"
rc=$?
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null

check "sipterm ran and quit (exit 0)" [ "$rc" = 0 ]
pubs=$(awk '$2 == "PUBLISH" { printf "%s ", $3 }' "$T/server.log")
# the last one removes the publication at exit
check "PUBLISH: 3600, then 7200 after the 423 (got: $pubs)" \
	[ "$pubs" = "3600 7200 0 " ]
subs=$(awk '$2 == "SUBSCRIBE" { printf "%s ", $3 }' "$T/server.log")
case $subs in
"600 1800 1800 "*) ok "SUBSCRIBE: 600, then 1800 after the 423, again 1800 after the 503 (got: $subs)" ;;
*) not_ok "SUBSCRIBE: 600, then 1800 after the 423, again 1800 after the 503 (got: $subs)" ;;
esac
gap=$(awk '$2 == "SUBSCRIBE" { n++; if (n == 2) a = $1; if (n == 3) b = $1 }
	END { if (b != "") printf "%.1f", b - a }' "$T/server.log")
check "after 503 with Retry-After: 3 the next SUBSCRIBE came ${gap:-never} s later (2.9-5 s)" \
	awk -v g="${gap:-0}" 'BEGIN { exit !(g >= 2.9 && g <= 5) }'
check "the 423s are logged with what the server wanted" \
	eval 'grep -q "wants at least 7200 s" "$T/a.err" && grep -q "wants at least 1800 s" "$T/a.err"'
check "no crash or sanitizer report" \
	eval '! grep -qiE "sanitizer|assert|segmentation" "$T/a.err"'
if [ $tap_failed -gt 0 ]; then
	sed 's/^/#   /' "$T/server.log"
	tail -n 20 "$T/a.err" | sed 's/^/#   /'
fi
done_testing
