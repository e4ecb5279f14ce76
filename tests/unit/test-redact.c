/* Redaction (threats.md §3): recall 100 % on every positive sample of tests/corpus/secrets
 * (alone, in a sentence, and inside a JSON-RPC result with \u escapes and escaped newlines),
 * zero redactions on the benign corpus with every catalogue on, the allow list, custom
 * patterns, env secrets, counts per kind, selections, and byte-exact rewriting. Samples are
 * read from the corpus files; none is written in this file. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "inspect/guards/jsonstr.h"
#include "inspect/guards/redact-gate.h"
#include "inspect/guards/redact-internal.h"
#include "inspect/guards/redact.h"
#include "policy/policy.h"
#include "tap.h"
#include "util/cleanup.h"

static const char *const kinds[] = {
        "aws_access_key_id", "aws_secret_access_key", "github_token", "gitlab_token",
        "openai_key", "anthropic_key", "slack_token", "slack_webhook", "google_api_key",
        "gcp_service_account", "stripe_key", "npm_token", "pypi_token", "huggingface_token",
        "azure_storage_key", "sendgrid_key", "twilio_key", "private_key", "jwt",
        "url_credentials", "generic_secret", "email", "credit_card", "iban", "ssn", "phone",
};

struct sample {
        char *text;             /* the line, "\n" expanded */
        char *raw;              /* the line with "\n" kept as two characters */
        char *secret;           /* the part that must disappear (expanded) */
        char *raw_secret;       /* the same in raw */
};

static char *expand(const char *s, size_t n, bool newlines)
{
        char *o = malloc(n + 1), *p = o;
        for (size_t i = 0; i < n; i++) {
                if (newlines && s[i] == '\\' && i + 1 < n && s[i + 1] == 'n') {
                        *p++ = '\n';
                        i++;
                } else {
                        *p++ = s[i];
                }
        }
        *p = '\0';
        return o;
}

static bool parse_sample(const char *line, struct sample *s)
{
        const char *a = strstr(line, "[["), *b = a ? strstr(a, "]]") : NULL;
        _cleanup_free_ char *plain = NULL;
        if (a && b) {
                if (asprintf(&plain, "%.*s%.*s%s", (int)(a - line), line, (int)(b - a - 2), a + 2, b + 2) < 0)
                        return false;
                s->secret = expand(a + 2, (size_t)(b - a - 2), true);
                s->raw_secret = expand(a + 2, (size_t)(b - a - 2), false);
        } else {
                plain = strdup(line);
                s->secret = expand(line, strlen(line), true);
                s->raw_secret = strdup(line);
        }
        s->text = expand(plain, strlen(plain), true);
        s->raw = strdup(plain);
        return true;
}

static size_t read_samples(const char *kind, struct sample *out, size_t cap)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/secrets/%s.txt", CORPUS_DIR, kind);
        _cleanup_fclose_ FILE *f = fopen(path, "r");
        char line[8192];
        size_t n = 0;
        while (f && n < cap && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] == '#' || !line[0])
                        continue;
                if (parse_sample(line, &out[n]))
                        n++;
        }
        return n;
}

static void free_sample(struct sample *s)
{
        free(s->text);
        free(s->raw);
        free(s->secret);
        free(s->raw_secret);
}

static int kind_id(struct redactor *r, const char *kind)
{
        for (size_t k = 0; k < redactor_n_kinds(r); k++)
                if (!strcmp(redactor_kind_name(r, k), kind))
                        return (int)k;
        return -1;
}

static struct redactor *make(const char *policy, const char *const *env)
{
        json_error_t je;
        _cleanup_json_ json_t *root = json_loads(policy, 0, &je);
        struct redactor *r = NULL;
        struct mc_error err = { 0 };
        if (!root || redactor_new(root, env, &r, &err) < 0)
                printf("# redactor_new: %s %s\n", je.text, err.msg);
        return r;
}

/* One string through redact_string: changed, secret gone, marker present, counted. */
static bool redacts(struct redactor *r, struct redact_sel sel, const char *text, const char *secret,
                    const char *kind, const char *how)
{
        struct buf out = { 0 };
        unsigned counts[64] = { 0 };
        int rc = redact_string(r, sel, text, strlen(text), &out, counts);
        buf_append(&out, "", 1);
        char marker[64];
        snprintf(marker, sizeof(marker), "[REDACTED:%s]", kind);
        int id = kind_id(r, kind);
        bool ok = rc == 1 && !strstr(out.data, secret) && strstr(out.data, marker) && id >= 0 && counts[id] >= 1;
        if (!ok)
                printf("# %s %s: rc=%d in=%.200s out=%.300s\n", kind, how, rc, text, out.data ? out.data : "");
        buf_free(&out);
        return ok;
}

