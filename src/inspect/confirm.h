/* Confirmation of tool calls by the user (policy.md "confirm"; a tool rule with
 * "confirm": true). The model may be steered by injected text; the user is not, so a call
 * the policy marks is only forwarded after the user said yes, through MCP elicitation:
 *   legacy era: mcpcage holds the call and sends the host an elicitation/create request of
 *     its own (ids "mcpcage-confirm-…", answered to mcpcage, never to the server), when the
 *     host declared the elicitation capability in initialize;
 *   2026-07-28 era: mcpcage answers the call with an input_required result carrying the
 *     elicitation and a requestState of its own ("mcpcage-confirm.<random>"); the host's
 *     retry with that requestState and the user's answer in inputResponses is recognised,
 *     checked against the call that was asked about (tool and arguments) and forwarded
 *     without them.
 * Accept forwards the call; decline, cancel, an error or no answer in time refuses it with
 * the isError result; a host without elicitation gets a refusal that says so. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "inspect/inspector-internal.h"

#define CONFIRM_MAX_PENDING 32
#define CONFIRM_DEFAULT_TIMEOUT_NS (300ull * 1000000000ull)

struct confirm_table;

int confirm_table_new(struct confirm_table **out);
void confirm_table_free(struct confirm_table *t);
/* The earliest deadline of a pending confirmation, 0 for none. */
uint64_t confirm_next_deadline(const struct confirm_table *t);

enum confirm_outcome {
        CONFIRM_FORWARD,        /* confirmed: forward (v->to_peer holds it when *rewritten) */
        CONFIRM_HELD,           /* asked the host; keep e in flight, do not forward */
        CONFIRM_ANSWERED,       /* refused or asked in a result: answered in v->to_sender */
};

/* The tools/call m (in flight as e) of a tool rule t with confirm set. */
enum confirm_outcome confirm_call(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                                  const struct tool_rule *t, uint64_t now_ns, struct verdict *v,
                                  bool *rewritten);
/* Legacy era, after CONFIRM_HELD: the bytes (without "\n") to forward once the user
 * accepts (the request as the other rules left it). 0 or -ENOMEM. */
int confirm_hold(struct inspector *ins, const struct inflight *e, const char *line, size_t len);
/* A response from the host: true when it answered one of mcpcage's own elicitations (it is
 * consumed here: the held call is forwarded in v->to_peer or refused in v->to_sender). */
bool confirm_host_response(struct inspector *ins, const struct jsonrpc_msg *m, uint64_t now_ns,
                           struct verdict *v);
/* Confirmations nobody answered in time are refused. */
void confirm_tick(struct inspector *ins, uint64_t now_ns, struct verdict *v);
/* 2026-07-28: a confirmed call the server answered with input_required: the host's retry
 * carries the server's requestState, which then counts as confirmed (it is only hashed,
 * never read). */
void confirm_remember_state(struct inspector *ins, const struct inflight *e, json_t *result);
/* initialize from the host: whether it can be asked (capabilities.elicitation). */
void confirm_note_initialize(struct inspector *ins, const struct jsonrpc_msg *m);
