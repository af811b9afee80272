#!/usr/bin/env python3
"""People in the data: a labelled set of other people's names and the contributor's own
identifiers, and how well `understudy redact` finds them.

    people.py make OUT.jsonl [--seed N] [--docs N]
    people.py evaluate --dataset FILE --understudy BIN [--show-errors] [--json-out FILE]

`make` writes a deterministic (seeded, stdlib-only) set: e-mail headers, chat, letters with
greetings and signatures, shell sessions, file paths, prose, and negatives (capitalised common
words, products, places, code identifiers, headings), in nine locales (English, German, French,
Spanish, Italian, Polish, Turkish, Russian in Cyrillic, Greek in Greek script). Each line is
{"id", "genre", "locale", "text", "spans": [{"start", "end", "what"}]}, offsets in code points,
`what` = `person` (someone else's name) or `self` (the contributor's name, login, host, e-mail
or home folder). A quarter of the people have names no list of Understudy's holds (drawn from
a pool of rare names here), so context, not the lists alone, is measured.

`evaluate` runs BIN once as `BIN redact --jsonl --self-…` with the contributor's identifiers,
the way the recorder gathers them, and scores per genre: a gold span is recalled when
predictions of its kind cover >= 90% of it (person_name -> person; the self-* recognizers ->
self); precision is the share of predictions of those kinds that overlap a gold span of the
same kind. The same is scored for a naive baseline measured in the same run: every pair of
capitalised words, the recognizer one writes first (Presidio's pattern recognizers have no
name recognizer; its spaCy-based one needs en_core_web_sm, which this machine cannot
download: neither PyPI nor GitHub releases reach it).
"""

import argparse
import json
import random
import re
import shlex
import subprocess
import sys
import time
from collections import defaultdict

ME = {"name": "Alice Martin", "login": "amartin", "host": "alice-laptop", "email": "alice.martin@acme.example", "home": "/home/amartin"}

