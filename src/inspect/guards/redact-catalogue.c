/* The built-in catalogues of policy.md: one row per rule, with the literal that gates it,
 * its PCRE2 pattern (matched anchored where the literal occurs) and its validator. The
 * token formats follow the issuers' published prefixes and lengths; what each rule matches
 * and refuses is documented in mcpcage-policy(5) ("Redaction catalogues"). */
#include <string.h>
#include <strings.h>

#include "inspect/guards/redact-internal.h"
#include "inspect/guards/validators.h"

#define A(...) (const char *const[]){ __VA_ARGS__, NULL }

/* Left and right edges of a token: a key is never the middle of a longer word. */
#define L "(?<![A-Za-z0-9_-])"
#define R "(?![A-Za-z0-9_-])"
/* Digit shapes end where a longer number, a word or a dotted/dashed number would go on. */
#define DL "(?<![\\w.+/-])"
#define DR "(?![\\w/]|[.-][0-9])"

static bool check_card(const char *t, size_t n, size_t s, size_t e)
{
        (void)n;
        return validate_card(t + s, e - s);
}

static bool check_iban(const char *t, size_t n, size_t s, size_t e)
{
        (void)n;
        return validate_iban(t + s, e - s);
}

/* The dashed form stands on its own; spaced or plain nine digits need "SSN" nearby. */
static bool check_ssn(const char *t, size_t n, size_t s, size_t e)
{
        (void)n;
        if (!validate_ssn(t + s, e - s))
                return false;
        return memchr(t + s, '-', e - s) || validate_ssn_context(t, s);
}

static bool check_phone(const char *t, size_t n, size_t s, size_t e)
{
        (void)n;
        return validate_phone(t, s, e);
}

/* Generated keys mix cases or digits; "sk-learn-pipeline-example" does not. */
static bool check_mixed(const char *t, size_t n, size_t s, size_t e)
{
        (void)n;
        bool up = false, low = false, dig = false;
        for (size_t i = s; i < e; i++) {
                char c = t[i];
                up |= c >= 'A' && c <= 'Z';
                low |= c >= 'a' && c <= 'z';
                dig |= c >= '0' && c <= '9';
        }
        return (up + low + dig) >= 2 && entropy_bits(t + s, e - s) >= 3.0;
}

/* OpenAI keys are random over upper, lower and digits; library names after "sk-" are not. */
static bool check_random(const char *t, size_t n, size_t s, size_t e)
{
        (void)n;
        bool up = false, dig = false;
        for (size_t i = s; i < e; i++) {
                up |= t[i] >= 'A' && t[i] <= 'Z';
                dig |= t[i] >= '0' && t[i] <= '9';
        }
        return up && dig;
}

/* "icon@2x.png" is a retina image name, not an address. */
static bool check_email(const char *t, size_t n, size_t s, size_t e)
{
        static const char *const ext[] = { "png", "jpg", "jpeg", "gif", "svg", "webp", "ico",
                                           "js", "mjs", "css", "map", "json", "txt", "md",
                                           "html", "pdf", "zip", "gz", "tar", NULL };
        (void)n;
        const char *dot = memrchr(t + s, '.', e - s);
        size_t tl = dot ? (size_t)(t + e - dot - 1) : 0;
        for (const char *const *x = ext; dot && *x; x++)
                if (strlen(*x) == tl && !strncasecmp(dot + 1, *x, tl))
                        return false;
        return true;
}

/* Userinfo needs an '@' before the URL's host ends; most URLs have none. A table, not a
 * strchr per byte: this runs for every "://" in the text. */
