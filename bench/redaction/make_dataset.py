#!/usr/bin/env python3
"""Generate the labelled text-redaction benchmark set (deterministic).

    python3 bench/redaction/make_dataset.py OUT.jsonl [--seed N] [--docs N] [--negatives N]
    python3 bench/redaction/make_dataset.py --check FILE.jsonl

Writes one JSON document per line:

    {"id": N, "text": "...", "spans": [{"start": S, "end": E, "what": KIND}]}

Offsets are Unicode code points (Python string indexes), end exclusive.
KIND is one of: email, phone, credit_card, iban, ssn, ip_address, secret.

Labelling conventions (the "core" of each value; scoring is lenient about a
prediction that reaches past it, strict about one that covers too little):
  email        the address only (no "mailto:", no angle brackets)
  phone        the number as written, including "+", parentheses and separators
  credit_card  the number including its spaces/dashes (Luhn-valid, real IIN prefixes)
  iban         the whole IBAN, compact or in groups of four (mod-97 valid)
  ssn          a US SSN (valid area/group/serial; dashed, spaced, or bare next to
               the word SSN) or a UK National Insurance number (valid prefix)
  ip_address   the address only: no port, no "/64" prefix length, no brackets
  secret       the value only, never the key name before it ("api_key=" is not
               in the span, nor are quotes). URLs with embedded credentials
               (scheme://user:pass@host/...) are labelled as the WHOLE URL.
               PEM private keys are labelled from "-----BEGIN" to the closing
               "-----" of the END line (also when the block sits in a JSON
               string with literal "\\n" escapes).

Hard negatives (never labelled) include order/invoice numbers, timestamps,
epoch seconds, version strings, git hashes, UUIDs, digests, Luhn-invalid
card-like numbers, IBANs with wrong check digits, SSNs in invalid ranges
(area 000/666/9xx - 9xx with groups outside the ITIN ranges -, group 00,
serial 0000), invalid NINO prefixes, ISBNs, build numbers, coordinates,
prices, ZIP+4 codes, MAC addresses, base64 data: URIs and npm integrity
hashes, public keys and certificates, URLs without a password, "password"
followed by ordinary words, placeholders such as ${API_KEY} or ********,
"sk-" inside words (risk-free, flask-login), hostnames without "@",
"@mentions", icon@2x.png, and IP-like strings (1.2.3.4.5, 999.1.1.1, OIDs).

Documents also carry non-ASCII text (accents, CJK, emoji incl. ZWJ
sequences and flags, decomposed accents) and some use CRLF line ends, so an
engine that counts UTF-16 units or grapheme clusters instead of code points
shows up as misses.

Only the standard library is used. --check re-validates a written file with
independent checks (and with the phonenumbers package when it is installed).
"""

import argparse
import base64
import ipaddress
import json
import random
import re
import string
import sys

SEED = 20261123
N_DOCS = 1500
N_NEGATIVE = 560

KINDS = ("email", "phone", "credit_card", "iban", "ssn", "ip_address", "secret")

# ---------------------------------------------------------------- word lists

FIRST = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi",
         "Ivan", "Judy", "Mallory", "Olivia", "Peggy", "Rupert", "Sybil",
         "Trent", "Victor", "Walter", "José", "Zoë", "Łukasz", "Søren",
         "François", "Ngozi", "Priya", "Hiroshi", "Mei", "Ahmed", "Fatima",
         "Björn", "Chloé", "Dmitri", "Aoife", "Kwame", "Ana", "Noah", "Liam",
         "Emma", "Sofia", "Mateo"]
LAST = ["Smith", "Johnson", "Müller", "García", "Dubois", "Rossi", "Kowalski",
        "Nakamura", "O'Brien", "Van der Berg", "Nguyen", "Patel", "Schmidt",
        "Martin", "Jensen", "Okafor", "Silva", "Andersson", "Kim", "Ivanova",
        "Brown", "Taylor", "Lefèvre", "Yılmaz", "Novák"]
COMPANY_DOMAINS = ["acme.io", "contoso.com", "globex.co.uk", "initech.com",
                   "umbrella-corp.de", "hooli.dev", "piedpiper.net",
                   "stark-industries.com", "example.com", "example.org",
                   "wayne-tech.fr", "mail.corp.acme.io", "eng.hooli.dev",
                   "northwind.com.au", "tyrell.ai", "cyberdyne.nl"]
FREE_DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.jp", "proton.me",
                "gmx.de", "orange.fr", "icloud.com", "fastmail.fm", "web.de",
                "hotmail.co.uk", "yandex.ru", "libero.it"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MODULES = ["auth", "billing", "scheduler", "api", "worker", "sync", "mailer",
           "gateway", "ingest", "export"]
SUBJECTS = ["Fix flaky test in scheduler", "Bump dependencies",
            "Add retry to upload client", "Refactor settings page",
            "Handle empty config file", "Q3 planning notes",
            "Onboarding checklist", "Release 4.2 notes", "Follow-up from call",
            "Invoice question"]
WORDS = ["app", "orders", "analytics", "staging", "inventory", "users", "core"]
EMOJI = ["🙂", "🚀", "✅", "🙏", "👍", "🔥", "👩\u200d💻", "🇩🇪", "🇫🇷",
         "😅", "🎉", "⚠️"]
UNICODE_BITS = ["Grüße aus Köln", "merci beaucoup", "日本語のメモ", "спасибо",
                "café crème", "naïve approach", "cafe\u0301 (decomposed)",
                "Zürich", "São Paulo", "Ελληνικά", "한국어", "señor"]

ASCII_FOLD = str.maketrans({"é": "e", "è": "e", "ë": "e", "ö": "o", "ø": "o",
                            "ü": "u", "ç": "c", "ł": "l", "Ł": "L", "á": "a",
                            "í": "i", "ı": "i", "ñ": "n"})

B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"

# US area codes that are in service (a subset), so numbers parse as valid.
US_AREAS = [201, 202, 206, 212, 213, 214, 215, 303, 305, 310, 312, 313, 404,
            408, 410, 412, 415, 425, 503, 512, 602, 617, 619, 646, 650, 702,
            713, 718, 720, 773, 801, 818, 917, 919, 971, 973]


# ---------------------------------------------------------------- validators

def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def luhn_digit(partial):
    for d in "0123456789":
        if luhn_ok(partial + d):
            return d
    raise AssertionError


def iban_ok(iban):
    s = iban.replace(" ", "")
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", s):
        return False
    if len(s) != IBAN_LENGTHS.get(s[:2], -1):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def iban_check_digits(cc, bban):
    moved = bban + cc + "00"
    return "%02d" % (98 - int("".join(str(int(c, 36)) for c in moved)) % 97)


IBAN_LENGTHS = {"DE": 22, "GB": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27,
                "CH": 21, "BE": 16, "AT": 20, "IE": 22, "PL": 28}


def ssn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    area, group, serial = int(d[:3]), int(d[3:5]), int(d[5:])
    return (0 < area < 900 and area != 666 and group != 0 and serial != 0
            and d not in ("078051120", "123456789", "219099999")
            and len(set(d)) > 1)


NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"      # not D F I Q U V
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"      # not D F I O Q U V
NINO_BAD_PREFIXES = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")


