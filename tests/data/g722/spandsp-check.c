/* spandsp-check.c: G.722 64 kbit/s with spandsp, for make-ref.sh only (a
 * second implementation to check ffmpeg's reference output against; not
 * part of sipterm).  spandsp-check enc|dec IN OUT */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <spandsp.h>

int main(int argc, char **argv)
{
	static int16_t pcm[1 << 20];
	static uint8_t code[1 << 19];
	FILE *in, *out;
	size_t n;
	int len;

	if (argc != 4 || !(in = fopen(argv[2], "rb")) || !(out = fopen(argv[3], "wb")))
		return 2;
	if (!strcmp(argv[1], "enc")) {
		g722_encode_state_t *e = g722_encode_init(NULL, 64000, 0);
		n = fread(pcm, sizeof(*pcm), sizeof(pcm) / sizeof(*pcm), in);
		len = g722_encode(e, code, pcm, (int)n);
		fwrite(code, 1, (size_t)len, out);
	} else {
		g722_decode_state_t *d = g722_decode_init(NULL, 64000, 0);
		n = fread(code, 1, sizeof(code), in);
		len = g722_decode(d, pcm, code, (int)n);
		fwrite(pcm, sizeof(*pcm), (size_t)len, out);
	}
	return fclose(out) ? 1 : 0;
}
