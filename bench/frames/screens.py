#!/usr/bin/env python3
"""Frame redaction on synthetic screens: recall, precision and OCR time per screen.

    screens.py make --out DIR [--seed N] [--variants N]
    screens.py evaluate --bin BIN --dir DIR [--json-out FILE] [--extra "ARGS"]

`make` draws with Pillow a held-out set of 1280x800 PNG screens, the same for a seed: six
genres (mail, chat, terminal, web form, spreadsheet, config editor) x three themes (light;
dark, light text on dark; coloured, white or yellow text on coloured fills) x --variants.
Text is 10-18 px in five families (DejaVu Sans, DejaVu Serif, DejaVu Sans Mono, Liberation
Sans, Liberation Mono; terminal and editor screens take one of the two mono ones), sizes and
fonts rotated so each genre x theme cell sees five sizes. Each screen plants values among
ordinary words: Luhn-valid cards (grouped and not), emails, international and national
phones, mod-97 IBANs (grouped and not), US SSNs, API keys and tokens, URLs with credentials,
passwords after labels (`password:`, `DB_PASSWORD=`, `pwd=`) and people's names where mail,
chat, forms and sheets show them. DIR/NNN.json holds each value's kind, text, exact pixel box
(draw.textbbox) and background colour, and each ordinary word's box: planted text is written
there only, never to the terminal.

`evaluate` runs `BIN redact-image IN OUT --json` on each screen (the recorder's OCR and text
recognizers, all kinds on, whole image), times it (wall clock, process start included), and
scores the boxes it returns (their union; not black in the output image, since black text on
a light theme would pass for a fill):
- recall: a value is covered when >= 98% of its ink pixels (pixels of its box that differ
  from its background colour in the unredacted screen) are inside the union of boxes;
- precision: the share of filled pixels (union of boxes) inside some value's box grown by 4 px;
- readable share: the share of ordinary words (runs of 3+ letters or digits) with no filled pixel.
Recall is broken down by kind, genre, theme, size band and font, and the most common misses
(kind, genre, theme, size band) are listed. A failed run of BIN is printed and its screen is
left out of the scores (counted in "failed"). DIR/redacted/ gets each output image and its boxes
(NNN.boxes.json, for looking into misses); the lines OCR read are not kept.
"""
import argparse
import collections
import json
import math
import os
import random
import re
import statistics
import string
import subprocess
import sys
import time

# This folder's typing.py (the typing bench) would shadow the standard module Pillow imports.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
from PIL import Image, ImageChops, ImageDraw, ImageFont

W, H = 1280, 800
# Debian's fonts-dejavu-core and fonts-liberation (scripts/setup.sh bench installs them).
FONTS = {name: f"/usr/share/fonts/truetype/{path}.ttf" for name, path in [
    ("DejaVu Sans", "dejavu/DejaVuSans"), ("DejaVu Serif", "dejavu/DejaVuSerif"), ("DejaVu Sans Mono", "dejavu/DejaVuSansMono"),
    ("Liberation Sans", "liberation/LiberationSans-Regular"), ("Liberation Mono", "liberation/LiberationMono-Regular")]}
MONO = ["DejaVu Sans Mono", "Liberation Mono"]
SIZES = list(range(10, 19))
BAND = {size: f"{a}-{b}" for a, b in [(10, 11), (12, 13), (14, 15), (16, 18)] for size in range(a, b + 1)}
COVERED, GROW = 0.98, 4
# bg, fg, panel (sidebars, zebra rows, others' bubbles), accent fill and its text, input
# fields, borders, muted text, config keys.
THEMES = {
    "light": dict(bg=(250, 250, 250), fg=(32, 33, 36), panel=(232, 236, 241), accent=(26, 115, 232), on_accent=(255, 255, 255),
                  field=(255, 255, 255), border=(170, 174, 180), muted=(95, 99, 104), key=(170, 55, 0)),
    "dark": dict(bg=(30, 31, 34), fg=(222, 222, 222), panel=(47, 49, 54), accent=(88, 101, 242), on_accent=(255, 255, 255),
                 field=(18, 18, 20), border=(90, 92, 98), muted=(160, 160, 165), key=(230, 180, 100)),
    "coloured": dict(bg=(0, 84, 147), fg=(255, 255, 255), panel=(0, 121, 107), accent=(198, 40, 40), on_accent=(255, 236, 179),
                     field=(49, 27, 146), border=(255, 255, 255), muted=(187, 222, 251), key=(255, 235, 59)),
}
# Names the recorder's lists know (Sources/Privacy/person-names.txt, none also a common word).
GIVEN = ["Maria", "Thomas", "Anna", "Daniel", "Laura", "Michael", "Sarah", "Peter", "David", "Emma", "Lukas", "Sophie", "Priya", "Kenji"]
FAMILY = ["Rossi", "Becker", "Schneider", "Johnson", "Garcia", "Nguyen", "Kowalski", "Dubois", "Jensen", "Patel", "Fischer",
          "Novak", "Moreau", "Larsen", "Tanaka"]
