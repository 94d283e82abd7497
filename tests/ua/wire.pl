#!/usr/bin/perl
# tests/ua/wire.pl: the bytes a test sends for one torture message of
# tests/data/conformance.
#
#   perl wire.pl [--5118] [--rport] IN OUT
#
# --5118   the RFC 5118 archive is not wire format (see the corpus README):
#          LF becomes CRLF, an open header section is closed, and
#          Content-Length is recomputed from the body.
# --rport  a request gets ";rport" after the sent-by of its top Via, so
#          that the answer comes back to the socket that sent it (RFC 3581).
#          Without it sipterm rightly answers to port 5060 of the source
#          address (RFC 3261 18.2.2), where the test does not listen.
#          Nothing else changes: the fault a message carries stays.
use strict;
use warnings;

my ($fix5118, $rport) = (0, 0);
while (@ARGV && $ARGV[0] =~ /^--/) {
	my $o = shift @ARGV;
	if ($o eq '--5118') { $fix5118 = 1; }
	elsif ($o eq '--rport') { $rport = 1; }
	else { die "wire.pl: unknown option $o\n"; }
}
die "usage: wire.pl [--5118] [--rport] IN OUT\n" unless @ARGV == 2;
my ($in, $out) = @ARGV;

open(my $f, '<:raw', $in) or die "wire.pl: $in: $!\n";
my $m = do { local $/; <$f> };
close($f);

if ($fix5118) {
	$m =~ s/\r?\n/\r\n/g;
	if (index($m, "\r\n\r\n") < 0) {
		$m .= $m =~ /\r\n\z/ ? "\r\n" : "\r\n\r\n";
	}
	my ($h, $b) = split(/\r\n\r\n/, $m, 2);
	my $n = length($b);
	$h =~ s/^((?:Content-Length|l)[ \t]*:[ \t]*)\d+/$1$n/mig;
	$m = "$h\r\n\r\n$b";
}

if ($rport && $m !~ m{^SIP/}) {
	# only the header section (all of it when it is not closed)
	my $e = index($m, "\r\n\r\n");
	my $h = $e < 0 ? $m : substr($m, 0, $e);
	my $rest = $e < 0 ? '' : substr($m, $e);
	# Via: SIP / 2.0 / UDP host[:port] -- LWS, line folding included
	$h =~ s{(^(?:Via|v)[ \t]*:\s*SIP\s*/\s*[^\s/]+\s*/\s*[^\s;,]+\s+
	         (?:\[[^\]\s]*\]|[^\s;,:]+)(?:\s*:\s*\d+)?)}{$1;rport}mix
		or warn "wire.pl: $in: no top Via found for ;rport\n";
	$m = $h . $rest;
}

open(my $o, '>:raw', $out) or die "wire.pl: $out: $!\n";
print $o $m;
close($o) or die "wire.pl: $out: $!\n";
