/* The relay's resident memory once the session runs. */
#pragma once

/* The pages of the shared libraries and of mcpcage itself that only the start touched
 * (policy loading, OpenSSL's initialisation, compiling the redaction patterns, starting the
 * sandbox) would stay mapped, and count as the relay's RSS, for the whole session. Dropping
 * the read-only file mappings lets the steady relay fault back in only what it uses: the
 * pages stay in the page cache, so a later touch is a minor fault. Only mappings that hold
 * no private page: a relocated (RELRO) mapping's copy-on-write pages would be lost, and it
 * is left alone; a read-only mapping cannot gain one in between. Called once, by the loop's
 * timer RESIDENCY_DELAY_MS after it starts: off the start path (the walk of smaps and the
 * faults back in cost milliseconds on a machine with costly syscalls, and a session that
 * ends at once never needs it), and before the session's steady state. Where
 * /proc/self/smaps cannot be read nothing is dropped (the RSS stays higher, nothing else
 * changes). */
#define RESIDENCY_DELAY_MS 1000
void relay_drop_start_pages(void);