def nino_ok(s):
    c = s.replace(" ", "")
    return bool(re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", c)) and \
        c[0] in NINO_FIRST and c[1] in NINO_SECOND and \
        c[:2] not in NINO_BAD_PREFIXES


# ---------------------------------------------------------------- generator

PICKED_FILLERS = {
    "last": LAST, "day": DAYS, "module": MODULES, "subject": SUBJECTS, "word": WORDS, "emoji": EMOJI,
    "uni": UNICODE_BITS, "level": ["INFO", "WARN", "ERROR", "DEBUG"],
    "bic": ["DEUTDEFF", "COBADEFFXXX", "BNPAFRPP", "INGBNL2A", "NWBKGB2L", "UBSWCHZH80A", "CAIXESBB", "BCITITMM"],
    "region": ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"],
}
HEX_FILLERS = {"hash7": 7, "hash40": 40, "hex16": 16, "hex32": 32}


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    # -- small helpers
    def pick(self, seq):
        return self.r.choice(seq)

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def digits(self, n):
        return self.chars(string.digits, n)

    def b64(self, nbytes, url=False):
        raw = bytes(self.r.getrandbits(8) for _ in range(nbytes))
        if url:
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return base64.b64encode(raw).decode()

    def ascii_name(self, s):
        return re.sub(r"[^a-z]", "", s.lower().translate(ASCII_FOLD))

    # -- fillers (never sensitive): a name not handled below picks from its list in
    # PICKED_FILLERS, or is that many hex digits (HEX_FILLERS)
    def filler(self, name):
        r = self.r
        if name == "first":
            return self.pick(FIRST)
        if name == "first_lower":
            return self.ascii_name(self.pick(FIRST)) or "sam"
        if name == "full":
            return self.pick(FIRST) + " " + self.pick(LAST)
        if name in PICKED_FILLERS:
            return self.pick(PICKED_FILLERS[name])
        if name in HEX_FILLERS:
            return self.chars(HEX, HEX_FILLERS[name])
        if name in ("uuid", "iso_ts", "price"):
            return self.neg(name)
        if name == "int":
            return str(r.randint(2, 9999))
        if name == "port":
            return str(self.pick([22, 443, 5432, 6379, 8080, 8443, 3000, 9090]))
        if name == "date":
            return "%04d-%02d-%02d" % (r.randint(2019, 2027), r.randint(1, 12), r.randint(1, 28))
        if name == "dob":
            return "%02d/%02d/%04d" % (r.randint(1, 12), r.randint(1, 28), r.randint(1950, 2004))
        if name == "hhmm":
            return "%02d:%02d" % (r.randint(0, 23), r.randint(0, 59))
        if name == "time12":
            return "%d:%02d %s" % (r.randint(1, 12), r.randint(0, 59), self.pick(["AM", "PM"]))
        if name == "gitdate":
            return "%s Nov %d %02d:%02d:%02d 2026 +0100" % (
                self.pick(["Mon", "Tue", "Wed", "Thu", "Fri"]), r.randint(1, 28),
                r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
        if name == "mm":
            return "%02d" % r.randint(1, 12)
        if name == "yy":
            return "%02d" % r.randint(26, 32)
        if name == "cvc":
            return self.digits(3)
        if name == "ver":
            return "%d.%d.%d" % (r.randint(1, 22), r.randint(0, 20), r.randint(0, 30))
        raise KeyError(name)

    # -- emails
    def email(self, variant=None):
        r = self.r
        f = self.ascii_name(self.pick(FIRST)) or "sam"
        l = self.ascii_name(self.pick(LAST)) or "lee"
        shape = r.randint(0, 11)
        if shape == 0:
            local = f + "." + l
        elif shape == 1:
            local = f + "_" + l
        elif shape == 2:
            local = f[0] + l
        elif shape == 3:
            local = f + "+" + self.pick(["news", "github", "billing", "test", "2026"])
        elif shape == 4:
            local = f + "." + l + str(r.randint(1, 99))
        elif shape == 5:
            local = f + str(r.randint(1950, 2005))
        elif shape == 6:
            local = f[0] + "." + self.pick("abcdefghjkmnprstw") + "." + l
        elif shape == 7:
            local = (f + "." + l).upper()
        elif shape == 8:
            local = self.pick(["support", "billing", "noreply", "hr", "ops-team",
                               "security", "jobs", "no-reply", "it.helpdesk"])
        elif shape == 9:
            local = f + "-" + l
        elif shape == 10:
            local = self.pick("abcdefghjkmnprstwxyz")
        else:
            local = f + "." + l + "+" + self.pick(["work", "ci", "alerts"])
        domain = self.pick(COMPANY_DOMAINS if r.random() < 0.6 else FREE_DOMAINS)
        if shape == 7:
            domain = domain.upper()
        return local + "@" + domain

    # -- phones (all valid numbers for their region)
    def phone(self, variant=None):
        r = self.r
        variant = variant or self.pick(["us", "us", "us", "uk", "uk", "fr", "fr", "de", "de", "nl", "es", "it", "intl"])
        if variant == "us":
            area = self.pick(US_AREAS)
            while True:
                exch = r.randint(200, 999)
                if exch % 100 != 11 and exch != 555 and exch not in (950, 958, 959, 976):
                    break
            line = r.randint(0, 9999)
            a, e, n = "%03d" % area, "%03d" % exch, "%04d" % line
            fmt = r.randint(0, 7)
            return ["+1" + a + e + n, "(%s) %s-%s" % (a, e, n), "%s-%s-%s" % (a, e, n),
                    "+1 %s %s %s" % (a, e, n), "+1 (%s) %s-%s" % (a, e, n),
                    "%s.%s.%s" % (a, e, n), "1-%s-%s-%s" % (a, e, n),
                    "+1-%s-%s-%s" % (a, e, n)][fmt]
        if variant == "uk":
            kind = r.randint(0, 2)
            if kind == 0:     # London 020 [378]xxx xxxx
                a, b = "20", self.pick("378") + self.digits(3)
                c = self.digits(4)
                return self.pick(["+44 %s %s %s" % (a, b, c), "0%s %s %s" % (a, b, c),
                                  "+44%s%s%s" % (a, b, c), "+44 (0)%s %s %s" % (a, b, c)])
            if kind == 1:     # Manchester / Birmingham 01x1 xxx xxxx
                a = self.pick(["161", "121", "131", "141", "113", "117"])
                b = self.pick("234") + self.digits(2)
                c = self.digits(4)
                return self.pick(["0%s %s %s" % (a, b, c), "+44 %s %s %s" % (a, b, c)])
            a = "7" + self.pick(["4", "5", "7", "8", "9"]) + self.digits(2)   # mobile 07xxx
            if a.startswith("7624") or a.startswith("757"):
                a = "7911"
            b = self.digits(6)
            return self.pick(["0%s %s" % (a, b), "+44 %s %s" % (a, b), "+44%s%s" % (a, b),
                              "0%s %s %s" % (a, b[:3], b[3:])])
        if variant == "fr":
            first = self.pick(["6", "7", "1", "2", "3", "4", "5", "9"])
            if first == "7":
                rest = self.pick(["5", "6", "7", "8", "9"]) + self.digits(7)
            else:
                rest = self.pick("12345678") + self.digits(7)
            pairs = [rest[i:i + 2] for i in range(0, 8, 2)]
            fmt = r.randint(0, 3)
            if fmt == 0:
                return "0" + first + " " + " ".join(pairs)
            if fmt == 1:
                return "+33 " + first + " " + " ".join(pairs)
            if fmt == 2:
                return "+33" + first + rest
            return "0" + first + "." + ".".join(pairs)
        if variant == "de":
            if r.random() < 0.5:
                pre, num = self.pick(["30", "40", "89", "69", "221"]), self.pick("2345789") + self.digits(6)
            else:
                pre, num = self.pick(["151", "160", "170", "171", "176"]), self.digits(8)
                if pre == "151":
                    num = self.pick("2345678") + num[1:]
            half = len(num) // 2
            return self.pick(["+49 %s %s" % (pre, num), "0%s %s" % (pre, num),
                              "+49 (0)%s %s" % (pre, num), "+49%s%s" % (pre, num),
                              "0%s %s %s" % (pre, num[:half], num[half:]), "(0%s) %s" % (pre, num),
                              "0%s/%s" % (pre, num), "0%s-%s" % (pre, num)])
        if variant == "nl":
            if r.random() < 0.5:   # mobile 06 + 8 digits
                num = self.pick("12345678") + self.digits(7)
                return self.pick(["06-%s" % num, "06 %s" % num, "+31 6 %s" % num])
            area = self.pick(["20", "10", "30", "70"])
            num = self.pick("2345678") + self.digits(6)
            return self.pick(["0%s %s %s" % (area, num[:3], num[3:]), "0%s-%s" % (area, num), "+31 %s %s" % (area, num)])
        if variant == "es":
            if r.random() < 0.6:   # mobile 6xx / 7[1-4]x
                num = self.pick(["6" + self.digits(1), "7" + self.pick("1234")]) + self.digits(7)
                return self.pick(["%s %s %s %s" % (num[:3], num[3:5], num[5:7], num[7:]),
                                  "%s %s %s" % (num[:3], num[3:6], num[6:]), "+34 %s %s %s" % (num[:3], num[3:6], num[6:])])
            num = "91" + self.pick("2345") + self.digits(6)   # Madrid landline
            return "%s %s %s %s" % (num[:2], num[2:5], num[5:7], num[7:])
        if variant == "it":
            if r.random() < 0.6:   # mobile 3[1-9]x + 7 digits
                pre = "3" + self.pick("1234789") + self.digits(1)
                num = self.digits(7)
                return self.pick(["%s %s %s" % (pre, num[:3], num[3:]), "%s %s" % (pre, num), "+39 %s %s" % (pre, num)])
            num = self.pick("2345678") + self.digits(7)   # Milan / Rome landline 02 / 06 + 8
            return "0%s %s %s" % (self.pick("26"), num[:4], num[4:])
        # intl E.164-ish
        which = r.randint(0, 2)
        if which == 0:
            return "+61 2 9%s %s" % (self.digits(3), self.digits(4))
        if which == 1:
            return "+91 9%s %s" % (self.digits(4), self.digits(5))
        return "+81 3-%s%s-%s" % (self.pick("3456"), self.digits(3), self.digits(4))

    # -- credit cards
    def card_digits(self, brand=None):
        r = self.r
        brand = brand or self.pick(["visa", "visa", "mc", "mc2", "amex", "discover"])
        if brand == "visa":
            prefix, n = "4", 16
        elif brand == "mc":
            prefix, n = "5" + str(r.randint(1, 5)), 16
        elif brand == "mc2":
            prefix, n = str(r.randint(2221, 2720)), 16
        elif brand == "amex":
            prefix, n = self.pick(["34", "37"]), 15
        else:
            prefix, n = self.pick(["6011", "65"]), 16
        partial = prefix + self.digits(n - len(prefix) - 1)
        return partial + luhn_digit(partial)

    def format_card(self, d, style=None):
        style = style or self.pick(["plain", "spaced", "spaced", "dashed"])
        if style == "plain":
            return d
        sep = " " if style == "spaced" else "-"
        if len(d) == 15:
            return sep.join([d[:4], d[4:10], d[10:]])
        return sep.join(d[i:i + 4] for i in range(0, 16, 4))

    def credit_card(self, variant=None):
        d = self.card_digits()
        assert luhn_ok(d)
        return self.format_card(d, variant)

    # -- IBANs
    def bban(self, cc):
        up = string.ascii_uppercase
        if cc == "DE":
            return self.digits(18)
        if cc == "GB":
            return self.pick(["NWBK", "BARC", "HBUK", "LOYD", "MIDL", "WEST"]) + self.digits(14)
        if cc == "FR":
            return self.digits(10) + self.digits(9) + self.chars(up + string.digits, 2) + self.digits(2)
        if cc == "NL":
            return self.pick(["ABNA", "INGB", "RABO", "TRIO", "SNSB"]) + self.digits(10)
        if cc == "ES":
            return self.digits(20)
        if cc == "IT":
            return self.pick(up) + self.digits(10) + self.digits(12)
        if cc == "CH":
            return self.digits(5) + self.digits(12)
        if cc == "BE":
            first = self.digits(10)
            chk = int(first) % 97 or 97
            return first + "%02d" % chk
        if cc == "AT":
            return self.digits(16)
        if cc == "IE":
            return self.pick(["AIBK", "BOFI", "IPBS"]) + self.digits(14)
        if cc == "PL":
            return self.digits(24)
        raise KeyError(cc)

    def iban_compact(self, cc=None):
        cc = cc or self.pick(["DE", "DE", "GB", "GB", "FR", "NL", "ES", "IT", "CH", "BE",
                              "AT", "IE", "PL"])
        b = self.bban(cc)
        s = cc + iban_check_digits(cc, b) + b
        assert len(s) == IBAN_LENGTHS[cc] and iban_ok(s), s
        return s

    def format_iban(self, s, grouped=None):
        if grouped is None:
            grouped = self.r.random() < 0.6
        if grouped:
            return " ".join(s[i:i + 4] for i in range(0, len(s), 4))
        return s

    def iban(self, variant=None):
        cc = variant.upper() if variant else None
        return self.format_iban(self.iban_compact(cc))

    # -- SSN / NINO
    def ssn_digits(self):
        r = self.r
        while True:
            area = r.randint(1, 899)
            d = "%03d%02d%04d" % (area, r.randint(1, 99), r.randint(1, 9999))
            if ssn_ok(d):
                return d

    def nino(self, spaced):
        r = self.r
        while True:
            p = self.pick(NINO_FIRST) + self.pick(NINO_SECOND)
            if p not in NINO_BAD_PREFIXES:
                break
        d = self.digits(6)
        s = self.pick("ABCD")
        if spaced:
            return "%s %s %s %s %s" % (p, d[:2], d[2:4], d[4:], s)
        return p + d + s

    def ssn(self, variant=None):
        variant = variant or self.pick(["us", "us", "us", "nino", "ninospaced"])
        if variant == "nino":
            return self.nino(False)
        if variant == "ninospaced":
            return self.nino(True)
        d = self.ssn_digits()
        if variant == "usbare":
            return d
        if variant == "usspaced":
            return "%s %s %s" % (d[:3], d[3:5], d[5:])
        return "%s-%s-%s" % (d[:3], d[3:5], d[5:])

    # -- IP addresses
    def ipv4(self):
        r = self.r
        kind = r.randint(0, 4)
        if kind == 0:
            return "10.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
        if kind == 1:
            return "192.168.%d.%d" % (r.randint(0, 255), r.randint(1, 254))
        if kind == 2:
            return "172.%d.%d.%d" % (r.randint(16, 31), r.randint(0, 255), r.randint(1, 254))
        while True:
            a = r.randint(1, 223)
            if a not in (10, 127, 172, 192):
                break
        return "%d.%d.%d.%d" % (a, r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))

    def ipv6(self):
        r = self.r
        kind = r.randint(0, 4)
        if kind == 0:
            groups = [0x2001, 0xdb8] + [r.randint(0, 0xffff) for _ in range(6)]
            groups[r.randint(3, 5)] = 0
            groups[r.randint(3, 5)] = 0
        elif kind == 1:
            groups = [0xfe80, 0, 0, 0] + [r.randint(0, 0xffff) for _ in range(4)]
        elif kind == 2:
            groups = [r.randint(0x2400, 0x2a0f)] + [r.randint(0, 0xffff) for _ in range(7)]
        elif kind == 3:
            groups = [0x2606, 0x4700] + [r.randint(0, 0xffff) for _ in range(2)] + [0, 0, 0, r.randint(1, 0xffff)]
        else:
            groups = [0xfd00 | r.randint(0, 0xff)] + [r.randint(0, 0xffff) for _ in range(3)] + [0, 0, 0, r.randint(1, 0xff)]
        addr = ipaddress.IPv6Address(sum(g << (16 * (7 - i)) for i, g in enumerate(groups)))
        return addr.exploded if r.random() < 0.15 else addr.compressed

    def ip(self, variant=None):
        variant = variant or ("v4" if self.r.random() < 0.65 else "v6")
        return self.ipv4() if variant == "v4" else self.ipv6()

    # -- secrets
    def password(self):
        r = self.r
        n = r.randint(12, 22)
        sym = "!#$%^&*-_+@~"
        while True:
            s = self.chars(ALNUM + sym, n)
            if (any(c.isdigit() for c in s) and any(c.isupper() for c in s)
                    and any(c.islower() for c in s) and any(c in sym for c in s)
                    and s[-1] not in sym):
                return s

    def generic_token(self):
        r = self.r
        kind = r.randint(0, 4)
        if kind == 0:
            return self.chars(ALNUM, r.randint(24, 40))
        if kind == 1:
            return self.chars(HEX, self.pick([32, 40, 64]))
        if kind == 2:
            return self.b64(self.pick([24, 32, 33])).rstrip("=") if r.random() < 0.5 else self.b64(self.pick([16, 32]))
        if kind == 3:
            return self.chars(string.ascii_lowercase + string.digits, 8) + "-" + \
                self.chars(ALNUM, 24)
        return self.password()

    def pem(self, json_escaped=False):
        r = self.r
        label = self.pick(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY",
                           "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
        nbytes = {"RSA PRIVATE KEY": r.randint(600, 1190), "PRIVATE KEY": r.randint(600, 1210),
                  "EC PRIVATE KEY": 121, "OPENSSH PRIVATE KEY": r.randint(300, 420),
                  "ENCRYPTED PRIVATE KEY": r.randint(700, 1250)}[label]
        body = self.b64(nbytes)
        if label == "OPENSSH PRIVATE KEY":
            body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW" + body[70:]
        elif label == "EC PRIVATE KEY":
            body = "MHcCAQEEI" + body[9:]
        else:
            body = "MII" + self.pick("BCEFGJ") + body[4:]
        lines = [body[i:i + (70 if label == "OPENSSH PRIVATE KEY" else 64)]
                 for i in range(0, len(body), 70 if label == "OPENSSH PRIVATE KEY" else 64)]
        if label == "RSA PRIVATE KEY" and r.random() < 0.25:
            lines = ["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC," + self.chars("0123456789ABCDEF", 32), ""] + lines
        nl = "\\n" if json_escaped else "\n"
        return "-----BEGIN %s-----%s%s%s-----END %s-----" % (label, nl, nl.join(lines), nl, label)

    def jwt(self):
        r = self.r
        if r.random() < 0.6:
            header = {"alg": "HS256", "typ": "JWT"}
            sig = 32
        else:
            header = {"alg": "RS256", "typ": "JWT", "kid": self.chars(HEX, 16)}
            sig = 256
        payload = {"sub": self.digits(r.randint(6, 10)), "name": self.filler("full"),
                   "iat": r.randint(1700000000, 1790000000)}
        if r.random() < 0.5:
            payload["exp"] = payload["iat"] + 3600
        if r.random() < 0.3:
            payload["scope"] = "read:%s write:%s" % (self.pick(WORDS), self.pick(WORDS))
        enc = lambda o: base64.urlsafe_b64encode(
            json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode()).decode().rstrip("=")
        return enc(header) + "." + enc(payload) + "." + self.b64(sig, url=True)

    def url_creds(self):
        r = self.r
        user = self.pick(["admin", "deploy", "app", "ci-bot", "postgres", "root",
                          self.ascii_name(self.pick(FIRST)) or "sam", "svc_reporting"])
        pw_alpha = ALNUM + "-_.~"
        pw = self.chars(pw_alpha, r.randint(10, 24))
        if r.random() < 0.2:
            pw = pw[:5] + "%40" + pw[5:]
        while not pw[-1].isalnum():
            pw = pw[:-1] + self.pick(ALNUM)
        scheme = self.pick(["https", "https", "http", "postgres", "postgresql", "mysql",
                            "mongodb+srv", "redis", "amqp", "ftp"])
        host = self.pick(["db.internal.acme.io", "git.hooli.dev", "cache.contoso.com",
                          "mq.globex.co.uk", "registry.initech.com",
                          "pg-main.eu-west-1.rds.amazonaws.com", "cluster0.ab1cd.mongodb.net",
                          "files.example.com", "nexus.initech.com"])
        if scheme == "redis" and r.random() < 0.5:
            user = ""
        port = {"postgres": ":5432", "postgresql": ":5432", "mysql": ":3306", "redis": ":6379",
                "amqp": ":5672"}.get(scheme, "")
        path = {"https": "/" + self.pick(["platform/api.git", "simple/", "v2/", "org/repo.git"]),
                "http": "/" + self.pick(["metrics", "admin/", "artifactory/api/pypi/simple"]),
                "postgres": "/" + self.pick(WORDS), "postgresql": "/" + self.pick(WORDS),
                "mysql": "/" + self.pick(WORDS), "mongodb+srv": "/" + self.pick(WORDS) + "?retryWrites=true&w=majority",
                "redis": "/0", "amqp": "/%2F", "ftp": "/pub/"}[scheme]
        return "%s://%s:%s@%s%s%s" % (scheme, user, pw, host, port, path)

    def secret(self, variant=None):
        r = self.r
        v = variant or "generic"
        if v == "aws_key_id":
            return "AKIA" + self.chars(string.ascii_uppercase + "234567", 16)
        if v == "aws_secret":
            return self.chars(ALNUM + "/+", 40)
        if v == "ghp":
            return "ghp_" + self.chars(ALNUM, 36)
        if v == "github_pat":
            return "github_pat_" + self.chars(string.ascii_uppercase + string.digits, 22) + "_" + self.chars(ALNUM, 59)
        if v == "glpat":
            return "glpat-" + self.chars(ALNUM + "-_", 20)
        if v == "slack_bot":
            return "xoxb-%s-%s-%s" % (self.digits(12), self.digits(13), self.chars(ALNUM, 24))
        if v == "slack_user":
            return "xoxp-%s-%s-%s-%s" % (self.digits(12), self.digits(12), self.digits(13), self.chars(HEX, 32))
        if v == "stripe":
            return "sk_live_" + self.chars(ALNUM, self.pick([24, 99]))
        if v == "stripe_rk":
            return "rk_live_" + self.chars(ALNUM, self.pick([24, 99]))
        if v == "openai":
            return "sk-" + self.chars(ALNUM, 48)
        if v == "openai_proj":
            return "sk-proj-" + self.chars(ALNUM + "-_", self.pick([48, 64, 120, 156]))[:-1] + self.pick(ALNUM)
        if v == "jwt":
            return self.jwt()
        if v == "pem":
            return self.pem(False)
        if v == "pem_json":
            return self.pem(True)
        if v == "url_creds":
            return self.url_creds()
        if v == "password":
            return self.password()
        if v == "hex":
            return self.chars(HEX, self.pick([32, 40, 64]))
        return self.generic_token()

    # -- hard negatives (values that must not be flagged)
    def neg(self, v):
        r = self.r
        if v == "order":
            return self.pick(["ORD-%d-%s" % (r.randint(2019, 2026), self.digits(6)),
                              "#%s" % self.digits(7), "A%s-%s" % (self.digits(2), self.digits(5)),
                              "%s" % ("1000" + self.digits(5)), "SO%s" % self.digits(8)])
        if v == "invoice":
            return self.pick(["INV-%d-%s" % (r.randint(2019, 2026), self.digits(6)),
                              "%d/%02d/%04d" % (r.randint(2019, 2026), r.randint(1, 12), r.randint(1, 9999)),
                              "F%s" % self.digits(9)])
        if v == "iso_ts":
            y, mo, d = r.randint(2020, 2027), r.randint(1, 12), r.randint(1, 28)
            h, mi, s = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
            return self.pick(["%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, h, mi, s),
                              "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (y, mo, d, h, mi, s, r.randint(0, 999)),
                              "%04d-%02d-%02dT%02d:%02d:%02d+01:00" % (y, mo, d, h, mi, s),
                              "%04d-%02d-%02d %02d:%02d:%02d,%03d" % (y, mo, d, h, mi, s, r.randint(0, 999))])
        if v == "epoch":
            return self.pick([str(r.randint(1600000000, 1799999999)),
                              str(r.randint(1600000000000, 1799999999999)), "1700000000"])
        if v == "version":
            return self.pick(["1.2.3", "v%d.%d.%d" % (r.randint(0, 30), r.randint(0, 40), r.randint(0, 99)),
                              "%d.%d.%d-rc.%d" % (r.randint(0, 9), r.randint(0, 20), r.randint(0, 9), r.randint(1, 5)),
                              "Chrome/%d.0.%d.%d" % (r.randint(100, 131), r.randint(5000, 6999), r.randint(10, 250)),
                              "2.4.%d-ubuntu%d" % (r.randint(10, 60), r.randint(1, 9))])
        if v == "winver":
            return self.pick(["v10.0.19045", "10.0.19045.%d" % r.randint(1000, 5000),
                              "10.0.22631.%d" % r.randint(1000, 5000), "6.1.7601"])
        if v == "hash40":
            return self.chars(HEX, 40)
        if v == "hash7":
            return self.chars(HEX, 7)
        if v == "uuid":
            h = self.chars(HEX, 32)
            return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], self.pick("89ab"), h[17:20], h[20:])
        if v == "hex32":
            return self.chars(HEX, 32)
        if v == "sha256":
            return self.chars(HEX, 64)
        if v == "bad_card":
            d = self.card_digits(self.pick(["visa", "mc", "discover"]))
            bad = d[:-1] + str((int(d[-1]) + r.randint(1, 9)) % 10)
            assert not luhn_ok(bad)
            return self.format_card(bad)
        if v == "bad_iban":
            s = self.iban_compact()
            good = s[2:4]
            while True:
                chk = "%02d" % r.randint(2, 98)
                if chk != good:
                    break
            bad = s[:2] + chk + s[4:]
            assert not iban_ok(bad)
            return self.format_iban(bad)
        if v == "bad_ssn":
            kind = r.randint(0, 4)
            g, s3 = "%02d" % r.randint(1, 99), "%04d" % r.randint(1, 9999)
            if kind == 0:
                return "000-%s-%s" % (g, s3)
            if kind == 1:
                return "666-%s-%s" % (g, s3)
            if kind == 2:   # 9xx with a group outside the ITIN ranges
                return "9%02d-%02d-%s" % (r.randint(0, 99), r.randint(1, 49), s3)
            if kind == 3:
                return "%03d-00-%s" % (r.randint(1, 665), s3)
            return "%03d-%s-0000" % (r.randint(1, 665), g)
        if v == "bad_nino":
            p = self.pick(["D", "F", "I", "Q", "U", "V"]) + self.pick(NINO_SECOND)
            if r.random() < 0.4:
                p = self.pick(["GB", "BG", "NK", "TN", "ZZ"])
            return "%s%s%s" % (p, self.digits(6), self.pick("ABCD"))
        if v == "isbn":
            while True:
                core = "978" + self.pick(["3", "0", "1", "2"]) + self.digits(8)
                total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(core))
                chk = str((10 - total % 10) % 10)
                return "%s-%s-%s-%s-%s" % (core[:3], core[3], core[4:6], core[6:12], chk)
        if v == "build":
            return "%d.%02d.%02d.%d" % (r.randint(2022, 2026), r.randint(1, 12), r.randint(1, 28), r.randint(1, 9))
        if v == "coords":
            lat, lon = r.uniform(-60, 70), r.uniform(-170, 170)
            return self.pick(["%.4f, %.4f" % (lat, lon), "lat=%.6f lon=%.6f" % (lat, lon),
                              "%.4f° N, %.4f° E" % (abs(lat), abs(lon))])
        if v == "price":
            n = r.randint(1000, 9999999)
            c = r.randint(0, 99)
            us = "{:,}".format(n)
            return self.pick(["$%s.%02d" % (us, c), "%s.%02d USD" % (us, c),
                              "EUR %s,%02d" % (us.replace(",", "."), c), "¥%s" % us,
                              "£%s.%02d" % (us, c)])
        if v == "data_uri":
            mime = self.pick(["image/png", "image/gif", "font/woff2", "image/jpeg"])
            head = {"image/png": "iVBORw0KGgoAAAANSUhEUgAA", "image/gif": "R0lGODlhAQABAIAAAP",
                    "font/woff2": "d09GMgABAAAAA", "image/jpeg": "/9j/4AAQSkZJRgABAQ"}[mime]
            return "data:%s;base64,%s%s" % (mime, head, self.b64(r.randint(60, 300)))
        if v == "integrity":
            return "sha512-" + self.b64(64)
        if v == "mac":
            return ":".join(self.chars(HEX, 2) for _ in range(6))
        if v == "ipver":
            return self.pick(["1.2.3.4.5", "999.1.1.1", "%d.%d.%d.%d" % (r.randint(256, 999), r.randint(0, 255), r.randint(0, 255), r.randint(0, 255)),
                              "%d.%d.%d.%d.%d" % (r.randint(1, 9), r.randint(0, 20), r.randint(0, 9), r.randint(0, 9), r.randint(0, 9)),
                              "1.3.6.1.4.1.%d.%d" % (r.randint(100, 60000), r.randint(1, 30))])
        if v == "zip4":
            return "%05d-%04d" % (r.randint(10000, 99950), r.randint(1, 9999))
        if v == "tracking":
            return "1Z" + self.chars(string.ascii_uppercase + string.digits, 16)
        if v == "cert_pem":
            label = self.pick(["CERTIFICATE", "PUBLIC KEY", "CERTIFICATE REQUEST"])
            body = "MII" + self.pick("BCD") + self.b64(r.randint(200, 900))[4:]
            lines = [body[i:i + 64] for i in range(0, len(body), 64)]
            return "-----BEGIN %s-----\n%s\n-----END %s-----" % (label, "\n".join(lines), label)
        if v == "ssh_pub":
            if r.random() < 0.5:
                return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + self.b64(32)[:43]
            return "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + self.b64(256)
        raise KeyError(v)