static bool pre_userinfo(const char *t, size_t n, size_t a, size_t alen)
{
        static const bool stop[256] = { [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, ['/'] = 1,
                                        ['"'] = 1, ['\''] = 1, ['<'] = 1, ['>'] = 1, ['?'] = 1,
                                        ['#'] = 1, ['\\'] = 1, ['\0'] = 1 };
        (void)alen;
        for (size_t i = a + 3; i < n && i < a + 600; i++) {
                unsigned char c = (unsigned char)t[i];
                if (c == '@')
                        return true;
                if (stop[c])
                        return false;
        }
        return false;
}

static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

static bool is_alpha(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

/* A byte of a domain label: [A-Za-z0-9-], as the email pattern has it. */
static bool is_label(char c) { return is_alnum(c) || c == '-'; }

/* The rest of an address's domain from its first '.' (at dot): the pattern needs a '.' and
 * two letters (the top-level domain), which "metric@1.3.16-beta.2" has not. A domain
 * followed by ':' and a path is an ssh address the pattern's lookahead refuses
 * ("git@github.com:org/repo"); with a second dot an address can still end at an inner '.'
 * ("git@a.b.c:x" holds "git@a.b"), so then the pattern decides. A domain past 320 bytes
 * (the pattern's window) is left to it too. */
static bool domain_may_match(const char *t, size_t n, size_t dot)
{
        bool tld = false;
        unsigned dots = 0;
        size_t i = dot;
        for (; i < n && i - dot < 320; i++) {
                if (t[i] == '.') {
                        dots++;
                        tld |= i + 2 < n && is_alpha(t[i + 1]) && is_alpha(t[i + 2]);
                } else if (!is_label(t[i])) {
                        break;
                }
        }
        if (i - dot >= 320)
                return true;
        bool ssh = i + 1 < n && t[i] == ':' && (is_alnum(t[i + 1]) || t[i + 1] == '~' || t[i + 1] == '/');
        return tld && (!ssh || dots >= 2);
}

/* What the email pattern needs around its '@' before PCRE2 is asked: a local-part byte
 * before it, then a label of letters, digits and '-' starting with a letter or digit and
 * ended by a '.', and a domain that may match. Decorators ("@Override"), npm scopes
 * ("@types/node"), handles, package versions and git remotes stop here. */
static bool pre_email(const char *t, size_t n, size_t a, size_t alen)
{
        (void)alen;
        if (a == 0 || a + 2 >= n)
                return false;
        char b = t[a - 1];
        if (!is_alnum(b) && b != '.' && b != '_' && b != '%' && b != '+' && b != '-')
                return false;
        size_t i = a + 1;
        if (!is_alnum(t[i]))
                return false;
        while (i < n && i - a <= 63 && is_label(t[i]))
                i++;
        return i < n && t[i] == '.' && domain_may_match(t, n, i);
}

/* An assignment follows the name: optional quote, up to three spaces, then ':' or '='.
 * "getToken()", "token_type" and "tokens" stop here, before any regex. */
static bool pre_assignment(const char *t, size_t n, size_t a, size_t alen)
{
        size_t i = a + alen;
        if (i < n && t[i] == '\\')
                i++;
        if (i < n && (t[i] == '"' || t[i] == '\''))
                i++;
        /* PCRE2's \s: a name and its ':' on two lines is still an assignment */
        for (size_t k = 0; k < 3 && i < n && (t[i] == ' ' || (t[i] >= '\t' && t[i] <= '\r')); k++)
                i++;
        return i < n && (t[i] == ':' || t[i] == '=');
}

static bool check_value(const char *t, size_t n, size_t s, size_t e)
{
        (void)n;
        return validate_secret_value(t + s, e - s);
}

/* Cheap refusals on the shape of a digit run, before any regex: most runs in logs and API
 * responses are dates, times, ids and counters. */
static bool run_card(const char *t, size_t p, const struct run_shape *sh)
{
        return sh->digits >= 12 && (sh->digits <= 19 || sh->groups > 1) && t[p] >= '2' && t[p] <= '6';
}

/* "GB82 WEST ...": the check digits may be the whole run. A letter or digit before the
 * country code (base64, identifiers) rules it out. */
static bool run_iban(const char *t, size_t p, const struct run_shape *sh)
{
        return p >= 2 && is_upper(t[p - 1]) && is_upper(t[p - 2]) && sh->glen[0] >= 2 &&
               (p == 2 || !is_alnum(t[p - 3]));
}

static bool run_ssn(const char *t, size_t p, const struct run_shape *sh)
{
        (void)t; (void)p;
        if (sh->groups == 1)
                return sh->digits == 9;
        return sh->groups == 3 && sh->glen[0] == 3 && sh->glen[1] == 2 && sh->glen[2] == 4 &&
               sh->sep[0] == sh->sep[1] && (sh->sep[0] == '-' || sh->sep[0] == ' ');
}

static bool run_phone(const char *t, size_t p, const struct run_shape *sh)
{
        if (sh->digits < 7 || sh->digits > 15)
                return false;
        /* 2024-01-15 is a date, not a number to call */
        if (sh->groups == 3 && sh->glen[0] == 4 && sh->glen[1] == 2 && sh->glen[2] == 2)
                return false;
        return sh->groups >= 2 || (p > 0 && t[p - 1] == '+');
}

const struct rule_def redact_rules[] = {
        { .kind = "aws_access_key_id", .catalogue = CAT_SECRETS,
          .anchors = A("AKIA", "ASIA", "ABIA", "ACCA"), .window = 20,
          .pattern = "(?<![A-Za-z0-9/+=])A(?:KI|SI|BI|CC)A[A-Z2-7]{16}(?![A-Za-z0-9/+=])" },
        /* A bare 40-character base64 string is as often a hash as a key: only with the
         * name of what it is in front of it. */
        { .kind = "aws_secret_access_key", .catalogue = CAT_SECRETS,
          .anchors = A("secret_access_key", "SECRET_ACCESS_KEY", "SecretAccessKey",
                       "secretAccessKey", "aws_secret_key", "AWS_SECRET_KEY",
                       "secret access key", "Secret Access Key", "Secret access key"),
          .window = 120,
          .pattern = "(?i:secret_?access_?key|aws_secret_key|secret access key)[\"']?"
                     "\\s{0,4}(?:=>|:=|[:=])\\s{0,4}\\\\?[\"']?(?<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])" },
        { .kind = "github_token", .catalogue = CAT_SECRETS,
          .anchors = A("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), .window = 260,
          .pattern = L "(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})" R },
        { .kind = "gitlab_token", .catalogue = CAT_SECRETS,
          .anchors = A("glpat-", "gldt-", "glrt-", "glptt-", "glsoat-", "glcbt-", "glft-",
                       "glimt-", "glagent-", "gloas-", "GR1348941"),
          .window = 300,
          .pattern = L "(?:gl(?:pat|dt|rt|ptt|soat|cbt|ft|imt|agent|oas)-|GR1348941)"
                     "[A-Za-z0-9_-]{20,255}(?:\\.[0-9a-z]{2}\\.[0-9a-z]{9})?" R,
          .check = check_mixed },
        { .kind = "anthropic_key", .catalogue = CAT_SECRETS,
          .anchors = A("sk-ant-"), .window = 300,
          .pattern = L "sk-ant-(?:api|admin|oat|ort|sid)[0-9]{2}-[A-Za-z0-9_-]{32,250}" R },
        { .kind = "openai_key", .catalogue = CAT_SECRETS,
          .anchors = A("sk-"), .window = 300,
          .pattern = L "sk-(?!ant-)(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,250}" R,
          .check = check_random },
        { .kind = "slack_token", .catalogue = CAT_SECRETS,
          /* "xoxe.xoxp-…" is found at its "xoxp-" */
          .anchors = A("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-"),
          .window = 260,
          .pattern = L "xox(?:[abprs]|e(?:\\.xox[bp])?)-[0-9A-Za-z-]{10,250}" R },
        { .kind = "slack_webhook", .catalogue = CAT_SECRETS,
          .anchors = A("hooks.slack.com/"), .window = 200,
          .pattern = "hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,180}" },
        { .kind = "google_api_key", .catalogue = CAT_SECRETS,
          .anchors = A("AIza"), .window = 39,
          .pattern = L "AIza[0-9A-Za-z_-]{35}" R },
        /* In a service-account file the key id names the private key (itself caught by
         * private_key, escaped newlines and all). */
        { .kind = "gcp_service_account", .catalogue = CAT_SECRETS,
          .anchors = A("private_key_id"), .window = 80,
          .pattern = "private_key_id\\\\?[\"']?\\s{0,4}[:=]\\s{0,4}\\\\?[\"']?(?<v>[0-9a-f]{40})(?![0-9a-f])" },
        { .kind = "stripe_key", .catalogue = CAT_SECRETS,
          .anchors = A("sk_live_", "rk_live_", "sk_test_", "rk_test_"), .window = 260,
          .pattern = "(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[0-9A-Za-z]{24,247}(?![A-Za-z0-9_])" },
        { .kind = "npm_token", .catalogue = CAT_SECRETS,
          .anchors = A("npm_"), .window = 40,
          .pattern = "(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])" },
        { .kind = "pypi_token", .catalogue = CAT_SECRETS,
          .anchors = A("pypi-AgE"), .window = 400,
          .pattern = L "pypi-AgE[A-Za-z0-9_-]{50,390}" R },
        { .kind = "huggingface_token", .catalogue = CAT_SECRETS,
          .anchors = A("hf_"), .window = 37,
          .pattern = "(?<![A-Za-z0-9_])hf_[A-Za-z]{34}(?![A-Za-z0-9_])",
          .check = check_mixed },
        { .kind = "azure_storage_key", .catalogue = CAT_SECRETS,
          .anchors = A("AccountKey="), .window = 100,
          .pattern = "AccountKey=(?<v>[A-Za-z0-9+/]{86}==)" },
        { .kind = "sendgrid_key", .catalogue = CAT_SECRETS,
          .anchors = A("SG."), .window = 69,
          .pattern = L "SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}" R },
        { .kind = "twilio_key", .catalogue = CAT_SECRETS,
          .anchors = A("SK"), .window = 34,
          .pattern = "(?<![A-Za-z0-9_])SK[0-9a-fA-F]{32}(?![A-Za-z0-9_])" },
        /* Newlines may be real or still escaped ("\\n"): a key file pasted into a JSON
         * string inside a string. Without an END line the rest of the body goes too. */
        { .kind = "private_key", .catalogue = CAT_SECRETS,
          .anchors = A("-----BEGIN "), .window = 20000,
          .pattern = "-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
                     "(?:[\\s\\S]*?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
                     "|(?:\\\\[rn]|[\\s\\w+/=:,.-])*)" },
        { .kind = "jwt", .catalogue = CAT_SECRETS,
          .anchors = A("eyJ"), .window = 8192,
          .pattern = L "eyJ[A-Za-z0-9_-]{8,4000}\\.eyJ[A-Za-z0-9_-]{4,4000}\\.[A-Za-z0-9_-]{0,1000}" R },
        { .kind = "url_credentials", .catalogue = CAT_SECRETS,
          .anchors = A("://"), .back = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-",
          .max_back = 32, .window = 600, .pre = pre_userinfo,
          .pattern = "[A-Za-z][A-Za-z0-9+.-]*://(?<v>[^\\s/?#@:\"'<>\\\\]{1,200}:[^\\s/?#@\"'<>\\\\]{1,300})@" },

        /* pii */
        { .kind = "email", .catalogue = CAT_PII,
          .anchors = A("@"), .back = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-",
          .max_back = 64, .window = 320, .pre = pre_email,
          .pattern = "(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
                     "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,24}"
                     /* git@github.com:org/repo is an ssh address */
                     "(?![A-Za-z0-9-]|:[A-Za-z0-9~/])",
          .check = check_email },
        { .kind = "credit_card", .catalogue = CAT_PII, .trigger = TRIGGER_DIGITS, .run_ok = run_card,
          .window = 40,
          .pattern = DL "[0-9](?:[ -]?[0-9]){11,18}" DR, .check = check_card },
        { .kind = "iban", .catalogue = CAT_PII, .trigger = TRIGGER_DIGITS, .run_ok = run_iban,
          .back = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", .max_back = 2, .window = 48,
          .pattern = "(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])",
          .check = check_iban },
        { .kind = "ssn", .catalogue = CAT_PII, .trigger = TRIGGER_DIGITS, .run_ok = run_ssn,
          .window = 12,
          .pattern = DL "(?:[0-9]{3}([ -])[0-9]{2}\\1[0-9]{4}|[0-9]{9})" DR, .check = check_ssn },
        { .kind = "phone", .catalogue = CAT_PII, .trigger = TRIGGER_DIGITS, .run_ok = run_phone,
          .back = "+(", .max_back = 2, .window = 24,
          .pattern = DL "(?:\\+[0-9]{1,3}[ .-]?)?(?:\\([0-9]{2,4}\\)[ .-]?|[0-9]{1,4}[ .-]?)?"
                     "[0-9]{3,4}[ .-]?[0-9]{3,4}" DR,
          .check = check_phone },

        /* secrets-broad: a value assigned to something named like a secret, and the
         * Authorization header schemes. Bare high-entropy strings are not redacted: git
         * SHAs, SRI digests and base64 data look the same (see the benign corpus). */
        { .kind = "generic_secret", .catalogue = CAT_BROAD, .broad = true,
          .anchors = A("api_key", "api-key", "apiKey", "apikey", "ApiKey", "API_KEY", "APIKEY",
                       "access_key", "accessKey", "ACCESS_KEY", "secret", "Secret", "SECRET",
                       "token", "Token", "TOKEN", "password", "Password", "PASSWORD",
                       "passwd", "PASSWD", "pwd", "PWD"),
          .window = 300, .pre = pre_assignment,
          /* page tokens and cursors are not credentials */
          .pattern = "(?<!page_|page|Page|next_|continuation_|sync_|csrf_|csrf)"
                     "(?i:api[_-]?key|access_?key|secret|token|password|passwd|pwd)"
                     "[\"']?\\s{0,3}(?:=>|:=|[:=])\\s{0,3}\\\\?[\"'`]?"
                     "(?<v>[^\\s\"'`,;(){}\\[\\]<>\\\\]{8,256})",
          .check = check_value },
        { .kind = "generic_secret", .catalogue = CAT_BROAD, .broad = true,
          .anchors = A("Bearer ", "Basic "), .window = 300,
          .pattern = "(?i:bearer|basic) +(?<v>[A-Za-z0-9._~+/-]{16,256}=*)(?![A-Za-z0-9._~+/=-])",
          .check = check_value },
};
const size_t redact_rules_count = sizeof(redact_rules) / sizeof(redact_rules[0]);

const char *const redact_builtin_kinds[] = {
        "aws_access_key_id", "aws_secret_access_key", "github_token", "gitlab_token",
        "openai_key", "anthropic_key", "slack_token", "slack_webhook", "google_api_key",
        "gcp_service_account", "stripe_key", "npm_token", "pypi_token", "huggingface_token",
        "azure_storage_key", "sendgrid_key", "twilio_key", "private_key", "jwt",
        "url_credentials", "generic_secret", "email", "credit_card", "iban", "ssn", "phone",
        "env_secret",
};
const size_t redact_builtin_kinds_count = sizeof(redact_builtin_kinds) / sizeof(redact_builtin_kinds[0]);

int redact_builtin_kind_id(const char *kind)
{
        for (size_t i = 0; i < redact_builtin_kinds_count; i++)
                if (!strcmp(redact_builtin_kinds[i], kind))
                        return (int)i;
        return -1;
}