/* The sample inside a JSON-RPC result, twice: once in content text with the secret's
 * first byte written as \u00XX, once nested in structuredContent. */
static bool redacts_json(struct redactor *r, const struct sample *s, const char *kind)
{
        struct buf t1 = { 0 }, t2 = { 0 }, msg = { 0 }, out = { 0 };
        const char *at = strstr(s->text, s->secret);
        size_t pos = at ? (size_t)(at - s->text) : 0;
        jsonstr_encode(s->text, pos, &t1);
        t1.len--;                                       /* drop the closing quote */
        buf_printf(&t1, "\\u%04x", (unsigned char)s->text[pos]);
        jsonstr_encode(s->text + pos + 1, strlen(s->text + pos + 1), &t2);
        buf_append(&t1, t2.data + 1, t2.len - 1);
        buf_reset(&t2);
        jsonstr_encode(s->text, strlen(s->text), &t2);
        const char *pre = "{\"jsonrpc\":\"2.0\",\"id\":42,\"result\":{\"content\":[{\"type\":\"text\",\"text\":";
        const char *mid = "}], \"structuredContent\" : {\"deep\":{\"list\":[1,";
        const char *post = ",true]}},\"isError\":false}}";
        buf_printf(&msg, "%s%.*s%s%.*s%s", pre, (int)t1.len, t1.data, mid, (int)t2.len, t2.data, post);
        unsigned counts[64] = { 0 };
        struct mc_error err = { 0 };
        int rc = redact_message(r, redactor_results(r), msg.data, msg.len, "/result", &out, counts, &err);
        buf_append(&out, "", 1);
        json_error_t je;
        json_t *j = rc == 1 ? json_loads(out.data, 0, &je) : NULL;
        const char *text = json_string_value(json_pointer_get(j, "/result/content/0/text"));
        const char *deep = json_string_value(json_pointer_get(j, "/result/structuredContent/deep/list/1"));
        size_t ol = out.len - 1;
        int id = kind_id(r, kind);
        bool ok = j && text && deep && !strstr(text, s->secret) && !strstr(deep, s->secret) &&
                  counts[id] >= 2 && !strncmp(out.data, pre, strlen(pre)) && strstr(out.data, mid) &&
                  ol >= strlen(post) && !strcmp(out.data + ol - strlen(post), post);
        if (!ok)
                printf("# %s json: rc=%d %s out=%.300s\n", kind, rc, err.msg, out.data ? out.data : "");
        json_decref(j);
        buf_free(&t1);
        buf_free(&t2);
        buf_free(&msg);
        buf_free(&out);
        return ok;
}

static const char *full_policy =
        "{\"mcp\":{\"redact\":{\"results\":[\"secrets\",\"pii\",\"secrets-broad\"],\"arguments\":[\"secrets\"],"
        "\"custom\":{\"employee_id\":\"\\\\bEMP-[0-9]{6}\\\\b\",\"ticket\":\"ticket=(?<v>[A-Z]{3}[0-9]{4})\"},"
        "\"allow\":[\"test@example.com\",\"/build-[0-9]+@ci\\\\.example\\\\.org/\"]},"
        "\"tools\":{\"quiet\":{\"redact\":[]},\"mail\":{\"redact\":[\"pii\"]}}}}";

/* Ordinary prose around a sample, long enough (> 256 bytes each side) to be scanned as a
 * long string. */
static const char filler[] =
        "The build finished after the usual steps: the sources were fetched, the compiler "
        "ran over every module, the linker produced the binary and the test runner went "
        "through the whole suite without a single failure. Nothing in this paragraph is a "
        "credential of any kind; it only makes the string long enough to take the path that "
        "long tool results take through the scanner.\n";