# ---------------------------------------------------------------- templates
# {kind} or {kind:variant} inserts a labelled value; {neg:x} a hard negative;
# other {names} are fillers. Placeholders are lowercase identifiers only, so
# literal braces as in JSON or ${API_KEY} are left alone.

POS = {
    "email": [
        "Hey {first}, can you send the deck to {email} before the {day} standup?",
        "Signed-off-by: {full} <{email}>",
        "From: {full} <{email}>\nSubject: Re: {subject}",
        "{iso_ts} INFO [auth] login succeeded for user={email} session={hex16}",
        "Email: {email}\nName: {full}",
        '{"user": {"name": "{full}", "email": "{email}", "created": "{date}"}}',
        '$ git config --global user.email "{email}"',
        "Please reach out to {email}.",
        "<a href=\"mailto:{email}?subject=Hello\">write to us</a>",
        "cc: {email}; {email}",
        "{first} ({email}) pushed {hash7} to main",
        "id,name,email,signup\n{int},{full},{email},{date}",
        "ERROR smtp: 550 5.1.1 <{email}>: Recipient address rejected",
        "Bitte an {email} schicken, danke! {emoji}",
        "Reply-To: {email}",
        "my personal one is {email} — use that instead of the work address",
        "[{hhmm}] invited {email} to #general",
        "Co-authored-by: {full} <{email}>",
        "Répondre à {email} avant vendredi",
        "Contact: {email} | {uni}",
    ],
    "phone": [
        "Call me at {phone} after 5pm",
        "Phone: {phone}",
        "Tel. {phone} · Fax: n/a",
        "Mobile: {phone}\nOffice: {phone}",
        "{iso_ts} WARN [sms] delivery failed to {phone} (carrier timeout)",
        '"phone_number": "{phone}",',
        "my new number is {phone}, the old one is gone",
        "Appelle-moi au {phone:fr} stp {emoji}",
        "Rufen Sie uns an: {phone:de}",
        '$ twilio api:core:messages:create --to "{phone}" --body "deploy done"',
        "Support hotline {phone} (Mon–Fri 9–17)",
        "UK office: {phone:uk}, US office: {phone:us}",
        "text {first} on {phone}, she is expecting it",
        "Phone number*\n{phone}",
        "call back {phone:us} re: ticket #{int}",
        "Emergency contact — {full}, {phone}",
        "WhatsApp: {phone:intl}",
        "Numéro : {phone:fr}",
        "Bel me op {phone:nl} of mail",
        "Llámame al {phone:es} cuando puedas",
        "Chiamami al {phone:it} domani",
        "Handy: {phone:de}",
    ],
    "credit_card": [
        "Card number: {credit_card}\nExp: {mm}/{yy}  CVC: {cvc}",
        "Can you put the team lunch on my card {credit_card}? thx",
        "payment failed for card {credit_card}: insufficient funds",
        '{"pan": "{credit_card}", "exp": "{mm}/{yy}", "holder": "{full}"}',
        "Kartennummer: {credit_card}",
        "name,card,exp\n{full},{credit_card},{mm}/{yy}",
        "Cardholder: {full} | Number: {credit_card} | Expiry {mm}/{yy}",
        "{iso_ts} ERROR [billing] charge declined pan={credit_card} amount={price}",
        "use {credit_card} exp {mm}/{yy} for the AWS bill",
        "Numéro de carte : {credit_card}",
        "$ curl https://api.payments.example/v1/tokens -d number={credit_card} -d exp_month={mm}",
        "The corporate card is {credit_card:spaced}, ask {first} for the code",
        "CC# {credit_card}",
    ],
    "iban": [
        "IBAN: {iban}\nBIC: {bic}",
        "please wire the deposit to {iban} (account holder {full})",
        "Bankverbindung: {iban}",
        "beneficiary_iban={iban} amount={price}",
        "Virement vers {iban} effectué {emoji}",
        "Could you update my payout IBAN to {iban}?",
        "name;iban;bic\n{full};{iban};{bic}",
        "Kontoinhaber: {full}, IBAN {iban:de}",
        "Sort code moved, new IBAN is {iban:gb}",
        "IBAN {iban:fr} – merci de confirmer",
        "{iso_ts} INFO [payouts] SEPA transfer queued to {iban}",
        "Rekeningnummer: {iban:nl}",
        "IBAN: {iban:es} (Banco), ref {neg:invoice}",
        "Coordinate bancarie: {iban:it}",
        "Zahlung an {iban:ch} veranlasst",
        "Rekening: {iban:be}",
    ],
    "ssn": [
        "SSN: {ssn:us}",
        "Social Security Number {ssn:us}",
        "employee ssn={ssn:us} dob={dob}",
        "my social is {ssn:us}, can you file the W-4?",
        "National Insurance number: {ssn:nino}",
        "NI No. {ssn:ninospaced}",
        "nino={ssn:nino}",
        "HMRC asked for my NINO ({ssn:ninospaced}) again {emoji}",
        "SSN (no dashes): {ssn:usbare}",
        "Name: {full}\nSSN: {ssn:us}\nDOB: {dob}",
        "full_name,ssn\n{full},{ssn:us}",
        "Applicant SSN {ssn:usspaced}",
        "ssn: {ssn:usbare}",
        "Your NI number is {ssn:ninospaced}.",
        "{iso_ts} WARN [hr-sync] duplicate record for ssn {ssn:us}",
        "Tax ID / SSN: {ssn:us} — {uni}",
        "National insurance: {ssn:nino}",
    ],
    "ip_address": [
        "$ ssh admin@{ip:v4}",
        "{iso_ts} 403 GET /admin from {ip}",
        "Connection refused: {ip:v4}:{port}",
        "listen_address = {ip:v4}",
        "$ ping6 {ip:v6}",
        "curl -v http://[{ip:v6}]:8080/health",
        "X-Forwarded-For: {ip:v4}, {ip:v4}",
        "the VPN gave me {ip:v4} today, can you allowlist it?",
        "    server {ip:v4}:443 weight=5;",
        "nameserver {ip}",
        "    inet6 {ip:v6}/64 scope global dynamic",
        "allow {ip:v4}/32;",
        "client_ip={ip} method=POST path=/api/v2/orders status=201",
        "Failed password for invalid user test from {ip} port {port} ssh2",
        "DNS A record → {ip:v4} {emoji}",
        "peer {ip:v6} is unreachable",
        "host={ip:v4} db={word}",
    ],
}