# (given names, family names) per locale: the commonest, which lists hold, as real text has them.
PEOPLE = {
    "en": (["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Sarah", "Thomas", "Emily", "Daniel"],
           ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thompson", "Harris"]),
    "de": (["Lukas", "Anna", "Jonas", "Lena", "Stefan", "Sabine", "Jürgen", "Katharina", "Matthias", "Ursula"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schäfer"]),
    "fr": (["Jean", "Marie", "Nicolas", "Nathalie", "Julien", "Camille", "François", "Isabelle", "Antoine", "Sophie"],
           ["Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent", "Girard", "Mercier", "Dupont"]),
    "es": (["José", "María", "Javier", "Carmen", "Alejandro", "Lucía", "Diego", "Elena", "Pablo", "Marta"],
           ["García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Jiménez"]),
    "it": (["Giuseppe", "Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sara", "Matteo", "Elena"],
           ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco"]),
    "pl": (["Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Agnieszka", "Paweł", "Magdalena", "Michał", "Joanna"],
           ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński", "Szymański", "Mazur"]),
    "tr": (["Mehmet", "Ayşe", "Mustafa", "Fatma", "Ahmet", "Zeynep", "Emre", "Elif", "Burak", "Merve"],
           ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Özdemir", "Arslan"]),
    "ru": (["Александр", "Анна", "Сергей", "Ольга", "Дмитрий", "Елена", "Иван", "Татьяна", "Михаил", "Наталья"],
           ["Иванов", "Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева", "Новиков", "Морозова", "Волков", "Петрова"]),
    "el": (["Γιώργος", "Μαρία", "Νίκος", "Ελένη", "Δημήτρης", "Κατερίνα", "Κώστας", "Σοφία", "Γιάννης", "Αναστασία"],
           ["Παπαδόπουλος", "Παπαδοπούλου", "Γεωργίου", "Οικονόμου", "Δημητρίου", "Βλάχος", "Αντωνίου", "Μακρής", "Ιωαννίδης", "Παππάς"]),
}
# Names no list of Understudy's holds: only context can find them.
RARE = (["Oluwaseun", "Thandiwe", "Aroha", "Keoni", "Siobhán", "Eilidh", "Tadhg", "Zbigniew", "Radomir", "Ingvild", "Nkechi", "Amaru"],
        ["Adebayo", "Nkosi", "Ngata", "Kahananui", "Ní Bhriain", "MacLeòid", "Ó Súilleabháin", "Brzęczyszczykiewicz", "Okonkwo",
         "Quispe", "Tshabalala", "Haugland"])
GREET = {"en": ["Hi", "Hello", "Dear"], "de": ["Hallo", "Liebe", "Lieber"], "fr": ["Bonjour", "Salut"], "es": ["Hola", "Querida"],
         "it": ["Ciao", "Caro"], "pl": ["Hej", "Cześć"], "tr": ["Merhaba"], "ru": ["Привет", "Здравствуйте"], "el": ["Γεια σου", "Αγαπητέ"]}
SIGN = {"en": ["Best regards,", "Thanks,", "Cheers,"], "de": ["Viele Grüße,", "Mit freundlichen Grüßen"], "fr": ["Cordialement,"],
        "es": ["Saludos,", "Atentamente,"], "it": ["Cordiali saluti,", "Un saluto,"], "pl": ["Pozdrawiam,"], "tr": ["Saygılarımla,"],
        "ru": ["С уважением,"], "el": ["Με εκτίμηση,"]}
HEADERS = {"en": ("From", "To", "Cc"), "de": ("Von", "An", "Cc"), "fr": ("De", "À", "Cc"), "es": ("De", "Para", "Cc"),
           "it": ("Da", "A", "Cc"), "pl": ("Od", "Do", "DW"), "tr": ("Kimden", "Kime", "Bilgi"), "ru": ("От", "Кому", "Копия"),
           "el": ("Από", "Προς", "Κοιν")}
NEGATIVES = [
    "Will the May release include Ruby Gems support?", "Mark as read", "Grace period ends on Friday.", "Victoria Station, platform 4",
    "Jordan release notes (draft)", "The Paris office uses Jasmine tests and Apache Tomcat.", "Max Width, Min Height, Rich Text Editor",
    "Hello World example", "Dear Hiring Manager,", "Hi team, the build is green.", "class MariaDbConnector extends BaseConnector {",
    "def get_user_name(self): return self.first_name", "2026-12-07 10:42:01 INFO Jenkins: build #42 started", "Warning: Grant Access failed",
    "export default { name: \"Victoria\", color: \"Rose\" }", "Deploy to Georgia and Virginia regions", "Summer Sale: Frank Discussion Forum",
    "Microsoft Teams | Chat | Calendar | Activity", "Visual Studio Code - Welcome", "Amazon Web Services Console Home", "Angular Material Docs",
    "Austin and Dallas offices are closed on Monday.", "Christmas Party Planning", "Chase Bank statement (PDF)", "Rose Garden Hotel booking",
    "Git: Merge branch 'feature/paris' into main", "Hope Street Community Centre", "Sherwood Forest Trail Map", "Lincoln Memorial visitor guide",
]
SUBJECTS = ["Q3 budget", "Re: invoice 4471", "Offsite agenda", "Fwd: contract draft", "Meeting notes", "Urlaubsplanung", "Réunion lundi"]
PROSE = ["can you review the draft before Friday?", "the numbers look right to me.", "let's move the call to 3pm.",
         "I sent the contract yesterday.", "please check the attached slides.", "thanks for the quick turnaround."]


class Doc:
    def __init__(self, genre, locale):
        self.genre, self.locale, self.text, self.spans = genre, locale, "", []

    def add(self, piece, what=None):
        start = len(self.text)
        self.text += piece
        if what:
            self.spans.append({"start": start, "end": len(self.text), "what": what})

    def line(self):
        self.add("\n")


def person(rng, locale):
    if rng.random() < 0.25:
        return rng.choice(RARE[0]), rng.choice(RARE[1])
    given, family = PEOPLE[locale]
    return rng.choice(given), rng.choice(family)


def email_of(given, family):
    ascii_ = lambda s: re.sub(r"[^a-z]", "", s.lower())
    return f"{ascii_(given) or 'x'}.{ascii_(family) or 'y'}@example.org"


def email_header(rng, locale):
    d = Doc("email_header", locale)
    frm, to, cc = HEADERS[locale]
    g, f = person(rng, locale)
    d.add(f"{frm}: "), d.add(f"{g} {f}", "person"), d.add(f" <{email_of(g, f)}>"), d.line()
    g2, f2 = person(rng, locale)
    d.add(f"{to}: "), d.add(f"{g2} {f2}", "person"), d.add(f" <{email_of(g2, f2)}>, "), d.add(ME["name"], "self")
    d.add(" <"), d.add(ME["email"], "self"), d.add(">"), d.line()
    g3, f3 = person(rng, locale)
    d.add(f"{cc}: \""), d.add(f"{f3}, {g3}", "person"), d.add(f"\" <{email_of(g3, f3)}>"), d.line()
    d.add(f"Subject: {rng.choice(SUBJECTS)}")
    return d


def chat(rng, locale):
    d = Doc("chat", locale)
    for _ in range(3):
        g, f = person(rng, locale)
        style = rng.randrange(4)
        hh, mm = rng.randrange(8, 19), rng.randrange(60)
        if style == 0:
            d.add(f"[{hh:02d}:{mm:02d}] "), d.add(g, "person"), d.add(f": {rng.choice(PROSE)}")
        elif style == 1:
            d.add(f"{g} {f}", "person"), d.add(f"  {hh}:{mm:02d} PM"), d.line(), d.add(rng.choice(PROSE))
        elif style == 2:
            d.add("<"), d.add(g.lower(), "person"), d.add(f"> {rng.choice(PROSE)}")
        else:
            g2, f2 = person(rng, locale)
            handle = re.sub(r"[^\w.]", "", f"{g2}.{f2}".lower())
            d.add(f"[{hh:02d}:{mm:02d}] "), d.add(g, "person"), d.add(": "), d.add("@" + handle, "person"), d.add(f" {rng.choice(PROSE)}")
        d.line()
    return d


def letter(rng, locale):
    d = Doc("signature", locale)
    g, f = person(rng, locale)
    d.add(rng.choice(GREET[locale]) + " "), d.add(g, "person"), d.add(","), d.line(), d.line()
    d.add(rng.choice(PROSE)), d.line(), d.line()
    d.add(rng.choice(SIGN[locale])), d.line()
    g2, f2 = person(rng, locale)
    d.add(f"{g2} {f2}", "person"), d.line(), d.add("Account Manager, Acme Corp")
    return d


def shell(rng, locale):
    d = Doc("shell", locale)
    d.add(ME["login"], "self"), d.add("@"), d.add(ME["host"], "self"), d.add(":~/projects$ git log -1"), d.line()
    d.add("commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"), d.line()
    g, f = person(rng, locale)
    d.add("Author: "), d.add(f"{g} {f}", "person"), d.add(f" <{email_of(g, f)}>"), d.line()
    d.add("Co-authored-by: "), d.add(ME["name"], "self"), d.add(" <"), d.add(ME["email"], "self"), d.add(">"), d.line()
    d.add(ME["login"], "self"), d.add("@"), d.add(ME["host"], "self"), d.add(":~$ ls -l "), d.add(ME["home"], "self"), d.add("/notes"), d.line()
    d.add("-rw-r--r-- 1 "), d.add(ME["login"], "self"), d.add(" staff 1204 Dec  7 10:02 todo.txt")
    return d


def paths(rng, locale):
    d = Doc("paths", locale)
    g, f = person(rng, locale)
    d.add(ME["home"], "self"), d.add("/Documents/Offer letter - "), d.add(f"{g} {f}", "person"), d.add(".pdf"), d.line()
    d.add("~/Downloads/report-final (2).xlsx"), d.line()
    d.add(ME["home"], "self"), d.add("/.config/understudy/policy.yaml"), d.line()
    d.add("/srv/share/Team/Reviews/2026/"), d.add(f"{g} {f}", "person"), d.add(" - review.docx")
    return d


def prose(rng, locale):
    d = Doc("prose", locale)
    g, f = person(rng, locale)
    d.add("Yesterday I met "), d.add(f"{g} {f}", "person"), d.add(" at the Berlin office; ")
    d.add(g, "person"), d.add(" will send the slides. The Paris team uses Jira and Slack."), d.line()
    g2, f2 = person(rng, locale)
    d.add("Notes by "), d.add(ME["name"], "self"), d.add(" for "), d.add(f"{g2} {f2}", "person"), d.add(".")
    return d


def negative(rng, locale):
    d = Doc("negatives", locale)
    for piece in rng.sample(NEGATIVES, 3):
        d.add(piece), d.line()
    return d


GENRES = [email_header, chat, letter, shell, paths, prose, negative]


def build(seed, docs):
    rng = random.Random(seed)
    out = []
    for i in range(docs):
        locale = list(PEOPLE)[i % len(PEOPLE)]
        d = GENRES[(i // len(PEOPLE)) % len(GENRES)](rng, locale)
        out.append({"id": i, "genre": d.genre, "locale": d.locale, "text": d.text, "spans": d.spans})
    return out


def run_understudy(binary, docs):
    args = shlex.split(binary) + ["redact", "--jsonl", "--self-name", ME["name"], "--self-login", ME["login"],
                                  "--self-email", ME["email"], "--self-host", ME["host"], "--self-home", ME["home"]]
    payload = "".join(json.dumps({"text": d["text"]}, ensure_ascii=False) + "\n" for d in docs)
    t0 = time.perf_counter()
    done = subprocess.run(args, input=payload.encode(), capture_output=True, check=True)
    seconds = time.perf_counter() - t0
    answers = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(answers) == len(docs), "one answer per document"
    kinds = []
    for a in answers:
        spans = []
        for s in a["spans"]:
            what = "person" if s["what"] == "person_name" else "self" if s["recognizer"].startswith("self-") else None
            if what:
                spans.append({"start": s["start"], "end": s["end"], "what": what})
        kinds.append(spans)
    return kinds, seconds


CAPITALISED_PAIR = re.compile(r"\b[A-ZÀ-ÖØ-ÞА-ЯΑ-Ω][a-zß-öø-ÿа-яα-ω]+ [A-ZÀ-ÖØ-ÞА-ЯΑ-Ω][a-zß-öø-ÿа-яα-ω]+\b")


def run_baseline(docs):
    return [[{"start": m.start(), "end": m.end(), "what": "person"} for m in CAPITALISED_PAIR.finditer(d["text"])] for d in docs]


def score(docs, predictions, kind):
    per = defaultdict(lambda: [0, 0, 0, 0])  # gold, recalled, predicted, correct
    errors = []
    for d, pred in zip(docs, predictions):
        gold = [s for s in d["spans"] if s["what"] == kind]
        mine = [s for s in pred if s["what"] == kind]
        row = per[d["genre"]]
        for g in gold:
            covered = set()
            for p in mine:
                covered |= set(range(max(g["start"], p["start"]), min(g["end"], p["end"])))
            row[0] += 1
            if len(covered) >= 0.9 * (g["end"] - g["start"]):
                row[1] += 1
            else:
                errors.append(("missed", d["id"], d["text"][g["start"]:g["end"]]))
        for p in mine:
            row[2] += 1
            if any(p["start"] < g["end"] and g["start"] < p["end"] for g in gold):
                row[3] += 1
            else:
                errors.append(("false", d["id"], d["text"][p["start"]:p["end"]]))
    total = [sum(r[i] for r in per.values()) for i in range(4)]
    return dict(per), total, errors


RARE_WORDS = {w for name in RARE[0] + RARE[1] for w in name.lower().split()}


def recall_by_list(docs, predictions):
    """Recall of people's names held by the lists, and of the rare ones only context can find."""
    hits = {True: [0, 0], False: [0, 0]}
    for d, pred in zip(docs, predictions):
        for g in (s for s in d["spans"] if s["what"] == "person"):
            words = set(re.split(r"[\s,.@]+", d["text"][g["start"]:g["end"]].lower()))
            rare = bool(words & RARE_WORDS)
            covered = set()
            for p in (p for p in pred if p["what"] == "person"):
                covered |= set(range(max(g["start"], p["start"]), min(g["end"], p["end"])))
            hits[rare][0] += 1
            hits[rare][1] += len(covered) >= 0.9 * (g["end"] - g["start"])
    return {("rare" if k else "listed"): ratio(v[1], v[0]) for k, v in hits.items()}


def ratio(a, b):
    return a / b if b else float("nan")


def evaluate(args):
    docs = [json.loads(line) for line in open(args.dataset, encoding="utf-8")]
    ours, seconds = run_understudy(args.understudy, docs)
    naive = run_baseline(docs)
    report = {}
    print(f"  {len(docs)} documents, {sum(len(d['spans']) for d in docs)} labelled spans; understudy redact: {len(docs) / seconds:.0f} documents/s")
    print(f"  {'genre':<13} {'people recall':>14} {'precision':>10} {'own ids recall':>15} {'naive recall':>13} {'precision':>10}")
    person, person_total, errors = score(docs, ours, "person")
    own, own_total, own_errors = score(docs, ours, "self")
    base, base_total, _ = score(docs, naive, "person")
    for genre in sorted({d["genre"] for d in docs}):
        p, o, b = person.get(genre, [0] * 4), own.get(genre, [0] * 4), base.get(genre, [0] * 4)
        cells = [ratio(p[1], p[0]), ratio(p[3], p[2]), ratio(o[1], o[0]), ratio(b[1], b[0]), ratio(b[3], b[2])]
        print(f"  {genre:<13} " + " ".join(f"{c:>{w}.3f}" if c == c else f"{'-':>{w}}" for c, w in zip(cells, (14, 10, 15, 13, 10))))
        report[genre] = dict(zip(["person_recall", "person_precision", "self_recall", "naive_recall", "naive_precision"], cells))
    overall = [ratio(person_total[1], person_total[0]), ratio(person_total[3], person_total[2]), ratio(own_total[1], own_total[0]),
               ratio(base_total[1], base_total[0]), ratio(base_total[3], base_total[2])]
    print(f"  {'overall':<13} " + " ".join(f"{c:>{w}.3f}" for c, w in zip(overall, (14, 10, 15, 13, 10))))
    report["overall"] = dict(zip(["person_recall", "person_precision", "self_recall", "naive_recall", "naive_precision"], overall))
    split = recall_by_list(docs, ours)
    print(f"  people recall by name: {split['listed']:.3f} for names the lists hold, {split['rare']:.3f} for the rare names only context finds")
    report["people_recall_by_name"] = split
    met = overall[0] >= 0.90 and overall[1] >= 0.85 and overall[2] >= 0.95
    print(f"  goals: people recall >= 0.90 and precision >= 0.85, own identifiers recall >= 0.95: {'met' if met else 'NOT met'}; "
          f"F1 against the naive capitalised-pair baseline: x{ratio(f1(overall[0], overall[1]), f1(overall[3], overall[4])):.2f}")
    report["throughput_lines_per_s"] = throughput(args.understudy, docs)
    if args.show_errors:
        for e in (errors + own_errors)[:80]:
            print("   ", e)
    if args.json_out:
        json.dump(report, open(args.json_out, "w"), indent=1)


def throughput(binary, docs):
    """Lines a second through `redact --jsonl` on a 2,000-line text (the set's lines, in order):
    every recognizer, every one but person_name, and person_name alone; the best of three."""
    lines = [l for d in docs for l in d["text"].split("\n") if l.strip()][:2000]
    payload = "".join(json.dumps({"text": l}, ensure_ascii=False) + "\n" for l in lines).encode()
    others = ",".join(k for k in ["email", "phone", "credit_card", "iban", "ssn", "secret", "password", "custom"])
    rates = {}
    for label, extra in (("all", []), ("all but person_name", ["--kinds", others]), ("person_name alone", ["--kinds", "person_name"])):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(shlex.split(binary) + ["redact", "--jsonl"] + extra, input=payload, capture_output=True, check=True)
            best = min(best, time.perf_counter() - t0)
        rates[label] = len(lines) / best
    cost = ratio(rates["all but person_name"], rates["all"])
    print(f"  throughput on {len(lines)} lines (process start included): " + ", ".join(f"{k} {v:,.0f} lines/s" for k, v in rates.items())
          + f"; with names the recognizers take x{cost:.2f} the time")
    return rates


def f1(r, p):
    return 2 * r * p / (r + p) if r + p else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make")
    make.add_argument("out")
    make.add_argument("--seed", type=int, default=18)
    make.add_argument("--docs", type=int, default=1260)
    ev = sub.add_parser("evaluate")
    ev.add_argument("--dataset", required=True)
    ev.add_argument("--understudy", required=True)
    ev.add_argument("--show-errors", action="store_true")
    ev.add_argument("--json-out")
    args = parser.parse_args()
    if args.command == "make":
        with open(args.out, "w", encoding="utf-8") as f:
            for d in build(args.seed, args.docs):
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
    else:
        evaluate(args)


if __name__ == "__main__":
    main()
