#!/usr/bin/env python3
"""Writes tests/corpus/secrets/<kind>.txt: FAKE but well-formed samples of every redaction
kind (random bodies of the right alphabet and length, valid checksums where the format has
one). None of these is a real credential. Deterministic (fixed seed); run it again only to
change the samples, and commit the result.

Format, read by tests/unit/test-redact.c: one sample per line; '#' starts a comment line;
"[[...]]" marks the part that must disappear when the line carries context around it (no
marker: the whole line); the two characters backslash-n stand for a newline."""
import base64
import json
import os
import random
import string

rng = random.Random(0x5EC12E7)
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"
HEX = "0123456789abcdef"


def classes(s):
    return (any(c.isupper() for c in s), any(c.islower() for c in s), any(c.isdigit() for c in s))


def rand(alphabet, n):
    """n random characters of alphabet, using every character class the alphabet has (as a
    generated key does)."""
    want = classes(alphabet)
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if classes(s) == want:
            return s


def luhn_ok(d):
    total = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def iban(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    check = 98 - int(num) % 97
    return f"{cc}{check:02d}{bban}"


def grouped(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def pem(kind):
    body = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(rng.choice([120, 190, 240])))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\\n".join([f"-----BEGIN {kind}-----"] + lines + [f"-----END {kind}-----"])


S = {}
S["aws_access_key_id"] = [rng.choice(["AKIA", "ASIA", "AKIA", "ABIA", "ACCA"]) + rand(string.ascii_uppercase + "234567", 16) for _ in range(12)]
S["aws_secret_access_key"] = [t.format(rand(B64, 40)) for t in [
    "aws_secret_access_key = [[{}]]", "AWS_SECRET_ACCESS_KEY=[[{}]]", '"SecretAccessKey": "[[{}]]"',
    "secretAccessKey: '[[{}]]'", "export AWS_SECRET_ACCESS_KEY=\"[[{}]]\"", "aws_secret_key: [[{}]]",
    "Secret access key: [[{}]]", "secret_access_key => '[[{}]]'", "AWS_SECRET_KEY=[[{}]]",
    '{{"AccessKeyId": "ASIAEXAMPLEID", "SecretAccessKey": "[[{}]]"}}', "aws_secret_access_key=[[{}]]"]]
S["github_token"] = [p + rand(ALNUM, 36) for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "ghp_", "gho_", "ghs_"]] + \
    ["github_pat_" + rand(ALNUM, 22) + "_" + rand(ALNUM, 59) for _ in range(4)]