SECRET_TEMPLATES = {
    "aws_key_id": [
        "aws_access_key_id = {secret:aws_key_id}",
        "export AWS_ACCESS_KEY_ID={secret:aws_key_id}",
        "found a hardcoded key {secret:aws_key_id} in settings.py {emoji}",
        '"AccessKeyId": "{secret:aws_key_id}",',
    ],
    "aws_secret": [
        "[default]\naws_access_key_id = {secret:aws_key_id}\naws_secret_access_key = {secret:aws_secret}\nregion = {region}",
        "export AWS_SECRET_ACCESS_KEY={secret:aws_secret}",
        '"SecretAccessKey": "{secret:aws_secret}",',
        "aws_secret_access_key: {secret:aws_secret}",
    ],
    "ghp": [
        "GITHUB_TOKEN={secret:ghp}",
        "$ git clone https://{secret:ghp}@github.com/acme/api.git",
        'curl -H "Authorization: token {secret:ghp}" https://api.github.com/user',
        "oops, pasted {secret:ghp} in the channel, rotating now",
    ],
    "github_pat": [
        "export GH_TOKEN={secret:github_pat}",
        "fine-grained token: {secret:github_pat}",
        "- name: checkout\n  env:\n    TOKEN: {secret:github_pat}",
    ],
    "glpat": [
        'curl --header "PRIVATE-TOKEN: {secret:glpat}" https://gitlab.example.com/api/v4/projects',
        "GITLAB_TOKEN={secret:glpat}",
        "use {secret:glpat} for the runner registration",
    ],
    "slack_bot": [
        "SLACK_BOT_TOKEN={secret:slack_bot}",
        "const client = new WebClient('{secret:slack_bot}');",
        "bot token is {secret:slack_bot} (don't share)",
    ],
    "slack_user": [
        "slack_user_token: {secret:slack_user}",
        "export SLACK_TOKEN={secret:slack_user}",
    ],
    "stripe": [
        "STRIPE_SECRET_KEY={secret:stripe}",
        "stripe.api_key = '{secret:stripe}'",
        "{iso_ts} DEBUG [billing] init stripe client key={secret:stripe}",
    ],
    "stripe_rk": [
        "restricted key for the exporter: {secret:stripe_rk}",
        "STRIPE_RESTRICTED_KEY={secret:stripe_rk}",
    ],
    "openai": [
        "OPENAI_API_KEY={secret:openai}",
        'client = OpenAI(api_key="{secret:openai}")',
        "here's my key {secret:openai} lol don't tell anyone",
    ],
    "openai_proj": [
        "export OPENAI_API_KEY={secret:openai_proj}",
        "new project key {secret:openai_proj}",
        '"openai": {"key": "{secret:openai_proj}"}',
    ],
    "jwt": [
        "Authorization: Bearer {secret:jwt}",
        '$ curl -H "Authorization: Bearer {secret:jwt}" https://api.acme.io/v1/me',
        "Set-Cookie: session={secret:jwt}; Path=/; HttpOnly",
        "id_token={secret:jwt}&state={hex16}",
        "paste this into jwt.io: {secret:jwt}",
    ],
    "pem": [
        "$ cat ~/.ssh/id_deploy\n{secret:pem}",
        "tls.key: |\n{secret:pem}",
        "{secret:pem}",
        '"private_key": "{secret:pem_json}\\n",\n"client_email": "{email}"',
    ],
    "url_creds": [
        "DATABASE_URL={secret:url_creds}",
        "$ git remote add origin {secret:url_creds}",
        "connection string: {secret:url_creds}",
        "{iso_ts} ERROR [db] could not connect to {secret:url_creds}: timeout",
        "pip config set global.index-url {secret:url_creds}",
    ],
    "generic": [
        "api_key={secret:generic}",
        '"client_secret": "{secret:generic}",',
        'token = "{secret:generic}"',
        "secret: {secret:generic}",
        "API_KEY: {secret:generic}",
        "auth_token={secret:generic}&v=2",
        "key: {secret:hex}",
        "SENTRY_SECRET={secret:generic}",
        "apiKey: '{secret:generic}'",
        "access_token: {secret:generic}",
        "secret_key = {secret:hex}",
    ],
    "password": [
        "password: {secret:password}",
        "DB_PASSWORD={secret:password}",
        "passwd={secret:password}",
        "Username: {first_lower}\nPassword: {secret:password}",
        "the wifi password: {secret:password} {emoji}",
        '$ mysql --user=root --password={secret:password} {word}',
        'PGPASSWORD="{secret:password}" psql -h localhost',
        "admin_password = {secret:password}",
        "password={secret:password}",
    ],
}
SECRET_SUBTYPES = list(SECRET_TEMPLATES)