static void test_recall(struct redactor *r)
{
        struct redact_sel sel = redactor_results(r);
        for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
                struct sample s[64];
                size_t n = read_samples(kinds[k], s, ARRAY_SIZE(s));
                size_t alone = 0, sentence = 0, padded = 0, json = 0, raw = 0, raws = 0;
                for (size_t i = 0; i < n; i++) {
                        alone += redacts(r, sel, s[i].text, s[i].secret, kinds[k], "alone");
                        _cleanup_free_ char *sent = NULL;
                        if (asprintf(&sent, "Here is what the lookup returned:\n%s\nThat is all, 3 items.", s[i].text) > 0)
                                sentence += redacts(r, sel, sent, s[i].secret, kinds[k], "in a sentence");
                        /* long strings take the multi-literal path when it is built */
                        _cleanup_free_ char *pad = NULL;
                        if (asprintf(&pad, "%s%s\n%s", filler, s[i].text, filler) > 0)
                                padded += redacts(r, sel, pad, s[i].secret, kinds[k], "padded");
                        json += redacts_json(r, &s[i], kinds[k]);
                        if (strcmp(s[i].raw, s[i].text)) {
                                /* newlines still escaped: a key file pasted into a JSON
                                 * string inside a string */
                                raws++;
                                raw += redacts(r, sel, s[i].raw, s[i].raw_secret, kinds[k], "escaped newlines");
                        }
                        free_sample(&s[i]);
                }
                tap_ok(n >= 10, "%s: %zu positive samples in the corpus", kinds[k], n);
                tap_ok(n && alone == n && sentence == n && padded == n && json == n && raw == raws,
                       "%s: recall 100%% (alone %zu, in a sentence %zu, in long text %zu, in JSON with \\u escapes %zu, escaped newlines %zu/%zu of %zu)",
                       kinds[k], alone, sentence, padded, json, raw, raws, n);
        }
}

