/* Validators for the pii and secrets-broad catalogues (see validators.h for why). */
#include "inspect/guards/validators.h"

#include <math.h>
#include <string.h>
#include <strings.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Copies the digits of s (at most cap), returns how many; -1 if there were more. */
static int digits_of(const char *s, size_t len, char *out, int cap)
{
        int n = 0;
        for (size_t i = 0; i < len; i++) {
                if (!is_digit(s[i]))
                        continue;
                if (n == cap)
                        return -1;
                out[n++] = s[i];
        }
        return n;
}

static bool luhn_ok(const char *d, int n)
{
        int sum = 0;
        for (int i = 0; i < n; i++) {
                int v = d[n - 1 - i] - '0';
                if (i & 1) {
                        v *= 2;
                        if (v > 9)
                                v -= 9;
                }
                sum += v;
        }
        return sum % 10 == 0;
}

static int prefix_num(const char *d, int k)
{
        int v = 0;
        for (int i = 0; i < k; i++)
                v = v * 10 + (d[i] - '0');
        return v;
}

/* Issuer identification ranges: random digit strings (order ids, nanosecond timestamps,
 * snowflake ids) pass Luhn one time in ten, so the prefix and length must fit a network. */
static bool card_network_ok(const char *d, int n)
{
        int p1 = d[0] - '0', p2 = prefix_num(d, 2), p3 = prefix_num(d, 3), p4 = prefix_num(d, 4);
        if (p1 == 4)
                return n == 13 || n == 16 || n == 19;                   /* Visa */
        if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
                return n == 16;                                         /* Mastercard */
        if (p2 == 34 || p2 == 37)
                return n == 15;                                         /* Amex */
        if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65)
                return n >= 16 && n <= 19;                              /* Discover */
        if (p4 >= 3528 && p4 <= 3589)
                return n >= 16 && n <= 19;                              /* JCB */
        if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
                return n >= 14 && n <= 19;                              /* Diners */
        if (p2 == 62)
                return n >= 16 && n <= 19;                              /* UnionPay */
        if (p2 == 50 || (p2 >= 56 && p2 <= 69))
                return n >= 12 && n <= 19;                              /* Maestro */
        return false;
}

bool validate_card(const char *s, size_t len)
{
        char d[20];
        int n = digits_of(s, len, d, 19);
        if (n < 12)
                return false;
        d[n] = '\0';
        /* a run of one repeated digit passes Luhn for some lengths and is never a card */
        if (strspn(d, (char[]){ d[0], 0 }) >= (size_t)n)
                return false;
        return card_network_ok(d, n) && luhn_ok(d, n);
}

struct iban_len {
        char cc[3];
        unsigned char len;
};