NEG = [
    "Order {neg:order} shipped on {date} — tracking {neg:tracking}",
    "Invoice {neg:invoice} is due {date}, total {neg:price}",
    "[{neg:iso_ts}] INFO worker: processed batch {int} in 412ms",
    "created_at={neg:epoch} updated_at={neg:epoch}",
    "Upgraded to {neg:version}, Windows build {neg:winver}",
    "Reverted {neg:hash7} ({subject})",
    "request_id={neg:uuid} trace_id={neg:hex32} status=200",
    "Parcel ID {neg:bad_card} — please keep for your records",
    "Loyalty number {neg:bad_card}",
    "SEPA ref {neg:bad_iban} rejected: invalid checksum",
    "Test fixture uses {neg:bad_ssn} (known invalid range)",
    "placeholder value {neg:bad_ssn} in the form mock",
    "Ticket {neg:bad_nino} closed",
    "ISBN {neg:isbn}",
    "Book: ISBN-13 {neg:isbn}, 2nd edition",
    "Build {neg:build} is green {emoji}",
    "Location: {neg:coords}",
    "Revenue: {neg:price} ({int} items)",
    '<img src="{neg:data_uri}" alt="logo">',
    "background: url({neg:data_uri});",
    "the password reset link expired, please request a new one",
    "Your password must be at least 12 characters long.",
    "Forgot password? We'll send a reset link to your inbox.",
    "token expired at {neg:iso_ts}; refreshing",
    "api_key=${API_KEY}",
    "password: ********",
    "DB_PASSWORD=${DB_PASSWORD}",
    'password = os.environ["DB_PASSWORD"]',
    "secret: {{ .Values.secret }}",
    "token = get_token(client)",
    "The API key is stored in the vault, ask {first}.",
    "key: primary",
    "PRIMARY KEY (id, tenant_id)",
    "keyboard: us-intl",
    "max_tokens: 4096",
    "secret santa is on {day}! {emoji}",
    "token_type: bearer",
    "password_policy: strict",
    "the password field is empty",
    "We need a task-list for the risk-free migration; disk-usage is at 91%.",
    "$ pip install flask-login scikit-learn",
    "kiosk-mode and desk-sharing are enabled",
    "Visit https://www.example.com/docs or status.acme.io for updates",
    "see https://docs.hooli.dev/guide/install?lang=en#step-3",
    "@{first_lower} can you review {neg:hash7}?",
    "$ npm i -D @types/node@{ver}",
    "assets/icon@2x.png and assets/icon@3x.png",
    "parse error: '{neg:ipver}' is not a valid address",
    "section {neg:ipver} of the spec",
    "OID {neg:ipver}",
    "ether {neg:mac} txqueuelen 1000",
    "Mail to 1 Market St, San Francisco, CA {neg:zip4}",
    "ca.crt:\n{neg:cert_pem}",
    "{neg:cert_pem}",
    "{neg:ssh_pub} {first_lower}@laptop",
    "postgres://localhost:5432/{word}",
    "REDIS_URL=redis://cache:6379/0",
    "$ docker pull nginx@sha256:{neg:sha256}",
    '"integrity": "{neg:integrity}"',
    "Meeting moved from 10:04:05 to 14:30 {emoji}",
    "std::vector<int> v; Foo::bar();",
    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) {neg:version} Safari/537.36",
    "PR #{int} merged into release/{ver}",
    "checksum: {neg:sha256}",
    "etag: \"{neg:hex32}\"",
    "commit_sha={neg:hash40}",
    "Windows 10 Pro {neg:winver}",
    "{neg:iso_ts} DEBUG [{module}] cache warm in 83ms, {int} keys",
    "epoch {neg:epoch}",
    "Total due: {neg:price}",
    "Room 1203-B, extension 4421",
    "Ticket JIRA-{int}: {subject}",
    "v{ver} released {date} {uni}",
    "{uni} {emoji}",
    "Q3 numbers: {neg:price} revenue, {neg:price} costs",
    "SKU 0-{int}-{int}-5, batch {neg:build}",
    "see RFC 5737 for documentation ranges",
    "the key insight is that retries need jitter",
    "Password reset requested for account #{int}",
]