static void test_benign(struct redactor *r)
{
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/benign", CORPUS_DIR);
        DIR *d = opendir(dir);
        size_t total = 0, files = 0;
        unsigned changed = 0;
        struct dirent *e;
        while (d && (e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                char path[8192];
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                _cleanup_fclose_ FILE *f = fopen(path, "r");
                struct buf text = { 0 }, out = { 0 };
                char chunk[65536];
                size_t got;
                while (f && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
                        buf_append(&text, chunk, got);
                unsigned counts[64] = { 0 };
                if (redact_string(r, redactor_results(r), text.data, text.len, &out, counts) != 0) {
                        changed++;
                        for (size_t k = 0; k < redactor_n_kinds(r); k++)
                                if (counts[k])
                                        printf("# %s: %u %s\n", e->d_name, counts[k], redactor_kind_name(r, k));
                }
                total += text.len;
                files++;
                buf_free(&text);
                buf_free(&out);
        }
        if (d)
                closedir(d);
        tap_ok(total >= 1024 * 1024, "benign corpus: %zu bytes in %zu files (at least 1 MiB)", total, files);
        tap_ok(changed == 0, "benign corpus: zero redactions with secrets, pii and secrets-broad on");
}

static char *first_sample(const char *kind)
{
        struct sample s[64];
        size_t n = read_samples(kind, s, ARRAY_SIZE(s));
        char *v = n ? strdup(s[0].secret) : strdup("");
        for (size_t i = 0; i < n; i++)
                free_sample(&s[i]);
        return v;
}

static void test_allow_custom(struct redactor *r)
{
        struct redact_sel sel = redactor_results(r);
        struct buf out = { 0 };
        const char *t = "mail test@example.com and build-42@ci.example.org, not other@example.com";
        unsigned counts[64] = { 0 };
        int rc = redact_string(r, sel, t, strlen(t), &out, counts);
        buf_append(&out, "", 1);
        tap_is_str(out.data, "mail test@example.com and build-42@ci.example.org, not [REDACTED:email]",
                   "allow literal and allow pattern are never redacted; the rest is");
        tap_ok(rc == 1 && counts[kind_id(r, "email")] == 1, "only the one email counted");
        buf_reset(&out);
        memset(counts, 0, sizeof(counts));
        t = "EMP-123456 filed ticket=ABC1234; EMP-12345 is too short";
        redact_string(r, sel, t, strlen(t), &out, counts);
        buf_append(&out, "", 1);
        tap_is_str(out.data, "[REDACTED:employee_id] filed ticket=[REDACTED:ticket]; EMP-12345 is too short",
                   "custom patterns redact under their own name; a group named v limits the span");
        tap_ok(counts[kind_id(r, "employee_id")] == 1 && counts[kind_id(r, "ticket")] == 1, "custom kinds counted");
        json_t *obj = json_object();
        redactor_counts_json(r, counts, obj);
        redactor_counts_json(r, counts, obj);
        tap_ok(json_integer_value(json_object_get(obj, "employee_id")) == 2 && json_object_size(obj) == 2,
               "counts accumulate into the audit object by kind name");
        json_decref(obj);
        buf_free(&out);
}

static void test_env(void)
{
        struct sample s[16];
        size_t n = read_samples("env_secret", s, ARRAY_SIZE(s));
        const char *env[18] = { 0 };
        for (size_t i = 0; i < n; i++)
                env[i] = s[i].secret;
        env[n] = "short1";
        struct redactor *r = make("{\"mcp\":{\"redact\":{\"results\":[],\"arguments\":[]}}}", env);
        size_t hit = 0;
        for (size_t i = 0; r && i < n; i++) {
                _cleanup_free_ char *t = NULL;
                if (asprintf(&t, "value=%s; again: %s.", s[i].secret, s[i].secret) < 0)
                        continue;
                struct buf out = { 0 };
                unsigned counts[64] = { 0 };
                redact_string(r, redactor_results(r), t, strlen(t), &out, counts);
                buf_append(&out, "", 1);
                hit += !strcmp(out.data, "value=[REDACTED:env_secret]; again: [REDACTED:env_secret].") &&
                       counts[kind_id(r, "env_secret")] == 2;
                buf_free(&out);
        }
        tap_ok(n >= 10 && hit == n, "env.from_file secrets: every occurrence, even with results catalogues off (%zu/%zu)", hit, n);
        struct buf out = { 0 };
        tap_ok(r && redact_string(r, redactor_results(r), "id short1 ok", 12, &out, NULL) == 0,
               "an env secret under 8 bytes is not redacted (warned instead)");
        tap_ok(r && redact_string(r, redactor_arguments(r), s[0].secret, strlen(s[0].secret), &out, NULL) == 0,
               "env secrets are not applied to arguments");
        buf_free(&out);
        for (size_t i = 0; i < n; i++)
                free_sample(&s[i]);
        redactor_free(r);
}

static void test_selections(struct redactor *r)
{
        _cleanup_free_ char *email = first_sample("email");
        _cleanup_free_ char *gh = first_sample("github_token");
        _cleanup_free_ char *t = NULL;
        if (asprintf(&t, "{\"a\":\"%s\",\"b\":\"%s\"}", email, gh) < 0)
                return;
        struct buf out = { 0 };
        struct mc_error err = { 0 };
        unsigned counts[64] = { 0 };
        int rc = redact_message(r, redactor_arguments(r), t, strlen(t), "", &out, counts, &err);
        tap_ok(rc == 1 && counts[kind_id(r, "github_token")] == 1 && counts[kind_id(r, "email")] == 0,
               "arguments: the arguments list (secrets) applies, pii does not");
        json_t *rules = json_pack("{s:[],s:[s]}", "quiet", "mail", "pii");
        struct redact_sel sel;
        rc = redactor_sel_list(r, json_object_get(rules, "quiet"), &sel, &err);
        buf_reset(&out);
        tap_ok(rc == 0 && redact_message(r, sel, t, strlen(t), "", &out, NULL, &err) == 0,
               "a tool rule's redact [] turns result redaction off for it");
        memset(counts, 0, sizeof(counts));
        rc = redactor_sel_list(r, json_object_get(rules, "mail"), &sel, &err);
        buf_reset(&out);
        tap_ok(rc == 0 && redact_message(r, sel, t, strlen(t), "", &out, counts, &err) == 1 &&
               counts[kind_id(r, "email")] == 1 && counts[kind_id(r, "github_token")] == 0,
               "a tool rule's list replaces the results list");
        json_t *bad = json_pack("[s]", "passwords");
        tap_ok(redactor_sel_list(r, bad, &sel, &err) == -EINVAL, "an unknown catalogue name is refused");
        json_decref(bad);
        json_decref(rules);
        buf_reset(&out);
        const char *clean = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"all fine: 42 files\"}]}}";
        tap_ok(redact_message(r, redactor_results(r), clean, strlen(clean), "/result", &out, NULL, &err) == 0 && out.len == 0,
               "a clean message is reported unchanged and nothing is built");
        _cleanup_free_ char *keyed = NULL;
        if (asprintf(&keyed, "{\"result\":{\"%s\":1}}", gh) > 0)
                tap_ok(redact_message(r, redactor_results(r), keyed, strlen(keyed), "/result", &out, NULL, &err) == 0,
                       "object keys are never rewritten");
        buf_free(&out);
}

/* A string shorter than every rule's shortest match is not scanned: the bound comes from
 * each rule (a custom two-byte pattern brings it down to two), never from a guess. */
static void test_shortest(struct redactor *full)
{
        tap_ok(full->min_match >= 5 && full->min_match <= 12,
               "every catalogue: nothing shorter than %zu bytes is scanned", full->min_match);
        struct redactor *r = make("{\"mcp\":{\"redact\":{\"results\":[\"pii\"],\"custom\":{\"two\":\"zz\"}}}}", NULL);
        if (!tap_ok(r != NULL, "a redactor with a two-byte custom pattern"))
                return;
        struct buf out = { 0 };
        unsigned counts[64] = { 0 };
        tap_ok(r->min_match == 2, "its shortest match is two bytes (%zu)", r->min_match);
        int rc = redact_string(r, redactor_results(r), "zz", 2, &out, counts);
        buf_append(&out, "", 1);
        tap_is_str(rc == 1 ? out.data : "(unchanged)", "[REDACTED:two]", "a string of exactly that length is redacted");
        buf_reset(&out);
        tap_ok(redact_string(r, redactor_results(r), "z", 1, &out, counts) == 0, "a shorter one is not");
        buf_free(&out);
        redactor_free(r);
}

static void test_not_compiled(void)
{
        struct redactor *r = make("{\"mcp\":{\"redact\":{\"results\":[\"secrets\"],\"arguments\":[]}}}", NULL);
        json_t *l = json_pack("[s]", "pii");
        struct redact_sel sel;
        struct mc_error err = { 0 };
        tap_ok(r && redactor_sel_list(r, l, &sel, &err) == -EINVAL,
               "a catalogue the policy never named was not compiled and cannot be selected");
        _cleanup_free_ char *email = first_sample("email");
        struct buf out = { 0 };
        tap_ok(r && redact_string(r, redactor_results(r), email, strlen(email), &out, NULL) == 0,
               "the default results list (secrets) leaves emails alone");
        buf_free(&out);
        json_decref(l);
        redactor_free(r);
        json_t *broken = json_pack("{s:{s:{s:[s]}}}", "mcp", "redact", "results", "secretz");
        r = NULL;
        tap_ok(redactor_new(broken, NULL, &r, &err) == -EINVAL && strstr(err.msg, "/mcp/redact/results/0"),
               "an unknown catalogue is an error naming its pointer");
        json_decref(broken);
}

/* gate_block_padded skips the chunks of a padded copy that hold only zeros: the same bits
 * as gate_block64 for every length, with and without digit rules. */
static void test_gate_padded(void)
{
        static const char alphabet[] = "0123456789AZQaz_-k@ x.";
        struct gate g;
        unsigned seed = 12345;
        bool same = true;
        for (int digits = 0; digits < 2 && same; digits++) {
                gate_init(&g, (const unsigned char *)"_-k@", 4, digits);
                for (int round = 0; round < 2000 && same; round++) {
                        unsigned char pad[GATE_READ + 1] = { 0 };
                        size_t avail = (size_t)(round % (GATE_READ + 1));
                        seed = seed * 1103515245u + 12345u;
                        pad[0] = (unsigned char)alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
                        for (size_t i = 0; i < avail; i++) {
                                seed = seed * 1103515245u + 12345u;
                                pad[1 + i] = (unsigned char)alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
                        }
                        uint64_t want = gate_block64(&g, pad + 1), got = gate_block_padded(&g, pad + 1, avail);
                        if (want != got) {
                                printf("# digits=%d avail=%zu want=%016llx got=%016llx\n", digits, avail,
                                       (unsigned long long)want, (unsigned long long)got);
                                same = false;
                        }
                }
        }
        tap_ok(same, "the gate on a padded copy classifies only what the text fills: same bits at every length");
}

/* The gate's meaning, byte by byte: a trigger byte, a group of four digits not preceded by a
 * digit or a letter, or two capitals and two digits. In a padded copy (`avail` < GATE_READ)
 * trigger bits come only from the 16-byte chunks that hold text: what the SSE2 path
 * classifies, which matters only where 0 is a trigger byte. */
static bool ref_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool ref_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static bool ref_word(unsigned char c) { return ref_digit(c) || ref_upper(c) || (c >= 'a' && c <= 'z'); }

static uint64_t ref_gate(const unsigned char *bytes, unsigned n, bool digits, const unsigned char *t,
                         size_t avail)
{
        uint64_t m = 0;
        size_t live = avail >= 64 ? 64 : (avail + 15) / 16 * 16;
        for (size_t k = 0; k < 64; k++) {
                bool hit = false;
                for (unsigned i = 0; i < n && k < live; i++)
                        hit |= t[k] == bytes[i];
                if (digits) {
                        hit |= ref_digit(t[k]) && ref_digit(t[k + 1]) && ref_digit(t[k + 2]) && ref_digit(t[k + 3]) &&
                               !ref_word(t[(ptrdiff_t)k - 1]);
                        hit |= ref_upper(t[k]) && ref_upper(t[k + 1]) && ref_digit(t[k + 2]) && ref_digit(t[k + 3]);
                }
                m |= (uint64_t)hit << k;
        }
        return m;
}

/* A byte that exercises the classes and their edges: digits in runs, capitals, letters, the
 * neighbours of each range, separators, trigger bytes, bytes >= 0x80 that are a class byte
 * with the top bit set, and zeros. */
static unsigned char gate_byte(unsigned *seed, const unsigned char *bytes, unsigned n, unsigned mix)
{
        static const char edges[] = "/:@[`{09AZaz -._\x7f";
        static const unsigned char high[] = { 0x80, 0xb0, 0xb9, 0xc1, 0xda, 0xe1, 0xfa, 0xff, 0xa0, 0xdf };
        unsigned r = tap_rand(seed) % 16;
        if (mix == 0)
                return (unsigned char)tap_rand(seed);
        if (r < 6)
                return (unsigned char)('0' + tap_rand(seed) % 10);
        if (r < 8)
                return (unsigned char)('A' + tap_rand(seed) % 26);
        if (r < 9)
                return (unsigned char)('a' + tap_rand(seed) % 26);
        if (r < 11)
                return (unsigned char)edges[tap_rand(seed) % (sizeof(edges) - 1)];
        if (r < 13 && n)
                return bytes[tap_rand(seed) % n];
        if (r < 15)
                return high[tap_rand(seed) % sizeof(high)];
        return 0;
}

/* The AVX-512 run of blocks and the AVX2 path (where the CPU has them) against the SSE2
 * path against ref_gate, for every entry point, on random and adversarial blocks: no trigger bytes, one (the compare loop), a
 * few and 32 ASCII ones (the nibble tables, with 0 and 0x7f at their edges), and sets with
 * bytes >= 0x80 (the compare loop again), each with and without digit rules. */
static void test_gate_paths(void)
{
        static const struct {
                const char *bytes;
                unsigned n;
        } sets[] = {
                { "", 0 },
                { "@", 1 },
                { "_-k@", 4 },
                { "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", 32 },
                { "\0\x7f" "Az\x10p~", 7 },
                { "_-k@\x80", 5 },
                { "_-k@\x80\xc3\xff", 7 },
                { "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}\xe2", 32 },
        };
        enum { MAXB = 6, LEN = 64 * (MAXB - 1) + GATE_READ };
        unsigned seed = 4242;
        size_t checked = 0, bad = 0;
        bool avx2 = false, avx512 = false;
        for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
                const unsigned char *bytes = (const unsigned char *)sets[s].bytes;
                unsigned n = sets[s].n;
                for (int digits = 0; digits < 2; digits++) {
                        struct gate fast, mid, sse;
                        gate_init(&fast, bytes, n, digits);
                        gate_init(&mid, bytes, n, digits);
                        gate_init(&sse, bytes, n, digits);
                        mid.avx512 = false;
                        sse.avx2 = sse.avx512 = false;
                        avx2 |= fast.avx2;
                        avx512 |= fast.avx512;
                        for (int round = 0; round < 3000; round++) {
                                unsigned char buf[1 + LEN];
                                unsigned mix = round % 4;
                                for (size_t i = 0; i < sizeof(buf); i++)
                                        buf[i] = gate_byte(&seed, bytes, n, mix);
                                const unsigned char *t = buf + 1;
                                /* whole blocks, one at a time and as a run */
                                size_t nb = 1 + tap_rand(&seed) % MAXB;
                                uint64_t run_fast[MAXB], run_mid[MAXB], run_sse[MAXB];
                                gate_blocks(&fast, t, nb, run_fast);
                                gate_blocks(&mid, t, nb, run_mid);
                                gate_blocks(&sse, t, nb, run_sse);
                                for (size_t b = 0; b < nb; b++) {
                                        uint64_t want = ref_gate(bytes, n, digits, t + 64 * b, GATE_READ);
                                        uint64_t got[5] = { gate_block64(&fast, t + 64 * b), gate_block64(&sse, t + 64 * b),
                                                            run_fast[b], run_mid[b], run_sse[b] };
                                        for (int j = 0; j < 5; j++, checked++)
                                                if (got[j] != want && bad++ < 5)
                                                        printf("# set %zu digits=%d block %zu of %zu: path %d %016llx, "
                                                               "reference %016llx\n", s, digits, b, nb, j,
                                                               (unsigned long long)got[j], (unsigned long long)want);
                                }
                                /* a padded copy: text, then zeros up to GATE_READ */
                                size_t avail = tap_rand(&seed) % (GATE_READ + 1);
                                memset(buf + 1 + avail, 0, GATE_READ - avail);
                                uint64_t want = ref_gate(bytes, n, digits, t, avail);
                                uint64_t got[2] = { gate_block_padded(&fast, t, avail), gate_block_padded(&sse, t, avail) };
                                for (int j = 0; j < 2; j++, checked++)
                                        if (got[j] != want && bad++ < 5)
                                                printf("# set %zu digits=%d padded avail=%zu: path %d %016llx, "
                                                       "reference %016llx\n", s, digits, avail, j,
                                                       (unsigned long long)got[j], (unsigned long long)want);
                        }
                }
        }
        if (!avx2)
                printf("# no AVX2 on this CPU: the SSE2 path against the reference only\n");
        else if (!avx512)
                printf("# no AVX-512BW on this CPU: the AVX2 and SSE2 paths against the reference\n");
        tap_ok(bad == 0, "the gate's AVX-512, AVX2 and SSE2 paths equal a byte-by-byte reference (%zu of %zu results "
               "differ)", bad, checked);
}

/* The scan skips a digit run shorter than REDACT_RUN_MIN_DIGITS without asking the rules
 * unless two capitals stand before it: every digit rule must refuse such a run by itself.
 * Each shape of one to three groups with fewer digits, after a space, a lower-case letter,
 * a "+" or one capital. */
static void test_short_runs(void)
{
        static const char before[][3] = { "x ", "xa", "x+", " A", "a(" };
        static const char seps[] = { ' ', '-', '.', '(', ')' };
        unsigned asked = 0, accepted = 0;
        for (size_t k = 0; k < redact_rules_count; k++) {
                const struct rule_def *d = &redact_rules[k];
                if (!d->run_ok)
                        continue;
                for (unsigned code = 0; code < 7 * 7 * 7; code++) {
                        unsigned g[3] = { code % 7, code / 7 % 7, code / 49 % 7 };
                        unsigned groups = g[2] ? 3 : g[1] ? 2 : 1;
                        if (!g[0] || (groups == 3 && !g[1]) || g[0] + g[1] + g[2] >= REDACT_RUN_MIN_DIGITS)
                                continue;
                        for (size_t b = 0; b < sizeof(before) / sizeof(before[0]); b++)
                                for (size_t sp = 0; sp < sizeof(seps); sp++) {
                                        char text[32];
                                        struct run_shape sh = { .digits = g[0] + g[1] + g[2], .groups = groups };
                                        size_t n = 0;
                                        memcpy(text, before[b], 2);
                                        n = 2;
                                        for (unsigned i = 0; i < groups; i++) {
                                                if (i)
                                                        text[n++] = seps[sp];
                                                for (unsigned j = 0; j < g[i]; j++)
                                                        text[n++] = (char)('2' + (j + i) % 8);
                                                sh.glen[i] = (unsigned char)g[i];
                                                sh.sep[i] = i + 1 < groups ? seps[sp] : 0;
                                        }
                                        sh.end = n;
                                        text[n++] = ' ';
                                        text[n] = '\0';
                                        asked++;
                                        if (d->run_ok(text, 2, &sh)) {
                                                if (accepted++ < 3)
                                                        printf("#   %s takes \"%s\"\n", d->kind, text);
                                        }
                                }
                }
        }
        tap_ok(asked > 1000 && accepted == 0,
               "no digit rule takes a run of fewer than %d digits without two capitals before it "
               "(%u shapes asked)", REDACT_RUN_MIN_DIGITS, asked);
}

/* A rule's pre test runs at its anchor before the regex, so it must never refuse where the
 * regex would match: over generated texts around each such anchor, where the anchored regex
 * matches from the start the scan's walk back reaches, the pre test must say yes. The texts
 * are pieces of addresses, names and assignments put together at random. */
static const char *const pre_before[] = {
        "a", "Zb9", "user", "x.y", "_", "%", "+", "-", ".", " ", "\"", "'", "https", "git",
        "api_key", "(", "a1", "\\", "/",
};
static const char *const pre_after[] = {
        "a", "b9", "example", "c", "-", ".", "com", "io", ":", "/", "//", "@", "#", "?", " ",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "~", "\\",
        "pass", "1", "Z", "=", "\"", "'", "\t", "<", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789a",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789a.io",
        "Secr3tValu3Xy9", "%", "_", "+", "\n", "example.com", "b9.io", "mail.example.org",
        "github.com:org", "user:pass@h", "u:p@", "pass@", ": ", "\v", "\r\n",
        "1.3.16-beta", "-b.io", "c-d.de", ":.", ":-", ".x:y",
};

static size_t pre_piece(char *text, size_t n, size_t cap, const char *const *pieces, size_t n_pieces,
                        unsigned *seed)
{
        const char *p = pieces[tap_rand(seed) % n_pieces];
        size_t l = strlen(p);
        if (n + l < cap) {
                memcpy(text + n, p, l);
                n += l;
        }
        return n;
}

static void test_pre_tests(void)
{
        unsigned seed = 12345;
        pcre2_match_data *md = pcre2_match_data_create(8, NULL);
        for (size_t k = 0; k < redact_rules_count; k++) {
                const struct rule_def *d = &redact_rules[k];
                if (!d->pre || !d->anchors)
                        continue;
                pcre2_code *re = NULL;
                if (redact_compile(d->pattern, PCRE2_ANCHORED, &re, d->kind, NULL) < 0) {
                        tap_ok(false, "%s: pattern compiles", d->kind);
                        continue;
                }
                unsigned matched = 0, refused = 0, wrong = 0;
                for (unsigned iter = 0; iter < 40000; iter++) {
                        char text[512];
                        size_t n = 0, alen = strlen(d->anchors[0]);
                        for (unsigned i = tap_rand(&seed) % 5; i > 0; i--)
                                n = pre_piece(text, n, 200, pre_before, sizeof(pre_before) / sizeof(pre_before[0]), &seed);
                        size_t a = n;
                        memcpy(text + n, d->anchors[0], alen);
                        n += alen;
                        for (unsigned i = tap_rand(&seed) % 7; i > 0; i--)
                                n = pre_piece(text, n, sizeof(text) - 1, pre_after, sizeof(pre_after) / sizeof(pre_after[0]), &seed);
                        text[n] = '\0';
                        /* where the scan would run it: walked back over the rule's back bytes */
                        size_t s = a;
                        while (d->back && s > 0 && a - s < d->max_back && strchr(d->back, text[s - 1]))
                                s--;
                        bool any = pcre2_match(re, (PCRE2_SPTR)text, n, s, 0, md, NULL) > 0;
                        bool pre = d->pre(text, n, a, alen);
                        matched += any;
                        refused += !pre;
                        if (any && !pre && wrong++ < 3)
                                printf("#   %s: pre refuses \"%s\" where the regex matches\n", d->kind, text);
                }
                pcre2_code_free(re);
                tap_ok(wrong == 0 && matched > 500 && refused > 1000,
                       "%s: the pre test never refuses where the regex matches (%u matches, %u refusals "
                       "of 40000)", d->kind, matched, refused);
        }
        pcre2_match_data_free(md);
}

int main(void)
{
        test_pre_tests();
        test_short_runs();
        test_gate_padded();
        test_gate_paths();
        struct redactor *r = make(full_policy, NULL);
        tap_ok(r != NULL, "redactor compiled from a policy with every catalogue, custom patterns and allow entries");
        if (!r)
                return tap_done();
        test_recall(r);
        test_benign(r);
        test_allow_custom(r);
        test_selections(r);
        test_shortest(r);
        redactor_free(r);
        test_env();
        test_not_compiled();
        return tap_done();
}
