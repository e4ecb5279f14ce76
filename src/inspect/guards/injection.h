/* Prompt injection and invisible text in what the server hands the model (threats.md §3):
 * tool results, tool descriptions (tool poisoning) and the server's instructions. The model
 * reads characters a user never sees (Unicode tags, zero-width and bidi controls, terminal
 * escapes) and obeys text that looks like its own framing (<IMPORTANT>, [INST], "ignore
 * previous instructions"). The scanner names what it found by class; the inspector decides
 * (mcp.injection.action: flag, strip, block). It works on decoded string values, so an
 * escape spelling (\u200b) hides nothing.
 *
 * Cost: one pass over the bytes with table lookups; a regex runs only where the pass found
 * a word that can start a phrase, and anchored there. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

enum injection_class {
        INJ_HIDDEN_UNICODE,     /* Unicode tags, zero-width characters, soft hyphen, fillers,
                                 * runs of variation selectors */
        INJ_BIDI_CONTROL,       /* embeddings, overrides, isolates; LRM/RLM in text with no
                                 * right-to-left script */
        INJ_ANSI_ESCAPE,        /* ESC sequences (CSI, OSC, DCS...) and C1 controls */
        INJ_PSEUDO_TAG,         /* <IMPORTANT>, <SYSTEM>, [INST], <|im_start|> ... */
        INJ_PHRASE,             /* "ignore previous instructions" and its variants */
        INJ_SENSITIVE_PATH,     /* descriptions only: ~/.ssh, .env, id_rsa, ~/.aws ... */
        INJ_TOOL_REDIRECT,      /* descriptions only: "first call the X tool", "pass it as
                                 * the sidenote parameter" */
        INJ_N_CLASSES
};

/* The classes injection_strip removes (the rest can only be flagged or blocked). */
#define INJ_STRIPPABLE ((1u << INJ_HIDDEN_UNICODE) | (1u << INJ_BIDI_CONTROL) | \
                        (1u << INJ_ANSI_ESCAPE))

/* Where a string comes from: descriptions and instructions are read by the model as
 * guidance, so they get the two extra classes; a file's content that mentions ~/.ssh is
 * not an attack. */
enum injection_context { INJ_CONTENT, INJ_DESCRIPTION };

struct injection;

int injection_new(struct injection **out, struct mc_error *err);
void injection_free(struct injection *g);

/* *found: a bit (1u << class) per class present. 0, or -EIO when a pattern failed to run
 * (the caller fails closed), -ENOMEM. */
int injection_scan(struct injection *g, const char *text, size_t len, enum injection_context ctx,
                   unsigned *found);

/* Appends text to out without the INJ_STRIPPABLE characters and sequences (an OSC 8 link
 * keeps its visible text). Returns 1 when something was removed, 0 when not (out then has
 * text appended unchanged), -ENOMEM. */
int injection_strip(const char *text, size_t len, struct buf *out);

/* "hidden_unicode", "bidi_control", "ansi_escape", "pseudo_tag", "instruction_phrase",
 * "sensitive_path", "tool_redirect" (stable: audit flags are "injection:<name>"). */
const char *injection_class_name(enum injection_class c);