SHELLS_POS = [
    "{body}", "{body}", "{body}",
    "[{hhmm}] {first}: {body}",
    "{full}  {time12}\n{body}",
    "{iso_ts} {level} [{module}] {body}",
    "> {body}",
    "Hi {first},\n\n{body}\n\nThanks,\n{first}",
    "commit {hash40}\nAuthor: {full} <{email}>\nDate:   {gitdate}\n\n    {body}",
    "#{int} {subject}\n\n{body}",
    "```\n{body}\n```",
    "{uni} {emoji}\n{body}",
]
SHELLS_NEG = [
    "{body}", "{body}", "{body}",
    "[{hhmm}] {first}: {body}",
    "{full}  {time12}\n{body}",
    "{iso_ts} {level} [{module}] {body}",
    "> {body}",
    "Hi {first},\n\n{body}\n\nThanks,\n{first}",
    "commit {hash40}\nMerge: {hash7} {hash7}\nDate:   {gitdate}\n\n    {body}",
    "#{int} {subject}\n\n{body}",
    "```\n{body}\n```",
    "{uni} {emoji}\n{body}",
]

PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)(?::([a-z_0-9]+))?\}")
KIND_OF_PLACEHOLDER = {"email": "email", "phone": "phone", "credit_card": "credit_card",
                       "iban": "iban", "ssn": "ssn", "ip": "ip_address", "secret": "secret"}


