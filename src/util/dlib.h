/* Libraries opened on first use (dlopen) instead of at every start. On this class of
 * machine each linked library costs its share of the ~3 ms the dynamic loader spends
 * before main(); one that most sessions never call (Hyperscan with its C++ runtime,
 * libbpf with libelf and zlib) is loaded only by the session that needs it. The caller
 * describes a table of function pointers; every one must resolve or none is used. */
#pragma once

#include <stddef.h>

#include "util/error.h"

struct dlib_symbol {
        const char *name;
        size_t offset;          /* of its pointer in the caller's table */
};

#define DLIB_SYMBOL(table_type, field, symbol) { symbol, offsetof(table_type, field) }

/* Opens soname (RTLD_LAZY, RTLD_LOCAL; never closed) and fills table from syms. 0, or -1
 * with err saying which library or symbol and why (the table is then not to be used). */
int dlib_open(const char *soname, const struct dlib_symbol *syms, size_t n, void *table,
              struct mc_error *err);

/* A library a process opens at most once: the first outcome, and why it failed, are kept. */
struct dlib_once {
        int state;              /* 0 not tried, 1 open, -1 failed */
        struct mc_error why;
};

/* dlib_open the first time; afterwards the first outcome again, err filled with the same
 * reason. once->state before the call tells a caller whether this is the first try. */
int dlib_open_once(struct dlib_once *once, const char *soname, const struct dlib_symbol *syms,
                   size_t n, void *table, struct mc_error *err);