/* ISO 13616 registry lengths (SWIFT IBAN registry). */
static const struct iban_len iban_lengths[] = {
        {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
        {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
        {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
        {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
        {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
        {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
        {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
        {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
        {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
        {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
        {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
        {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
        {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

static int iban_country_len(const char *cc)
{
        for (size_t i = 0; i < sizeof(iban_lengths) / sizeof(iban_lengths[0]); i++)
                if (iban_lengths[i].cc[0] == cc[0] && iban_lengths[i].cc[1] == cc[1])
                        return iban_lengths[i].len;
        return 0;
}

static int iban_value(char c)
{
        if (is_digit(c))
                return c - '0';
        if (c >= 'A' && c <= 'Z')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 10;
        return -1;
}

bool validate_iban(const char *s, size_t len)
{
        char a[34];
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == ' ')
                        continue;
                if (n == sizeof(a) || iban_value(s[i]) < 0)
                        return false;
                a[n++] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
        }
        if (n < 15 || (size_t)iban_country_len(a) != n)
                return false;
        /* mod 97 of the rearranged number (country and check digits moved to the end),
         * letters counting as 10..35, folded digit by digit so no big integer is needed */
        unsigned rem = 0;
        for (size_t k = 0; k < n; k++) {
                int v = iban_value(a[(k + 4) % n]);
                rem = (v >= 10 ? rem * 100 : rem * 10) + (unsigned)v;
                rem %= 97;
        }
        return rem == 1;
}

bool validate_ssn(const char *s, size_t len)
{
        char d[10];
        if (digits_of(s, len, d, 9) != 9)
                return false;
        int area = prefix_num(d, 3), group = prefix_num(d + 3, 2), serial = prefix_num(d + 5, 4);
        return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

/* One of words (lower case) within 48 bytes before start, in any case. A first-letter
 * test keeps this cheap: it runs for every phone-shaped number. */
static bool word_before(const char *text, size_t start, const char *const *words)
{
        size_t from = start > 48 ? start - 48 : 0;
        unsigned char first[256] = { 0 };
        for (const char *const *w = words; *w; w++)
                first[(unsigned char)(*w)[0]] = 1;
        for (size_t i = from; i < start; i++) {
                unsigned char c = (unsigned char)text[i] | 0x20;
                if (!first[c])
                        continue;
                for (const char *const *w = words; *w; w++) {
                        size_t wl = strlen(*w);
                        if ((*w)[0] == (char)c && i + wl <= start && !strncasecmp(text + i, *w, wl))
                                return true;
                }
        }
        return false;
}

bool validate_ssn_context(const char *text, size_t start)
{
        static const char *const words[] = { "ssn", "social security", "ss#", NULL };
        return word_before(text, start, words);
}

/* "+CC 20 7946 0958", "+1-415-555-2671": a plus, then at least three separated groups. */
static bool phone_intl_shape(const char *s, size_t len)
{
        if (len == 0 || s[0] != '+')
                return false;
        int groups = 0;
        bool in_digits = false;
        for (size_t i = 1; i < len; i++) {
                if (is_digit(s[i])) {
                        if (!in_digits)
                                groups++;
                        in_digits = true;
                } else {
                        in_digits = false;
                }
        }
        return groups >= 3;
}

/* "(415) 555-2671": NANP area code and exchange both start with 2-9. */
static bool phone_nanp_shape(const char *s, size_t len)
{
        return len == 14 && s[0] == '(' && s[4] == ')' && s[5] == ' ' && s[9] == '-' &&
               s[1] >= '2' && s[6] >= '2';
}

bool validate_phone(const char *text, size_t start, size_t end)
{
        static const char *const words[] = { "phone", "tel", "mobile", "cell", "fax", "call",
                                             "contact", "sms", "whatsapp", "dial", NULL };
        char d[16];
        int n = digits_of(text + start, end - start, d, 15);
        if (n < 7)
                return false;
        if (phone_intl_shape(text + start, end - start) && n >= 8)
                return true;
        if (phone_nanp_shape(text + start, end - start))
                return true;
        return word_before(text, start, words);
}

double entropy_bits(const char *s, size_t len)
{
        unsigned counts[256] = { 0 };
        for (size_t i = 0; i < len; i++)
                counts[(unsigned char)s[i]]++;
        double h = 0;
        for (int c = 0; c < 256; c++) {
                if (!counts[c])
                        continue;
                double p = (double)counts[c] / (double)len;
                h -= p * log2(p);
        }
        return h;
}

static bool is_placeholder(const char *s, size_t len)
{
        static const char *const words[] = { "changeme", "password", "secret", "example",
                                             "redacted", "placeholder", "your_", "dummy",
                                             "null", "none", "undefined", "true", "false",
                                             NULL };
        if ((s[0] == '<' && s[len - 1] == '>') || (s[0] == '$' && len > 1 && s[1] == '{') ||
            s[0] == '%' || s[0] == '[' || s[0] == '(' || s[0] == '*')
                return true;
        size_t same = 1;
        for (size_t i = 1; i < len; i++)
                same += s[i] == s[0];
        if (same == len)
                return true;
        for (const char *const *w = words; *w; w++)
                if (memmem(s, len, *w, strlen(*w)) || (strlen(*w) <= len &&
                                                       !strncasecmp(s, *w, strlen(*w))))
                        return true;
        return false;
}

bool validate_secret_value(const char *s, size_t len)
{
        if (len < 8)
                return false;
        bool letter = false, digit = false;
        for (size_t i = 0; i < len; i++) {
                digit |= is_digit(s[i]);
                letter |= (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z';
        }
        bool random = letter && digit ? entropy_bits(s, len) >= 2.5
                                      : len >= 16 && entropy_bits(s, len) >= 3.0;
        return random && !is_placeholder(s, len);
}