def render(g, template, body=None):
    """Fill a template; return (text, spans) with spans as (start, end, kind)."""
    out, spans, pos, last = [], [], 0, 0
    for m in PLACEHOLDER.finditer(template):
        lit = template[last:m.start()]
        out.append(lit)
        pos += len(lit)
        last = m.end()
        name, variant = m.group(1), m.group(2)
        inner = []
        if name == "body":
            value, inner = body
        elif name in KIND_OF_PLACEHOLDER:
            value = getattr(g, name)(variant)
            inner = [(0, len(value), KIND_OF_PLACEHOLDER[name])]
        elif name == "neg":
            value = g.neg(variant)
        else:
            value = g.filler(name)
        spans.extend((pos + s, pos + e, k) for s, e, k in inner)
        out.append(value)
        pos += len(value)
    out.append(template[last:])
    return "".join(out), spans


def concat(parts, seps):
    text, spans = "", []
    for i, (t, sp) in enumerate(parts):
        if i:
            text += seps[i - 1]
        spans.extend((s + len(text), e + len(text), k) for s, e, k in sp)
        text += t
    return text, spans


def to_crlf(text, spans):
    """Turn LF line ends into CRLF, moving the spans with them."""
    mapping, n = [], 0
    for ch in text:
        mapping.append(n)
        n += 2 if ch == "\n" else 1
    mapping.append(n)
    return text.replace("\n", "\r\n"), [(mapping[s], mapping[e], k) for s, e, k in spans]


