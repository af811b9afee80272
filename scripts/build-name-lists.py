#!/usr/bin/env python3
"""Builds Sources/Privacy/person-names.txt, the name lists the person-name recognizer reads.

Sources, both public domain:
  - the U.S. Census Bureau's 1990 name files (dist.male.first, dist.female.first,
    dist.all.last: a U.S. government work), taken from the PyPI package `names` 0.3.0, which
    ships them unchanged;
  - scripts/name-lists/hand-compiled.txt: common given and family names of 16 more locales
    (Latin, Cyrillic and Greek scripts), compiled for this project and dedicated to the public
    domain.
A name that is also an ordinary English word (a lowercase entry of Debian's wamerican word
list: `will`, `mark`, `rose`, `white`), a place or a product (the [common] list below) is
marked: it names a person only with context (a greeting, a header, a full name).

Run it again after changing the hand list:  python3 scripts/build-name-lists.py
"""
import io, os, pathlib, subprocess, sys, tarfile, tempfile, unicodedata

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Sources/Privacy/person-names.txt"
HAND = ROOT / "scripts/name-lists/hand-compiled.txt"
WORDS = pathlib.Path("/usr/share/dict/american-english")  # apt-get install wamerican
PARTICLES = {"de", "del", "della", "der", "den", "van", "von", "la", "le", "da", "di", "dos", "du", "el", "al", "bin", "ibn"}
# Names that are also places, products and things on screens, in every language.
COMMON = """
Paris London Berlin Jordan Georgia Virginia Carolina Victoria Florence Sydney Chester Austin Dallas Houston Lincoln
Washington Madison Phoenix Orlando Regina Adelaide Alexandria Charlotte Denver Kent Lyon Nancy Vienna Santiago
Salvador Lourdes Troy Sofia Valencia Israel India China Chad Kenya Asia Brooklyn Dakota Montana Nevada Aurora
Savannah Cleveland Raleigh Jackson Tyler Camden Sharon Monaco Milan Siena Verona Lima Marseille Florence Brest
Ruby Julia Swift Kafka Jenkins Ada Ansible Alexa Siri Cortana Django Flask Docker Hadoop Spark Hugo Jest Mocha Karma
Jasmine Electron Angular Ember Gatsby Sphinx Jupyter Mercurial Apache Tomcat Maven Gradle Jira Confluence Trello
Slack Zoom Teams Outlook Chrome Firefox Safari Edge Opera Brave Vivaldi Linux Ubuntu Debian Fedora Mint Arch Windows
Excel Word Access Keynote Pages Numbers Watson Oracle Dell Ford Tesla Mercedes Porsche Lamborghini Chanel Gucci
Prada Dior Disney Boeing Honda Toyota Nissan Mazda Casio Hitachi Toshiba Siemens Bosch Philips Lexus Kia Audi Volvo
Jaguar Wendy Adobe Gemini Claude Copilot Llama Mistral Falcon Bing Yahoo Alibaba Huawei Xiaomi Lenovo Samsung Sony
Nikon Canon Ricoh Fuji Dolby Marlin Vim Emacs Nano Joomla Drupal Magento Shopify Stripe Twilio Heroku Vercel Netlify
Kubernetes Helm Grafana Kibana Logstash Redis Cassandra Hive Pig Flink Storm Celery Gunicorn Puma Sidekiq Rails
April May June July August Summer Autumn Winter Spring Dawn Eve Noel Christmas Easter Sunday Monday Friday
Monday Tuesday Wednesday Thursday Saturday January February March September October November December
Admin User Guest Support Sales Team Office Home Inbox Draft Drafts Sent Trash Spam Archive Calendar Contacts
"""
# Given names that are dictionary words in a sense rare on screens: names first, not flagged.
NAMES_FIRST = """
John Peter Maria Martin Tom Mike Harry Jimmy Victor Nick Matt Roger Robin Terry Hector Jasper Warren Mason Sally
Billy Bobby Eddy Mickey Rick Randy Ken Josh Curt Derrick Garret Jarred Homer Newton Waldo Earl Dale Colleen
Christen Cassandra Barney Clement Phoebe Sibyl Mads Sander Dieter Dirk Emery Ester Julienne Marquis Maxim Maxima
Roman Romaine Rhea Tony Jack Jackson Marina Lea Ed Victoria Florence Regina Beryl Hazel Heather Harmony Carol Holly
"""


def census(folder: pathlib.Path):
    """(kind, name) pairs: every given name of the 1990 census, the commonest 6,000 family names."""
    for file, kind, limit in (("dist.male.first", "g", None), ("dist.female.first", "g", None), ("dist.all.last", "f", 6000)):
        lines = (folder / file).read_text().splitlines()[:limit]
        for line in lines:
            name = line.split()[0]
            yield kind, name.capitalize()


def hand():
    section = None
    for raw in HAND.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = "g" if line.endswith("given]") else "f"
            continue
        for name in line.split():
            yield section, name


def fetch_census() -> pathlib.Path:
    temp = pathlib.Path(tempfile.mkdtemp())
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(temp), "names==0.3.0"], check=True)
    with tarfile.open(next(temp.glob("names-*.tar.gz"))) as archive:
        archive.extractall(temp)
    return next(temp.glob("names-*/names"))


def main():
    words = {w for w in WORDS.read_text(encoding="utf-8", errors="ignore").split() if w.islower()}
    common = {w.lower() for w in COMMON.split()} - {w.lower() for w in NAMES_FIRST.split()}
    names_first = {w.lower() for w in NAMES_FIRST.split()}
    entries = {}
    for kind, name in list(census(fetch_census())) + list(hand()):
        name = unicodedata.normalize("NFC", name)
        key = name.lower()
        if key in PARTICLES or len(key) < 2:
            continue
        is_common = key in common or (key in words and key not in names_first)
        entries[(kind, key)] = (kind, int(is_common), entries.get((kind, key), (None, None, name))[2])
    rows = sorted(entries.values(), key=lambda r: (r[0], r[2].lower()))
    out = io.StringIO()
    out.write("understudy-names 1\n")
    out.write("# Given (g) and family (f) names for the person-name recognizer; 1 marks a name that is also\n")
    out.write("# an ordinary word, a place or a product, which names a person only with context.\n")
    out.write("# Sources (public domain): U.S. Census Bureau, 1990 census name files; and the project's own\n")
    out.write("# scripts/name-lists/hand-compiled.txt (16 more locales). Built by scripts/build-name-lists.py.\n")
    for kind, flag, name in rows:
        out.write(f"{kind}\t{flag}\t{name}\n")
    out.write(f"end\t{len(rows)}\n")
    OUT.write_text(out.getvalue(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(rows)} names")


if __name__ == "__main__":
    main()
