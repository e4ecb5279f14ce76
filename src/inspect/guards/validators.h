/* Checks that turn a regex match into a finding. A pattern alone cannot tell a card number
 * from an order id or an SSN from a zip+4: these cut the false positives that would make
 * redaction destroy ordinary tool output (threats.md §3 "benign look-alikes"). Each takes
 * the matched bytes (separators included) and, where it needs them, the text around. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* 12..19 digits (spaces and dashes ignored) passing the Luhn checksum, with the issuer
 * prefix and length of a real card network (Visa, Mastercard, Amex, Discover, JCB, Diners,
 * UnionPay, Maestro). */
bool validate_card(const char *s, size_t len);

/* Country code with its registered IBAN length, and the ISO 13616 mod-97 check == 1.
 * Spaces are ignored; letters may be upper or lower case. */
bool validate_iban(const char *s, size_t len);

/* US SSN ddd-dd-dddd (dashes or spaces, or 9 plain digits): area not 000, 666 or 900-999,
 * group not 00, serial not 0000. */
bool validate_ssn(const char *s, size_t len);

/* 7..15 digits, and a phone context word ("phone", "tel", "mobile", "fax", "call", ...)
 * within 48 bytes before the match in text, or a shape that is a phone number on its own:
 * "+CC …" with separated groups, or a NANP "(NPA) NXX-XXXX". */
bool validate_phone(const char *text, size_t start, size_t end);

/* An unformatted SSN needs one of "ssn", "social security", "ss#" within 48 bytes before. */
bool validate_ssn_context(const char *text, size_t start);

/* A value worth calling a secret: not a placeholder (all one character, "xxxx", "<...>",
 * "${...}", "changeme", "null"...), at least 8 bytes, letters and digits mixed or at least
 * 3 bits of entropy per byte. Used by the broad catalogue's assignments. */
bool validate_secret_value(const char *s, size_t len);

/* Shannon entropy of the bytes, in bits per byte. */
double entropy_bits(const char *s, size_t len);
