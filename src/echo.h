/* echo.h: the built-in echo service, the peer of "call echo".
 *
 * A second SIP user agent in the same process, with its own struct sip on
 * 127.0.0.1 (an ephemeral port, UDP and TCP), so that a call to it goes
 * through the whole path: our transport, transactions, dialog, SDP
 * offer/answer, RTP socket and back.  It answers every INVITE at once
 * (180, then 200 with an SDP answer) and sends each RTP packet it
 * receives straight back: the same payload type, timestamp, marker and
 * payload under its own SSRC and sequence numbers.  Packets are echoed,
 * not audio, so no codec runs: whatever was negotiated (PCMU, PCMA, any
 * codec of audio/codec.h, telephone-event) comes back as sent.
 *
 * It also answers BYE, re-INVITE (a new answer; an offerless one gets an
 * offer, answered in the ACK), OPTIONS; other methods get 405 (known) or
 * 501.  A call ends when the 2xx is never ACKed (64*T1) or when neither
 * RTP nor RTCP arrived for ECHO_RTP_TIMEOUT_MS; it then sends a BYE.  At
 * most ECHO_MAX_CALLS calls (486 beyond).
 *
 * Everything runs on the engine's loop; loop_init() must have run. */
#ifndef SIPTERM_ECHO_H
#define SIPTERM_ECHO_H

#include <stddef.h>
#include <stdint.h>

#define ECHO_MAX_CALLS 16
#define ECHO_RTP_TIMEOUT_MS 20000

/* "sip:echo@127.0.0.1:PORT" into buf, starting the service on first use.
 * 0; ENOSPC when buf is too small; or why the sockets could not open. */
int echo_service_uri(char *buf, size_t size);
/* Ends every call (no BYE) and closes the sockets.  Not from inside one
 * of the service's own handlers.  Safe when it never started. */
void echo_service_stop(void);
/* Calls in progress (answered and not ended). */
unsigned echo_service_calls(void);
/* For tests: the T1 of the service's stack (the ACK wait is 64*T1) and
 * its RTP inactivity limit, for the next start; 0 keeps the default. */
void echo_service_set_timers(uint32_t t1_ms, uint32_t rtp_timeout_ms);

#endif