DOMAINS = ["contoso.com", "globex.co.uk", "initech.io", "hooli.dev", "example.org", "acme-corp.de", "mail.fabrikam.net"]
# Ordinary text: no names, no capitalised words that are also names, no long digit runs.
SENTENCES = """the quarterly review moved to the large meeting room on the third floor|could you check the draft before we send it to
the printer|the build is green again after the cache was cleared|we still need the signed contract and the delivery schedule|lunch is
booked for twelve people at the usual place|the new laptops arrive next week with the docking stations|please keep the slides short
and leave time for questions|the survey results look better than last year overall|our train leaves at half past eight from the
central station|the backup job finished without errors last night|remember to update the roadmap before the planning session|the
office will be closed on the public holiday|shipping costs went up so the budget needs another look|the design team wants feedback
on the onboarding screens""".replace("\n", " ").split("|")
WORDS = " ".join(SENTENCES).split()


def chars(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def digits(rng, n, first=string.digits):
    return rng.choice(first) + chars(rng, string.digits, n - 1)


def sentence(rng, n=None):
    text = " ".join(rng.sample(WORDS, n)) if n else rng.choice(SENTENCES)
    return text[0].upper() + text[1:]


# Value makers: (kind, text), the pieces Screen.put records as planted.
def person(rng):
    return ("person_name", f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}")


def email(rng, name=None):
    given, family = (name[1] if name else person(rng)[1]).lower().split()
    local = rng.choice([f"{given}.{family}", f"{given[0]}.{family}", f"{given}{family}+billing", f"{family}.{given}{digits(rng, 2)}"])
    return ("email", f"{local}@{rng.choice(DOMAINS)}")


def card(rng):
    prefix, length = rng.choice([("4", 16), ("5" + str(rng.randint(1, 5)), 16), ("3" + rng.choice("47"), 15), ("6011", 16)])
    body = prefix + digits(rng, length - len(prefix) - 1)
    total = sum(d - 9 if d > 9 else d for d in (int(c) * (2 - i % 2) for i, c in enumerate(reversed(body))))
    number = body + str((10 - total % 10) % 10)
    cuts = [0, 4, 10, 15] if length == 15 else [0, 4, 8, 12, 16]
    return ("credit_card", rng.choice([" ", "-", ""]).join(number[a:b] for a, b in zip(cuts, cuts[1:])))


def iban(rng, grouped=None):
    letters = string.ascii_uppercase
    cc, bban = rng.choice([("DE", digits(rng, 18)), ("GB", chars(rng, letters, 4) + digits(rng, 14)), ("FR", digits(rng, 23)),
                           ("NL", chars(rng, letters, 4) + digits(rng, 10)), ("ES", digits(rng, 20))])
    compact = f"{cc}{98 - int(''.join(str(int(c, 36)) for c in bban + cc + '00')) % 97:02d}{bban}"  # mod-97 check digits
    grouped = rng.random() < 0.5 if grouped is None else grouped
    return ("iban", " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)) if grouped else compact)


def phone(rng, international=None):
    d = lambda n: digits(rng, n, "123456789")  # subscriber numbers do not begin with 0
    area, exchange = rng.randint(201, 989), rng.randint(201, 989)
    if international if international is not None else rng.random() < 0.5:
        return ("phone", rng.choice([f"+44 20 7{d(3)} {d(4)}", f"+1 {area} {exchange} {d(4)}", f"+49 30 {d(8)}",
                                     f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}", f"+31 6 {d(4)} {d(4)}"]))
    return ("phone", rng.choice([f"({area}) {exchange}-{d(4)}", f"{area}-{exchange}-{d(4)}", f"020 7{d(3)} {d(4)}",
                                 f"06 {d(2)} {d(2)} {d(2)} {d(2)}", f"030 {d(8)}"]))


def ssn(rng, sep=None):
    area, sep = rng.choice([rng.randint(1, 665), rng.randint(667, 899)]), rng.choice(["-", "-", " "]) if sep is None else sep
    return ("ssn", f"{area:03d}{sep}{rng.randint(1, 99):02d}{sep}{rng.randint(1, 9999):04d}")


def password(rng):
    parts = [rng.choice(string.ascii_uppercase), rng.choice(string.digits), rng.choice("!#%&*?-_+")]  # three kinds at least
    parts += chars(rng, string.ascii_letters + string.digits + "!#%&*?-_+", rng.randint(8, 12))
    rng.shuffle(parts)
    return ("password", "".join(parts))


def secret(rng, which):
    an = string.ascii_letters + string.digits
    return ("secret", {
        "aws_id": lambda: "AKIA" + chars(rng, string.ascii_uppercase + string.digits, 16), "aws_secret": lambda: chars(rng, an + "/+", 40),
        "github": lambda: "ghp_" + chars(rng, an, 36), "openai": lambda: "sk-proj-" + chars(rng, an + "_-", 40),
        "slack": lambda: f"xoxb-{digits(rng, 11, '123456789')}-{digits(rng, 12, '123456789')}-{chars(rng, an, 24)}",
        "stripe": lambda: "sk_live_" + chars(rng, an, 24), "generic": lambda: chars(rng, an, 32),
        "dsn": lambda: rng.choice([f"postgresql://billing:{chars(rng, an, 14)}@db.internal:5432/orders",
                                   f"mysql://app:{chars(rng, an, 12)}@10.0.4.12/shop", f"redis://:{chars(rng, an, 16)}@cache.internal:6379/0",
                                   f"mongodb+srv://admin:{chars(rng, an, 13)}@cluster0.example.net/app"]),
        "git_url": lambda: f"https://oauth2:glpat-{chars(rng, an, 20)}@gitlab.example.com/team/api.git",
    }[which]())


class Screen:
    """A canvas that draws lines of pieces and records where each value and ordinary word went."""

    def __init__(self, theme, font, size):
        self.t, self.size, self.lh = THEMES[theme], size, round(size * 1.7)
        self.img = Image.new("RGB", (W, H), self.t["bg"])
        self.d = ImageDraw.Draw(self.img)
        self.font = ImageFont.truetype(FONTS[font], size)
        self.values, self.words = [], []

    def rect(self, box, fill, outline=None, radius=0):
        self.d.rounded_rectangle(box, radius, fill=fill, outline=outline)

    def band(self, height, text):  # a title bar across the top
        self.rect((0, 0, W, height), self.t["panel"])
        self.put(16, (height - self.lh) // 2 + 2, [text], bg=self.t["panel"])

    def bbox(self, x, y, text):
        x0, y0, x1, y1 = self.d.textbbox((x, y), text, font=self.font)
        return [math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1)]

    def width(self, segs):
        return sum(self.d.textlength(p if isinstance(p, str) else p[1], font=self.font) for p in segs)

    def put(self, x, y, segs, fg=None, bg=None):
        """Pieces: "text" (ordinary), (kind, value), or (None, text, colour). False, and nothing drawn, when the line does not fit."""
        fg, bg = fg or self.t["fg"], bg or self.t["bg"]
        x, y = round(x), round(y)
        if x + self.width(segs) > W - 6 or y + self.lh > H - 4:
            return False
        for p in segs:
            kind, text, colour = (None, p, fg) if isinstance(p, str) else (p[0], p[1], p[2] if len(p) > 2 else fg)
            if kind:
                self.values.append(dict(kind=kind, text=text, box=self.bbox(x, y, text), bg=list(bg)))
            for m in [] if kind else re.finditer(r"[A-Za-z0-9]{3,}", text):
                x0 = x + round(self.d.textlength(text[:m.start()], font=self.font))
                self.words.append(dict(text=m.group(), box=self.bbox(x0, y, m.group())))
            self.d.text((x, y), text, fill=colour, font=self.font)
            x += round(self.d.textlength(text, font=self.font))
        return True

    def button(self, x, y, text):
        if y + self.lh + 8 > H - 4:
            return
        self.rect((x, y, x + self.width([text]) + 24, y + self.lh + 8), self.t["accent"], radius=6)
        self.put(x + 12, y + 4 + (self.lh - self.size) // 3, [text], fg=self.t["on_accent"], bg=self.t["accent"])


def mail(s, rng):
    t, lh = s.t, s.lh
    s.rect((0, 0, 200, H), t["panel"])
    for i, folder in enumerate(["Inbox", "Starred", "Sent", "Drafts", "Archive", "Spam"]):
        s.put(20, 24 + i * lh, [folder], bg=t["panel"])
    s.button(20, H - 70, "Compose")
    sender = person(rng)
    x, y = 240, 24
    lines = [["Subject: " + sentence(rng, 4)], ["From: ", sender, " <", email(rng, sender), ">"], ["To: ", email(rng)],
             ["Cc: ", email(rng), ", ", email(rng)], [(None, "Date: Tue, 12 Mar 2024 10:42", t["muted"])], [],
             ["Hi ", ("person_name", rng.choice(GIVEN)), ","], [sentence(rng)],
             ["You can reach me on ", phone(rng, True), " or at the office on ", phone(rng, False), "."], [sentence(rng)],
             ["The deposit goes to ", iban(rng), " before the end of the month."], [sentence(rng)],
             ["For the booking I used the card ", card(rng), " as agreed."], ["The payroll form wants my SSN, it is ", ssn(rng), "."], [],
             ["Best regards,"], [sender], ["Mobile: ", phone(rng)]]
    for segs in lines:
        s.put(x, y, segs)
        y += lh
    s.button(x, y + lh, "Reply")


def chat(s, rng):
    t, lh = s.t, s.lh
    s.rect((0, 0, 220, H), t["panel"])
    for i, channel in enumerate(["# general", "# billing", "# design", "# random", "Direct messages"]):
        s.put(20, 24 + i * lh, [channel], bg=t["panel"])
    templates = [["my new number is ", phone(rng)], ["card for the hotel: ", card(rng)], ["here is the token ", secret(rng, "github"), " do not share"],
                 ["the wifi password: ", password(rng)], ["send the invoice to ", email(rng)], ["SSN for the form is ", ssn(rng)],
                 ["IBAN ", iban(rng), " for the refund"], ["call the supplier on ", phone(rng)], ["bot token ", secret(rng, "slack")]]
    messages = rng.sample(templates, 6) + [[sentence(rng)] for _ in range(4)]
    rng.shuffle(messages)
    y = 20
    for i, segs in enumerate(messages):
        mine, width = rng.random() < 0.4, s.width(segs) + 24
        if 250 + width > W - 20 or y + 2 * lh + 12 > H:  # a bubble that would not fit is not shown
            continue
        x = W - 30 - width if mine and W - 30 - width > 250 else 250
        s.put(x, y, [("You" if mine else person(rng)), (None, f"  10:{i + 30}", t["muted"])])
        fill, fg = (t["accent"], t["on_accent"]) if mine else (t["panel"], t["fg"])
        s.rect((x, y + lh, x + width, y + 2 * lh + 8), fill, radius=10)
        s.put(x + 12, y + lh + 4, segs, fg=fg, bg=fill)
        y += 2 * lh + 18


def terminal(s, rng):
    t, lh = s.t, s.lh
    s.band(lh + 8, "Terminal - ~/src/billing-api")
    commands = [["$ export AWS_ACCESS_KEY_ID=", secret(rng, "aws_id")], ["$ export AWS_SECRET_ACCESS_KEY=", secret(rng, "aws_secret")],
                ["$ env | grep -i token"], ["GITHUB_TOKEN=", secret(rng, "github")], ["SLACK_BOT_TOKEN=", secret(rng, "slack")],
                ["DB_PASSWORD=", password(rng)], ["OPENAI_API_KEY=", secret(rng, "openai")], ["$ git remote add origin ", secret(rng, "git_url")],
                ["$ export DATABASE_URL=", secret(rng, "dsn")], ["$ stripe login --api-key ", secret(rng, "stripe")]]
    outputs = ["total 48", "drwxr-xr-x  5 dev staff   160 Mar 12 10:42 src", "Compiling billing-api v0.4.2", "Finished dev profile in 14.2s",
               "test result: ok. 42 passed; 0 failed", "On branch main", "nothing to commit, working tree clean", "HEAD is now at 3f2a9c1 fix retry loop",
               "Connection refused, retrying in 5 seconds"]
    y = lh + 20
    for segs in commands:
        for line in [segs] + [[o] for o in rng.sample(outputs, rng.randint(0, 1))]:
            s.put(16, y, line)
            y += lh


def form(s, rng):
    t, lh = s.t, s.lh
    s.rect((0, 0, W, lh + 24), t["panel"])
    s.rect((120, 8, 900, lh + 16), t["field"], outline=t["border"], radius=8)
    s.put(136, 12, ["https://shop.example.com/checkout/payment"], bg=t["field"])
    y = lh + 50
    s.put(60, y, ["Payment details"])
    fields = [("Full name", person(rng)), ("Email", email(rng)), ("Phone", phone(rng)), ("Card number", card(rng)),
              ("IBAN", iban(rng)), ("SSN", ssn(rng, rng.choice(["-", ""]))), ("API key", secret(rng, "stripe")), ("Promo code", "SPRING")]
    label_w = max(s.width([label]) for label, _ in fields) + 90
    y += lh * 2
    for i, (label, value) in enumerate(fields):
        if y + lh + 12 > H - 80:
            break
        s.put(60, y + 6 + (lh - s.size) // 3, [label])
        s.rect((label_w, y, label_w + max(420, s.width([value]) + 30), y + lh + 12), t["field"],
               outline=t["accent"] if i == 3 else t["border"], radius=4)  # the focused field
        s.put(label_w + 12, y + 6 + (lh - s.size) // 3, [value], bg=t["field"])
        y += lh + 28
    s.button(label_w, y, "Pay now")
    s.rect((W - 330, lh + 60, W - 30, lh + 60 + 5 * lh), t["panel"], radius=8)
    for i, text in enumerate(["Order summary", "Standard plan, yearly", "Total 49.00 EUR"]):
        s.put(W - 310, lh + 72 + i * lh * 1.4, [text], bg=t["panel"])


def sheet(s, rng):
    t, lh = s.t, s.lh
    s.band(lh + 8, "File  Edit  View  Insert  Format  Data  Tools")
    rows = [[person(rng), email(rng), phone(rng), card(rng), iban(rng, rng.random() < 0.3)] for _ in range(5)]
    s.put(12, lh + 16, [(None, "fx", t["muted"]), "  ", rows[0][1]])
    header = ["Name", "Email", "Phone", "Card", "IBAN"]
    widths = [max(s.width([r[c]]) for r in rows + [header]) + 20 for c in range(5)]
    x0, y = 50, 2 * lh + 30
    xs = [x0 + sum(widths[:c]) for c in range(6)]
    for r, cells in enumerate([header] + rows):
        if y + lh + 6 > H:
            break
        fill = t["accent"] if r == 0 else (t["panel"] if r % 2 == 0 else t["bg"])
        s.rect((x0, y, min(xs[5], W - 1), y + lh + 6), fill, outline=t["border"])
        s.put(12, y + 3, [(None, str(r + 1), t["muted"])])
        for c, cell in enumerate(cells):
            s.d.line((xs[c], y, xs[c], y + lh + 6), fill=t["border"])
            s.put(xs[c] + 10, y + 3, [cell], fg=t["on_accent"] if r == 0 else t["fg"], bg=fill)
        y += lh + 6
    for note in [sentence(rng) for _ in range(4)]:  # ordinary text below the table, for readable share
        y += lh
        s.put(x0, y, [note])
    s.put(x0, H - lh - 8, ["Sheet1    Contacts    Summary"])


def config(s, rng):
    t, lh = s.t, s.lh
    s.band(lh + 12, "config.yaml    settings.ini    README.md")
    k = lambda text: (None, text, t["key"])
    quote = rng.choice(["", '"'])
    lines = [[(None, "# billing service configuration", t["muted"])], [k("service:")], [k("  name: "), "billing-api"], [k("  port: "), "8443"],
             [k("database:")], [k("  host: "), "db.internal"], [k("  user: "), "billing"], [k("  password: "), quote, password(rng), quote],
             [k("  url: "), secret(rng, "dsn")], [k("smtp:")], [k("  sender: "), email(rng)], [k("  password: "), password(rng)],
             [k("payments:")], [k("  stripe_api_key: "), secret(rng, "stripe")], [], [(None, "; settings.ini", t["muted"])], [k("[aws]")],
             [k("aws_access_key_id = "), secret(rng, "aws_id")], [k("aws_secret_access_key = "), secret(rng, "aws_secret")],
             [k("[service]")], [k("api_key = "), secret(rng, "generic")], [k("pwd="), password(rng)], [k("retries = "), "5"]]
    y = lh + 24
    for n, segs in enumerate(lines, 1):
        s.put(12, y, [(None, f"{n:3d}", t["muted"])])
        s.put(70, y, segs)
        y += lh


GENRES = {"mail": mail, "chat": chat, "terminal": terminal, "form": form, "sheet": sheet, "config": config}


def make(args):
    os.makedirs(args.out, exist_ok=True)
    n = 0
    for g, genre in enumerate(GENRES):
        for ti, theme in enumerate(THEMES):
            for v in range(args.variants):
                # Rotations: each genre x theme cell gets distinct sizes and every font it may use.
                size = SIZES[(2 * v + g + 3 * ti) % len(SIZES)]
                font = MONO[(v + ti) % 2] if genre in ("terminal", "config") else list(FONTS)[(v + g + ti) % len(FONTS)]
                s = Screen(theme, font, size)
                GENRES[genre](s, random.Random(f"{args.seed}/{n}"))
                name = f"{n:03d}"
                s.img.save(os.path.join(args.out, name + ".png"))
                with open(os.path.join(args.out, name + ".json"), "w") as f:
                    json.dump(dict(screen=name, genre=genre, theme=theme, font=font, size=size, values=s.values, words=s.words), f, indent=1)
                n += 1
    print(f"make: {n} screens in {args.out}")


def score(label, original, boxes):
    """Per value, the share of its ink inside the boxes; filled and near-value pixel counts; words touched."""
    fill, near = Image.new("L", (W, H), 0), Image.new("L", (W, H), 0)
    for b in boxes:
        x, y, w, h = b["box"]
        if w > 0 and h > 0:
            ImageDraw.Draw(fill).rectangle((x, y, x + w - 1, y + h - 1), fill=255)
    shares = []
    for v in label["values"]:
        x0, y0, x1, y1 = v["box"]
        ImageDraw.Draw(near).rectangle((x0 - GROW, y0 - GROW, x1 - 1 + GROW, y1 - 1 + GROW), fill=255)
        r, g, b = ImageChops.difference(original.crop(v["box"]), Image.new("RGB", (x1 - x0, y1 - y0), tuple(v["bg"]))).split()
        ink = ImageChops.lighter(ImageChops.lighter(r, g), b).point(lambda p: 255 if p else 0)
        total = ink.histogram()[255]
        shares.append(ImageChops.multiply(ink, fill.crop(v["box"])).histogram()[255] / total if total else None)
    touched = sum(fill.crop(w["box"]).getbbox() is not None for w in label["words"])
    return shares, fill.histogram()[255], ImageChops.multiply(fill, near).histogram()[255], touched


def evaluate(args):
    names = sorted(f[:-5] for f in os.listdir(args.dir) if re.fullmatch(r"\d{3}\.json", f))
    os.makedirs(outdir := os.path.join(args.dir, "redacted"), exist_ok=True)
    groups = {g: collections.defaultdict(lambda: [0, 0]) for g in ("kind", "genre", "theme", "size", "font")}
    misses, totals, ms, failed = collections.Counter(), collections.Counter(), [], []
    for i, name in enumerate(names):
        label = json.load(open(os.path.join(args.dir, name + ".json")))
        image, out = os.path.join(args.dir, name + ".png"), os.path.join(outdir, name + ".png")
        where = f"[{i + 1}/{len(names)}] {name} {label['genre']}/{label['theme']} {label['font']} {label['size']}px"
        start = time.perf_counter()
        try:
            run = subprocess.run([args.bin, "redact-image", image, out, "--json", *args.extra.split()], capture_output=True, text=True)
            elapsed = (time.perf_counter() - start) * 1000
            # Only the end of stderr, the binary's own error message, is shown: never the screen's text.
            assert run.returncode == 0, f"exit {run.returncode}: {run.stderr.strip()[-400:]}"
            boxes = json.loads(run.stdout)["boxes"]
            with open(out[:-4] + ".boxes.json", "w") as f:  # the boxes only: the lines OCR read hold the planted text
                json.dump(boxes, f)
        except (OSError, AssertionError, ValueError, KeyError) as e:
            print(f"{where}: redact-image FAILED: {type(e).__name__} {e}", file=sys.stderr)
            failed.append(name)
            continue
        ms.append(elapsed)
        shares, filled, inside, touched = score(label, Image.open(image).convert("RGB"), boxes)
        for v, share in zip(label["values"], shares):
            if share is None:  # no ink: nothing to redact (not expected from textbbox)
                totals["not_shown"] += 1
                continue
            hit = share >= COVERED
            cells = dict(kind=v["kind"], genre=label["genre"], theme=label["theme"], size=BAND[label["size"]], font=label["font"])
            for g, cell in cells.items():
                groups[g][cell][0] += hit
                groups[g][cell][1] += 1
            misses[(v["kind"], label["genre"], label["theme"], cells["size"])] += not hit
            totals.update(covered=hit, values=1, partial=0 < share < COVERED)
        totals.update(filled=filled, inside=inside, words=len(label["words"]), touched=touched)
        print(f"{where}: {sum(s is not None and s >= COVERED for s in shares)}/{len(shares)} values covered, {len(boxes)} boxes, "
              f"{touched}/{len(label['words'])} words touched, {elapsed:.0f} ms")
    report(args, groups, misses, ms, failed, totals, len(names))


def report(args, groups, misses, ms, failed, totals, screens):
    ratio = lambda a, b: a / b if b else None
    pct = lambda r: "  n/a" if r is None else f"{r:6.1%}"
    result = {
        "recall": ratio(totals["covered"], totals["values"]),
        "precision": ratio(totals["inside"], totals["filled"]),
        "readable_share": ratio(totals["words"] - totals["touched"], totals["words"]),
        "ms_per_screen_median": statistics.median(ms) if ms else None,
        "ms_per_screen_p90": statistics.quantiles(ms, n=10)[-1] if len(ms) > 1 else None,
        "screens": screens - len(failed), "failed": failed, "values": totals["values"], "words": totals["words"],
        "partial_misses": totals["partial"], "words_touched": totals["touched"], "filled_pixels": totals["filled"],
    }
    for g, cells in groups.items():
        result["by_" + g] = {c: {"covered": a, "values": n, "recall": ratio(a, n)} for c, (a, n) in sorted(cells.items())}
    misses = +misses  # drop the zero counts
    result["missed_patterns"] = [{"kind": k, "genre": g, "theme": t, "size": s, "missed": n} for (k, g, t, s), n in misses.most_common()]
    print(f"\nscreens {result['screens']} (failed {len(failed)}), values {totals['values']}, ordinary words {totals['words']}")
    print(f"recall {pct(result['recall'])} ({totals['covered']}/{totals['values']}, {totals['partial']} partly covered)   "
          f"precision {pct(result['precision'])}   readable share {pct(result['readable_share'])}   "
          f"ms/screen median {result['ms_per_screen_median'] or 0:.0f} (p90 {result['ms_per_screen_p90'] or 0:.0f})")
    for g, cells in groups.items():
        print(f"  by {g}: " + "   ".join(f"{c} {pct(ratio(a, n)).strip()} ({a}/{n})" for c, (a, n) in sorted(cells.items())))
    print("  most missed (kind genre theme size):")
    for (k, g, t, s), n in misses.most_common(10):
        print(f"    {n:3d}  {k:12} {g:9} {t:9} {s}px")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make", help="draw the screens and their labels")
    mk.add_argument("--out", required=True)
    mk.add_argument("--seed", type=int, default=20260415)
    mk.add_argument("--variants", type=int, default=5, help="screens per genre x theme")
    ev = sub.add_parser("evaluate", help="redact each screen with BIN and score it")
    ev.add_argument("--bin", required=True)
    ev.add_argument("--dir", required=True)
    ev.add_argument("--json-out")
    ev.add_argument("--extra", default="", help='more redact-image arguments in one string, e.g. "--scale 3" (for tuning OCR)')
    args = ap.parse_args()
    make(args) if args.command == "make" else evaluate(args)


if __name__ == "__main__":
    main()
