#!/bin/sh
# Regenerates the G.722 reference data in this folder (see README).
# Needs python3 and ffmpeg (Debian: apt-get install ffmpeg); with
# libspandsp-dev installed it also cross-checks against spandsp.
set -eu
cd "$(dirname "$0")"

python3 - <<'PY'
import math, random, struct
random.seed(722)
sr = 16000
x = []
ph = 0.0
for i in range(sr):                       # 1 s sweep, 50 Hz to 7800 Hz
    f = 50 * (7800 / 50) ** (i / sr)
    ph += 2 * math.pi * f / sr
    x.append(round(12000 * math.sin(ph)))
for i in range(sr // 4):                  # 0.25 s white noise
    x.append(max(-12000, min(12000, round(random.gauss(0, 4000)))))
for i in range(sr // 4):                  # 0.25 s very quiet tone
    x.append(round(40 * math.sin(2 * math.pi * 1000 * i / sr)))
open('in.raw', 'wb').write(struct.pack('<%dh' % len(x), *x))
open('rnd.g722', 'wb').write(bytes(random.getrandbits(8) for _ in range(4000)))
PY

ffmpeg -v error -y -f s16le -ar 16000 -ac 1 -i in.raw -c:a g722 -f g722 in.g722
ffmpeg -v error -y -f g722 -i in.g722 -f s16le in.dec.raw
ffmpeg -v error -y -f g722 -i rnd.g722 -f s16le rnd.dec.raw

if pkg-config --exists spandsp 2>/dev/null; then
	tmp=$(mktemp -d)
	cc -O2 -o "$tmp/spandsp-check" spandsp-check.c $(pkg-config --cflags --libs spandsp)
	"$tmp/spandsp-check" enc in.raw "$tmp/in.g722"
	"$tmp/spandsp-check" dec in.g722 "$tmp/in.dec.raw"
	cmp in.g722 "$tmp/in.g722"
	cmp in.dec.raw "$tmp/in.dec.raw"
	rm -rf "$tmp"
	echo "spandsp agrees with ffmpeg"
fi