def build(seed=SEED, n_docs=N_DOCS, n_negative=N_NEGATIVE):
    g = Gen(seed)
    r = g.r
    n_positive = n_docs - n_negative
    primaries = ["email", "phone", "credit_card", "iban", "ssn", "ip_address", "secret", "secret"]
    secret_cycle = 0
    kinds_cycle = 0
    docs = []

    def secret_snippet():
        nonlocal secret_cycle
        sub = SECRET_SUBTYPES[secret_cycle % len(SECRET_SUBTYPES)]
        secret_cycle += 1
        return g.pick(SECRET_TEMPLATES[sub])

    def pos_snippet(kind):
        return secret_snippet() if kind == "secret" else g.pick(POS[kind])

    plan = ["pos"] * n_positive + ["neg"] * n_negative
    r.shuffle(plan)
    for kind_of_doc in plan:
        parts = []
        if kind_of_doc == "pos":
            primary = primaries[kinds_cycle % len(primaries)]
            kinds_cycle += 1
            parts.append(render(g, pos_snippet(primary)))
            if r.random() < 0.35:
                parts.append(render(g, pos_snippet(g.pick(primaries))))
            if r.random() < 0.45:
                parts.insert(r.randint(0, len(parts)), render(g, g.pick(NEG)))
            r.shuffle(parts)
            shells = SHELLS_POS
        else:
            for _ in range(g.pick([1, 1, 2, 2, 3])):
                parts.append(render(g, g.pick(NEG)))
            shells = SHELLS_NEG
        seps = [g.pick([" ", "\n", "\n\n", " | "]) for _ in parts[1:]]
        body = concat(parts, seps)
        text, spans = render(g, g.pick(shells), body=body)
        if r.random() < 0.08:
            text, spans = to_crlf(text, spans)
        spans.sort()
        docs.append({"id": len(docs), "text": text,
                     "spans": [{"start": s, "end": e, "what": k} for s, e, k in spans]})
    return docs


# ---------------------------------------------------------------- checks

def check(docs):
    """Independent re-validation of every gold span; returns a list of problems."""
    problems = []
    try:
        import phonenumbers
    except ImportError:
        phonenumbers = None
    for d in docs:
        text, last_end = d["text"], 0
        for sp in d["spans"]:
            s, e, k = sp["start"], sp["end"], sp["what"]
            v = text[s:e]
            where = "doc %d [%d,%d) %s %r" % (d["id"], s, e, k, v[:60])
            if k not in KINDS or not (0 <= s < e <= len(text)) or s < last_end:
                problems.append("bad span " + where)
                continue
            last_end = e
            if v != v.strip():
                problems.append("whitespace at span edge " + where)
            if k == "credit_card":
                digits = re.sub(r"[ -]", "", v)
                if not (digits.isdigit() and luhn_ok(digits) and len(digits) in (15, 16)):
                    problems.append("invalid card " + where)
            elif k == "iban" and not iban_ok(v):
                problems.append("invalid iban " + where)
            elif k == "ssn" and not (ssn_ok(v) if v[0].isdigit() else nino_ok(v)):
                problems.append("invalid ssn/nino " + where)
            elif k == "ip_address":
                try:
                    ipaddress.ip_address(v)
                except ValueError:
                    problems.append("invalid ip " + where)
            elif k == "email" and not re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", v):
                problems.append("odd email " + where)
            elif k == "phone" and phonenumbers is not None:
                regions = [None] if v.startswith("+") else ["US", "GB", "FR", "DE"]
                ok = False
                for region in regions:
                    try:
                        ok = phonenumbers.is_valid_number(phonenumbers.parse(v, region))
                    except phonenumbers.NumberParseException:
                        ok = False
                    if ok:
                        break
                if not ok:
                    problems.append("invalid phone " + where)
            elif k == "secret":
                if v.startswith("-----BEGIN") and not v.endswith("PRIVATE KEY-----"):
                    problems.append("pem span " + where)
    return problems


def summary(docs):
    counts = {k: 0 for k in KINDS}
    docs_with = {k: 0 for k in KINDS}
    neg_only = 0
    for d in docs:
        seen = set()
        for sp in d["spans"]:
            counts[sp["what"]] += 1
            seen.add(sp["what"])
        for k in seen:
            docs_with[k] += 1
        if not d["spans"]:
            neg_only += 1
    lines = ["%d documents, %d negative-only (no spans), %d gold spans" %
             (len(docs), neg_only, sum(counts.values()))]
    for k in KINDS:
        lines.append("  %-12s %5d spans in %4d documents" % (k, counts[k], docs_with[k]))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", help="JSONL file to write")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--docs", type=int, default=N_DOCS)
    ap.add_argument("--negatives", type=int, default=N_NEGATIVE)
    ap.add_argument("--check", metavar="FILE", help="re-validate an existing file and exit")
    a = ap.parse_args(argv)
    if a.check:
        with open(a.check, encoding="utf-8") as f:
            docs = [json.loads(line) for line in f if line.strip()]
        problems = check(docs)
        print(summary(docs))
        for p in problems[:50]:
            print("PROBLEM", p)
        print("%d problems" % len(problems))
        return 1 if problems else 0
    if not a.out:
        ap.error("give an output file (or --check FILE)")
    docs = build(a.seed, a.docs, a.negatives)
    problems = check(docs)
    if problems:
        for p in problems[:50]:
            print("PROBLEM", p, file=sys.stderr)
        print("%d problems; not written" % len(problems), file=sys.stderr)
        return 1
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(summary(docs))
    print("wrote", a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