S["gitlab_token"] = [p + rand(URLSAFE, 20) for p in ["glpat-", "glpat-", "glpat-", "gldt-", "glrt-", "glptt-", "glsoat-", "glcbt-", "glft-", "GR1348941", "glimt-", "gloas-"]]
S["openai_key"] = ["sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20) for _ in range(4)] + \
    ["sk-proj-" + rand(URLSAFE, 156) for _ in range(4)] + ["sk-svcacct-" + rand(URLSAFE, 100) for _ in range(2)] + \
    ["sk-admin-" + rand(URLSAFE, 100) for _ in range(2)]
S["anthropic_key"] = ["sk-ant-api03-" + rand(URLSAFE, 93) + "AA" for _ in range(8)] + ["sk-ant-admin01-" + rand(URLSAFE, 93) + "AA" for _ in range(4)]
S["slack_token"] = [f"{p}-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-{rand(ALNUM, 24)}" for p in ["xoxb", "xoxb", "xoxp", "xoxa", "xoxr", "xoxs", "xoxb", "xoxp"]] + \
    [f"xoxp-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-{rand(HEX, 32)}" for _ in range(2)] + \
    [f"xoxe.xoxp-1-{rand(ALNUM, 150)}", f"xoxe-1-{rand(ALNUM, 140)}"]
S["slack_webhook"] = [f"https://[[hooks.slack.com/services/T{rand(string.ascii_uppercase + string.digits, 8)}/B{rand(string.ascii_uppercase + string.digits, 10)}/{rand(ALNUM, 24)}]]" for _ in range(10)] + \
    [f"https://[[hooks.slack.com/workflows/T{rand(string.ascii_uppercase + string.digits, 8)}/A{rand(string.ascii_uppercase + string.digits, 10)}/{rng.randrange(10**17, 10**18)}/{rand(ALNUM, 24)}]]"]
S["google_api_key"] = ["AIza" + rand(URLSAFE, 35) for _ in range(12)]
S["gcp_service_account"] = []
for i in range(11):
    proj = f"acme-{rng.choice(['prod', 'stage', 'data', 'ml'])}-{rng.randrange(1000, 9999)}"
    kid = rand(HEX, 40)
    q = '\\"' if i % 3 == 2 else '"'
    S["gcp_service_account"].append(
        f'{{{q}type{q}: {q}service_account{q}, {q}project_id{q}: {q}{proj}{q}, {q}private_key_id{q}: {q}[[{kid}]]{q}, '
        f'{q}client_id{q}: {q}{rng.randrange(10**20, 10**21)}{q}}}')
S["stripe_key"] = [p + rand(ALNUM, rng.choice([24, 34, 99])) for p in ["sk_live_", "sk_live_", "sk_live_", "rk_live_", "rk_live_", "sk_test_", "sk_test_", "rk_test_", "sk_live_", "sk_test_", "sk_live_"]]
S["npm_token"] = ["npm_" + rand(ALNUM, 36) for _ in range(11)]
S["pypi_token"] = ["pypi-AgEIcHlwaS5vcmc" + rand(URLSAFE, rng.choice([70, 120, 160])) for _ in range(11)]
S["huggingface_token"] = ["hf_" + rand(string.ascii_letters, 34) for _ in range(11)]
S["azure_storage_key"] = [f"DefaultEndpointsProtocol=https;AccountName=acme{rng.randrange(100, 999)}store;AccountKey=[[{rand(B64, 86)}==]];EndpointSuffix=core.windows.net" for _ in range(11)]
S["sendgrid_key"] = ["SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43) for _ in range(11)]
S["twilio_key"] = ["SK" + rand(HEX, 32) for _ in range(11)]
S["private_key"] = [pem(k) for k in ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK", "RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]]
S["jwt"] = []
for i in range(11):
    hdr = b64url({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
    pl = b64url({"sub": str(rng.randrange(10**6, 10**7)), "name": rng.choice(["Ada", "Linus", "Grace"]), "iat": 1700000000 + rng.randrange(10**6), "scope": "read write"})
    S["jwt"].append(f"{hdr}.{pl}.{rand(URLSAFE, 43)}")
S["url_credentials"] = [t.format(rand(ALNUM, 12), rand(ALNUM + "!$*", 16)) for t in [
    "https://[[{}:{}]]@git.example.com/org/repo.git", "postgres://[[{}:{}]]@db.internal:5432/app",
    "mysql://[[{}:{}]]@10.0.0.5/shop", "redis://[[{}:{}]]@cache.local:6379/0",
    "mongodb+srv://[[{}:{}]]@cluster0.example.net/test", "amqp://[[{}:{}]]@mq.example.org:5672/vhost",
    "ftp://[[{}:{}]]@files.example.com/pub", "http://[[{}:{}]]@proxy.corp:3128",
    "https://[[x-access-token:{}{}]]@github.com/acme/app.git", "smtp://[[{}:{}]]@mail.example.com:587",
    "sftp://[[{}:{}]]@backup.example.com/home"]]
S["generic_secret"] = [t.format(rand(ALNUM, rng.choice([16, 24, 32]))) for t in [
    'api_key = "[[{}]]"', "PASSWORD=[[{}]]", '"client_secret": "[[{}]]"', "Authorization: Bearer [[{}]]",
    "token: [[{}]]", "DB_PASSWORD='[[{}]]'", "apiKey: '[[{}]]'", "SECRET={}".replace("{}", "[[{}]]"),
    "auth_token := \"[[{}]]\"", "passwd=[[{}]]", "Authorization: Basic [[{}]]", "X_API_KEY => [[{}]]"]]
S["email"] = [f"{rng.choice(['ada', 'j.doe', 'grace.hopper', 'ops+alerts', 'li_wei', 'm.mueller', 'sales', 'noreply', 'x9'])}{rng.randrange(1, 99)}@{rng.choice(['example.com', 'mail.acme.io', 'corp.example.co.uk', 'uni-heidelberg.de', 'startup.dev', 'gmail.com'])}" for _ in range(12)]
CARDS = ["4111111111111111", "4012888888881881", "5555555555554444", "5105105105105100", "378282246310005",
         "371449635398431", "6011111111111117", "6011000990139424", "3530111333300000", "3566002020360505",
         "30569309025904", "38520000023237", "4222222222222", "2223003122003222", "6200000000000005"]
assert all(luhn_ok(c) for c in CARDS)
S["credit_card"] = [c if i % 3 == 0 else (grouped(c) if i % 3 == 1 else "-".join(c[j:j + 4] for j in range(0, len(c), 4))) for i, c in enumerate(CARDS)]
IB = [iban("DE", "".join(rng.choice(string.digits) for _ in range(18))),
      iban("GB", "WEST" + "".join(rng.choice(string.digits) for _ in range(14))),
      iban("FR", "".join(rng.choice(string.digits) for _ in range(23))),
      iban("NL", "ABNA" + "".join(rng.choice(string.digits) for _ in range(10))),
      iban("ES", "".join(rng.choice(string.digits) for _ in range(20))),
      iban("IT", "X" + "".join(rng.choice(string.digits) for _ in range(22))),
      iban("CH", "".join(rng.choice(string.digits) for _ in range(17))),
      iban("BE", "".join(rng.choice(string.digits) for _ in range(12))),
      iban("AT", "".join(rng.choice(string.digits) for _ in range(16))),
      iban("PL", "".join(rng.choice(string.digits) for _ in range(24))),
      iban("SE", "".join(rng.choice(string.digits) for _ in range(20)))]
S["iban"] = [grouped(x) if i % 2 else x for i, x in enumerate(IB)]


def ssn():
    while True:
        a, g, s = rng.randrange(1, 900), rng.randrange(1, 100), rng.randrange(1, 10000)
        if a != 666:
            return f"{a:03d}", f"{g:02d}", f"{s:04d}"


S["ssn"] = ["-".join(ssn()) for _ in range(8)] + ["SSN: [[" + " ".join(ssn()) + "]]", "ssn [[" + "".join(ssn()) + "]]",
                                                   "Social Security number [[" + "".join(ssn()) + "]]"]
S["phone"] = ["+1 415 555 2671", "+44 20 7946 0958", "(415) 555-2671", "+49 30 1234 5678", "+33 1 4268 5300",
              "+1-202-555-0143", "(212) 555-0199", "phone: [[415-555-0132]]", "Tel. [[020 7946 0018]]",
              "mobile [[0612 345 678]]", "call me at [[555-0147]]", "Fax: [[+1 (646) 555 3890]]"]
S["env_secret"] = [rand(ALNUM + "-_.", rng.choice([12, 24, 40])) for _ in range(10)]

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "secrets")
os.makedirs(out, exist_ok=True)
for kind, lines in S.items():
    assert len(lines) >= 10, kind
    with open(os.path.join(out, kind + ".txt"), "w") as f:
        f.write(f"# FAKE {kind} samples generated by tests/corpus/make-secrets.py (not real credentials)\n")
        for line in lines:
            f.write(line + "\n")
