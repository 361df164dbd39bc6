"""Deterministic synthetic newsroom corpus for benchmarking `edition sync`.

The benchmark needs a content root that looks like the real thing (a weekly
review of Belarusian politics: 2,000 articles, about 5 MB, about 18,000 blocks)
but that anyone can rebuild byte for byte without network or external data.
Everything here comes from one seeded `random.Random`, so the same
``--articles`` and ``--seed`` always give the same files.

What the generated articles exercise, because `sync` and its peers pay for it:

* YAML front matter with the fields DESIGN.md names (``title``, ``date``,
  ``lead``, ``section``, ``period`` with ``start``/``end``, ``authors``,
  ``tags``), quoted only where YAML needs it;
* headings, paragraphs of 2-6 sentences, bullet lists (some nested), ordered
  lists, block quotes (some with hard line breaks), occasional GFM tables,
  fenced code blocks, images with alt text, link titles;
* sentences full of abbreviations a naive splitter trips on (U.S., E.U.,
  Jan. 5, Mr., Gen., St., a.m.), numbers, ``*emphasis*``, ``**strong**``,
  `` `code` `` and links ``[text](https://example.org/...)``;
* some hard-wrapped paragraphs (soft line breaks inside a paragraph);
* boilerplate: about one body sentence in seven come from a shared pool, and
  most articles end with one of a few standard footers, so many sentences repeat
  across articles while most stay distinct.

CLI::

    python bench/corpus.py OUT_DIR [--articles N] [--seed S]
    python bench/corpus.py edit OUT_DIR --fraction 0.05 [--seed S]

The first writes ``OUT_DIR/articles/<slug>.md`` and ``OUT_DIR/pyproject.toml``.
The second changes a word or two in one sentence of a deterministic sample of
the top-level paragraphs, in place, so each edited sentence stays close to its
old text (what a fuzzy matcher such as msgmerge should find), and prints how
many paragraphs it edited.  Uses only the standard library.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import re
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ARTICLES = 2000
DEFAULT_SEED = 2026
PYPROJECT = '[tool.edition]\nlocales = ["be", "ru"]\n'

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

#: (full name, short form with title, description)
PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("Alyaksandr Lukashenka", "Mr. Lukashenka", "the country's long-time ruler"),
    ("Sviatlana Tsikhanouskaya", "Ms. Tsikhanouskaya", "the exiled opposition leader"),
    ("Pavel Latushka", "Mr. Latushka", "a former culture minister"),
    ("Maria Kalesnikava", "Ms. Kalesnikava", "the jailed musician and activist"),
    ("Ales Bialiatski", "Mr. Bialiatski", "the Nobel Peace Prize laureate"),
    ("Viktar Babaryka", "Mr. Babaryka", "a former banker and would-be candidate"),
    ("Raman Halouchenka", "Mr. Halouchenka", "the prime minister"),
    ("Maksim Ryzhenkou", "Mr. Ryzhenkou", "the foreign minister"),
    ("Ivan Tertel", "Mr. Tertel", "the KGB chairman"),
    ("Ivan Kubrakou", "Mr. Kubrakou", "the interior minister"),
    ("Natallia Kachanava", "Ms. Kachanava", "the speaker of the upper house"),
    ("Ihar Karpenka", "Mr. Karpenka", "the head of the Central Election Commission"),
    ("Aliaksandr Volfovich", "Gen. Volfovich", "the Security Council secretary"),
    ("Viktar Khrenin", "Mr. Khrenin", "the defense minister"),
    ("Vladimir Putin", "Mr. Putin", "the Russian president"),
    ("Antony Blinken", "Mr. Blinken", "the U.S. secretary of state"),
    ("Josep Borrell", "Mr. Borrell", "the E.U.'s foreign-policy chief"),
    ("Gabrielius Landsbergis", "Mr. Landsbergis", "Lithuania's foreign minister"),
    ("Andrzej Duda", "Mr. Duda", "the Polish president"),
    ("Ihar Losik", "Mr. Losik", "a jailed blogger"),
    ("Siarhei Tsikhanouski", "Mr. Tsikhanouski", "a jailed blogger"),
    ("Mikalai Statkevich", "Mr. Statkevich", "a former presidential candidate"),
    ("Valery Tsapkala", "Mr. Tsapkala", "a former diplomat"),
    ("Franak Viacorka", "Mr. Viacorka", "an adviser to the opposition"),
    ("Anais Marin", "Ms. Marin", "the U.N. special rapporteur on Belarus"),
    ("Dr. Andrei Vitushka", "Dr. Vitushka", "a physician who treated detainees"),
)

ORGS = (
    "the Central Election Commission",
    "the KGB",
    "the Interior Ministry",
    "the Supreme Court",
    "the Prosecutor General's Office",
    "the Investigative Committee",
    "the Ministry of Information",
    "the National Bank",
    "the national statistics committee",
    "the House of Representatives",
    "the Council of the Republic",
    "the All-Belarusian People's Assembly",
    "the human rights center Viasna",
    "the Belarusian Association of Journalists",
    "the Coordination Council",
    "the United Transitional Cabinet",
    "the E.U.",
    "the U.S. Treasury",
    "the U.N. Human Rights Council",
    "the OSCE",
    "the Kremlin",
    "the Eurasian Economic Union",
    "the IMF",
    "the World Bank",
)
COMPANIES = ("Belaruskali", "Grodno Azot", "Naftan", "Belavia", "MAZ", "BelAZ", "Belshina")
OUTLETS = ("Nasha Niva", "Zerkalo", "Belsat", "Novy Chas", "Narodnaya Volya", "Belarusy i Rynok")
CITIES = (
    "Minsk",
    "Brest",
    "Hrodna",
    "Homel",
    "Mahiliou",
    "Vitsebsk",
    "Baranavichy",
    "Babruisk",
    "Pinsk",
    "Salihorsk",
    "Navapolatsk",
    "Barysau",
    "Lida",
    "Maladzechna",
    "Zhodzina",
    "Astravets",
)
ABROAD = ("Vilnius", "Warsaw", "Moscow", "Kyiv", "Brussels", "Washington", "Riga", "St. Petersburg")
REGIONS = (
    "Minsk city",
    "Minsk region",
    "Brest region",
    "Hrodna region",
    "Homel region",
    "Mahiliou region",
    "Vitsebsk region",
)
TOPICS = (
    "political prisoners",
    "the constitutional referendum",
    "the parliamentary elections",
    "the local elections",
    "potash exports",
    "the state budget",
    "the exchange rate",
    "fuel prices",
    "the nuclear power plant",
    "the border with Poland",
    "Western sanctions",
    "extremist materials",
    "independent media",
    "the Union State programs",
    "migrants at the border",
    "the pardon commission",
    "the joint military exercises",
    "tactical nuclear weapons",
    "trade with Russia",
    "inflation",
    "wages in the public sector",
    "the education reform",
    "the Belarusian language",
    "emigration of IT workers",
    "the new law on political parties",
)
GOODS = (
    "potash fertilizer",
    "petroleum products",
    "dairy products",
    "timber",
    "tractors",
    "trucks",
    "meat",
    "medicines",
    "gasoline",
    "bread",
    "utilities",
)
FIRST = (
    "Aliaksei",
    "Andrei",
    "Dzmitry",
    "Ihar",
    "Uladzimir",
    "Siarhei",
    "Yauhen",
    "Mikita",
    "Kanstantsin",
    "Raman",
    "Vadzim",
    "Maksim",
    "Yury",
    "Volha",
    "Hanna",
    "Katsiaryna",
    "Maryia",
    "Nasta",
    "Aksana",
    "Iryna",
    "Liudmila",
    "Palina",
    "Darya",
    "Alena",
    "Tatsiana",
)
LAST = (
    "Kavaliou",
    "Novik",
    "Shauchenka",
    "Karpovich",
    "Zhuk",
    "Marozau",
    "Kazlou",
    "Lis",
    "Barysevich",
    "Sidarenka",
    "Bandarenka",
    "Hurski",
    "Pashkevich",
    "Yakubovich",
    "Lahvinets",
    "Dubovik",
    "Kryvanos",
    "Sakalouski",
    "Vasilevich",
    "Chernik",
    "Hrynevich",
    "Melnik",
    "Tsybulka",
    "Lapko",
    "Savitski",
)
JOBS = (
    "teacher",
    "programmer",
    "retired engineer",
    "student",
    "doctor",
    "factory worker",
    "journalist",
    "lawyer",
    "priest",
    "musician",
    "farmer",
    "nurse",
)
SAID = ("said", "stated", "told reporters", "wrote on Telegram", "claimed", "insisted", "noted")
REPORTED = ("reported", "announced", "said", "confirmed", "disclosed")
ARTICLES_CC = ("342", "361-1", "130", "369", "367", "368", "293", "411", "356")
MONTHS_AP = (
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
)
MONTHS_FULL = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
HASHTAGS = ("#FreeBelarus", "#StandWithBelarus", "#FreeThemAll", "#Belarus2020", "#FreeVesna")
CHANNELS = ("@nexta_live", "@belamova", "@pul_1", "@zerkalo_io", "@viasna96", "@tutby_official")
LATIN = ("de facto", "de jure", "persona non grata", "status quo", "ad hoc")
STAFF = (
    "Hanna Liubakova",
    "Artsiom Shraibman",
    "Katsiaryna Shmatsina",
    "Vadzim Mazheika",
    "Aliaksandr Klaskouski",
    "Ryhor Astapenia",
    "Tatsiana Kulakevich",
    "Andrei Yeliseyeu",
    "Maryia Rohava",
    "Kiryl Kaskevich",
    "Dzianis Melyantsou",
    "Valeria Kostyugova",
)
TAGS = (
    "elections",
    "repression",
    "political-prisoners",
    "economy",
    "sanctions",
    "russia",
    "ukraine",
    "poland",
    "lithuania",
    "eu",
    "usa",
    "potash",
    "energy",
    "media",
    "opposition",
    "diaspora",
    "courts",
    "kgb",
    "army",
    "culture",
    "language",
    "education",
    "migration",
    "health",
    "budget",
    "inflation",
    "nuclear",
    "church",
    "sports",
    "it-sector",
)
SECTIONS = (
    "Politics",
    "Human rights",
    "Economy",
    "Foreign policy",
    "Society",
    "Regions",
    "Security",
)
HEADINGS = (
    "Politics",
    "Repression and human rights",
    "Courts and trials",
    "Economy",
    "Foreign policy",
    "Relations with Russia",
    "Relations with the West",
    "Society",
    "In the regions",
    "Security and defense",
    "Media",
    "Numbers of the week",
    "What to watch next week",
    "Quote of the week",
    "In brief",
)

#: Word -> close substitutes, used by ``edit`` to change a sentence a little.
SWAPS: dict[str, tuple[str, ...]] = {
    "said": ("stated", "noted"),
    "stated": ("said",),
    "noted": ("said", "remarked"),
    "claimed": ("alleged",),
    "insisted": ("maintained",),
    "reported": ("announced",),
    "announced": ("reported",),
    "confirmed": ("acknowledged",),
    "disclosed": ("revealed",),
    "detained": ("arrested",),
    "arrested": ("detained",),
    "people": ("persons", "residents"),
    "new": ("further", "fresh"),
    "about": ("around", "roughly"),
    "rose": ("increased", "grew"),
    "fell": ("dropped", "declined"),
    "increased": ("rose", "grew"),
    "decreased": ("fell", "declined"),
    "week": ("period",),
    "month": ("period",),
    "court": ("tribunal",),
    "sentenced": ("condemned",),
    "priority": ("concern",),
    "remain": ("stay",),
    "would": ("will",),
    "will": ("would",),
    "again": ("once more",),
    "also": ("likewise",),
    "several": ("a few", "some"),
    "major": ("key", "main"),
    "large": ("big",),
    "small": ("modest",),
    "officials": ("authorities",),
    "authorities": ("officials",),
    "government": ("cabinet",),
    "country": ("state",),
    "meeting": ("talks",),
    "talks": ("negotiations",),
    "trial": ("hearing",),
    "hearing": ("session",),
    "began": ("started", "opened"),
    "early": ("soon",),
    "later": ("afterwards",),
    "recently": ("lately",),
    "widely": ("broadly",),
    "sharply": ("steeply",),
    "slightly": ("marginally",),
    "supporters": ("backers",),
    "critics": ("opponents",),
    "protest": ("rally",),
    "protests": ("rallies",),
    "decree": ("order",),
    "law": ("statute",),
    "prices": ("costs",),
    "record": ("all-time",),
    "left": ("fled",),
    "residents": ("locals",),
    "prison": ("jail",),
    "colony": ("camp",),
}

FOOTERS = (
    "*This review is prepared every week by our editorial team. Write to us at "
    "[editors@example.org](mailto:editors@example.org).*",
    "*The weekly review is published on Mondays. Subscribe to [our newsletter]"
    "(https://example.org/newsletter) to receive it by email.*",
    "*Names of detained persons are published with their consent or after their "
    "release. See [our editorial policy](https://example.org/about/policy "
    '"Editorial policy").*',
    "*Figures on detentions come from the human rights center Viasna and are "
    "preliminary. They are updated as new cases are confirmed.*",
)

BOILERPLATE = (
    "The situation remains tense.",
    "The referendum on Feb. 27, 2022, removed the country's neutral status from the Constitution.",
    "No official comment was available at the time of publication.",
    "The authorities did not respond to a request for comment.",
    "The full text of the decision has not been published.",
    "Independent observers were not allowed to attend.",
    "The court hearing was held behind closed doors.",
    "Relatives were not informed about the charges.",
    "Human rights defenders consider the case politically motivated.",
    "The law enforcement agencies did not disclose further details.",
    "We will keep following the story.",
    "Read more in our previous reviews.",
    "The information could not be independently verified.",
)

# --------------------------------------------------------------------------
# Sentence generator
# --------------------------------------------------------------------------


def _money(r: random.Random) -> str:
    kind = r.random()
    if kind < 0.4:
        return f"${r.randint(1, 99)}.{r.randint(1, 9)} million"
    if kind < 0.6:
        return f"${r.randint(1, 9)}.{r.randint(1, 9)} billion"
    if kind < 0.8:
        return f"BYN {r.randint(1, 9)},{r.randint(0, 999):03d}"
    return f"€{r.randint(2, 900)} million"


def _num(r: random.Random) -> str:
    n = r.choice((r.randint(2, 99), r.randint(100, 999), r.randint(1000, 39999)))
    return f"{n:,}"


def _date_ap(r: random.Random) -> str:
    return f"{r.choice(MONTHS_AP)} {r.randint(1, 28)}"


def _person(r: random.Random) -> str:
    full, _short, desc = r.choice(PEOPLE)
    return f"{full}, {desc}," if r.random() < 0.3 else full


def _victim(r: random.Random) -> str:
    name = f"{r.choice(FIRST)} {r.choice(LAST)}"
    if r.random() < 0.6:
        return f"{name}, a {r.randint(19, 74)}-year-old {r.choice(JOBS)} from {r.choice(CITIES)},"
    return name


def _link(r: random.Random) -> str:
    text = r.choice(
        ("the verdict", "the full statement", "a report", "the decree", "the ruling", "the list")
    )
    path = f"{r.choice(('news', 'documents', 'reports', 'archive'))}/{r.randint(2015, 2024)}/"
    path += f"{r.randint(1, 99999)}"
    if r.random() < 0.15:
        return f'[{text}](https://example.org/{path} "{text.capitalize()}")'
    return f"[{text}](https://example.org/{path})"


FILLERS: dict[str, Callable[[random.Random], str]] = {
    "person": _person,
    "short": lambda r: r.choice(PEOPLE)[1],
    "org": lambda r: r.choice(ORGS),
    "company": lambda r: r.choice(COMPANIES),
    "outlet": lambda r: f"*{r.choice(OUTLETS)}*",
    "city": lambda r: r.choice(CITIES),
    "abroad": lambda r: r.choice(ABROAD),
    "region": lambda r: r.choice(REGIONS),
    "topic": lambda r: r.choice(TOPICS),
    "goods": lambda r: r.choice(GOODS),
    "victim": _victim,
    "said": lambda r: r.choice(SAID),
    "reported": lambda r: r.choice(REPORTED),
    "art": lambda r: r.choice(ARTICLES_CC),
    "date": _date_ap,
    "month": lambda r: r.choice(MONTHS_FULL),
    "year": lambda r: str(r.randint(1994, 2024)),
    "years": lambda r: str(r.randint(2, 15)),
    "num": _num,
    "strongnum": lambda r: f"**{_num(r)}**",
    "pct": lambda r: f"{r.randint(0, 25)}.{r.randint(0, 9)}%",
    "money": _money,
    "rate": lambda r: f"{r.randint(2, 3)}.{r.randint(0, 9999):04d}",
    "hour": lambda r: (
        f"{r.randint(5, 11)}{r.choice(('', ':30', ':15'))} {r.choice(('a.m.', 'p.m.'))}"
    ),
    "decno": lambda r: str(r.randint(1, 600)),
    "hashtag": lambda r: f"`{r.choice(HASHTAGS)}`",
    "channel": lambda r: f"`{r.choice(CHANNELS)}`",
    "latin": lambda r: f"*{r.choice(LATIN)}*",
    "link": _link,
    "neighbor": lambda r: r.choice(("Poland", "Lithuania", "Latvia", "Ukraine")),
    "bold": lambda r: (
        f"**{r.choice(('for the first time', 'again', 'in absentia', 'without a lawyer'))}**"
    ),
}

TEMPLATES: tuple[str, ...] = (
    "{person} {said} that {topic} would remain a priority for the government.",
    "On {date}, {org} {reported} {num} new cases under Article {art} of the Criminal Code.",
    "According to {org}, the number of political prisoners reached {strongnum} by {date}.",
    "{short} met with {person} in {city} on {date}.",
    "The court in {city} sentenced {victim} to {years} years in a penal colony.",
    "Prices for {goods} rose by {pct} in {month}, the national statistics committee reported.",
    "The Belarusian ruble weakened to {rate} per U.S. dollar by the end of the week.",
    "The Ministry of Information added {num} Telegram channels, including {channel}, to the "
    "list of extremist materials.",
    "In {city}, {num} people were detained for comments on social media.",
    "Exports of {goods} to Russia increased by {pct} year-on-year, to {money}.",
    "The U.S. and the E.U. extended sanctions against {company} until {date}, {year}.",
    "{victim} was detained at about {hour} near the railway station in {city}.",
    "The trial of {victim} began on {date} behind closed doors.",
    "{person} left Belarus in {year} and now lives in {abroad}.",
    "The decree, No. {decno}, takes effect on {date}.",
    "{short} {said} the talks in {abroad} were \u201cconstructive and frank.\u201d",
    "{outlet} reported that {org} had again refused to register the party.",
    "Supporters of {victim} shared the verdict with the hashtag {hashtag}.",
    "The state budget deficit reached {money} in the first {years} months.",
    "{org} called the situation with {topic} {latin} a state of emergency.",
    "The hearing was held {bold}, according to {link} published by Viasna.",
    "Officials in {region} reported {num} fewer pupils in Belarusian-language classes.",
    "{short} said in {abroad} on {date} that the U.S. would not recognize the results.",
    "Gen. Volfovich warned that {num} troops could be moved to the border with {neighbor}.",
    "A small protest took place in {city} on {date}; {num} people took part.",
    "Belaruskali's revenue fell by {pct} after Lithuania closed the transit of potash.",
    "The National Bank kept the refinancing rate at {pct}, citing inflation risks.",
    "{person} {said}, \u201cWe will not negotiate with those who broke the law.\u201d",
    "{victim} was fined {money} for a picture posted in {year}.",
    "Turnout was {pct} by {hour}, the Central Election Commission {reported}.",
    "Mr. Lukashenka signed the law on {date}; it was published on the legal portal the next day.",
    "The authorities in {city} demolished a memorial to the victims of Stalin's repressions "
    "on {date}.",
    "Average wages in {region} were {money} in {month}, up {pct} on the previous month.",
    "{org} declared {outlet} an extremist organization on {date}.",
    "The number of registered unemployed in {region} rose to {num}.",
    "At least {num} people have been convicted under Article {art} since Aug. 9, 2020.",
    "{short} arrived in {abroad} for a two-day visit, his first since {year}.",
    "Lawyers for {victim} said the case was built on a single testimony.",
    "Officials claimed the fire at the {company} plant in {city} was caused by an electrical "
    "fault.",
    "Belavia resumed flights to {abroad} for the first time since {year}.",
    "The E.U. adopted a new package of sanctions, its {years}th, on {date}.",
    "Passenger traffic at the border crossing near Brest fell by {pct} in {month}.",
    "{person} was added to the KGB's list of persons involved in terrorist activities.",
    "Mr. Putin and Mr. Lukashenka discussed {topic} by phone on {date}.",
    "Independent economists expect inflation of about {pct} by the end of {year}.",
    "The government raised the price of {goods} by {pct} from {date}.",
    "A court in {city} ordered the liquidation of {num} non-governmental organizations.",
    "The blogger's channel, {channel}, had {num} subscribers before it was blocked.",
    "{outlet} estimated that {num} people have left the country since {year}.",
    "According to {link}, {num} teachers were dismissed for political reasons.",
    "Dr. Vitushka said {num} detainees needed medical treatment after their release.",
    "The opposition in {abroad} urged the E.U. and the U.S. to tighten visa rules for "
    "officials from {region}.",
    "Is there a way out of the crisis over {topic} before {year}?",
    "Who will lead the delegation to the talks on {topic} in {abroad} remains unclear.",
    "The St. George ribbon was again seen on state buildings in {city} on {date}.",
)

QUOTES = (
    "We are not going to give up, no matter how long it takes.",
    "There will be no second 2020.",
    "Sanctions are hurting ordinary people, not the regime.",
    "Belarus will not become a battlefield.",
    "Our task is to keep the economy afloat.",
    "Every political prisoner must be released, without conditions.",
    "The West does not understand what is happening here.",
    "We did not choose this war and we do not want it.",
)


class _Fill(dict[str, str]):
    """format_map mapping that draws a fresh filler value for every field."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        return FILLERS[key](self.rng)


def _capitalize(s: str) -> str:
    for i, ch in enumerate(s):
        if ch.isalpha():
            return s[:i] + ch.upper() + s[i + 1 :]
    return s


def fresh_sentence(rng: random.Random) -> str:
    """One sentence from a random template with fresh fillers."""
    return _capitalize(rng.choice(TEMPLATES).format_map(_Fill(rng)))


@dataclass
class Writer:
    """Builds articles; holds the shared boilerplate pool and the RNG."""

    rng: random.Random
    pool: list[str]
    cum_weights: list[float]

    @classmethod
    def create(cls, seed: int) -> Writer:
        pool_rng = random.Random(seed * 7919 + 1)
        pool = list(BOILERPLATE) + [fresh_sentence(pool_rng) for _ in range(600)]
        cum = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(len(pool))))
        return cls(random.Random(seed), pool, cum)

    def sentence(self) -> str:
        r = self.rng
        if r.random() < 0.15:
            # Zipf-like: the first entries (the fixed boilerplate) repeat most.
            return r.choices(self.pool, cum_weights=self.cum_weights)[0]
        return fresh_sentence(r)

    def sentences(self, lo: int, hi: int) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    # -- blocks ----------------------------------------------------------

    def paragraph(self) -> str:
        r = self.rng
        text = self.sentences(2, 6) if r.random() < 0.85 else self.sentences(2, 3)
        if r.random() < 0.12:
            return hard_wrap(text, r.choice((66, 72, 79)))
        return text

    def heading(self, level: int) -> str:
        r = self.rng
        if level == 2 or r.random() < 0.5:
            title = r.choice(HEADINGS)
        else:
            title = f"{r.choice(CITIES)}: {r.choice(TOPICS)}"
        return "#" * level + " " + _capitalize(title)

    def bullet_list(self) -> str:
        r = self.rng
        ordered = r.random() < 0.2
        lines = []
        for i in range(r.randint(2, 6)):
            marker = f"{i + 1}." if ordered else "-"
            lines.append(f"{marker} {self.sentences(1, 2)}")
            if not ordered and r.random() < 0.15:
                for _ in range(r.randint(1, 3)):
                    lines.append(f"  - {self.sentence()}")
        return "\n".join(lines)

    def block_quote(self) -> str:
        r = self.rng
        full, _short, desc = r.choice(PEOPLE)
        quote = r.choice(QUOTES) if r.random() < 0.5 else self.sentences(1, 3)
        if r.random() < 0.5:
            # Attribution after a hard line break (two trailing spaces).
            return f"> \u201c{quote}\u201d  \n> \u2014 {full}, {desc.rstrip(',')}"
        return f"> {quote}\n>\n> \u2014 {full}"

    def table(self) -> str:
        r = self.rng
        if r.random() < 0.5:
            head = "| Region | Detained | Searches | Fines (BYN) |\n|---|---:|---:|---:|"
            rows = [
                f"| {reg} | {r.randint(0, 90)} | {r.randint(0, 40)} | {r.randint(0, 9000):,} |"
                for reg in r.sample(REGIONS, r.randint(3, len(REGIONS)))
            ]
        else:
            head = "| Indicator | Value | Change |\n|:--|--:|--:|"
            names = (
                "Inflation, year-on-year",
                "Average wage",
                "Refinancing rate",
                "Official exchange rate, BYN per U.S. dollar",
                "Registered unemployment",
                "Gold and foreign currency reserves",
                "Exports of goods",
            )
            rows = [
                f"| {n} | {r.randint(1, 99)}.{r.randint(0, 9)} | "
                f"{r.choice('+-')}{r.randint(0, 9)}.{r.randint(0, 9)} |"
                for n in r.sample(names, r.randint(3, 5))
            ]
        return head + "\n" + "\n".join(rows)

    def code_block(self) -> str:
        r = self.rng
        if r.random() < 0.5:
            return (
                "```text\n"
                f"Article {r.choice(ARTICLES_CC)} of the Criminal Code\n"
                f"Case No. {r.randint(1, 9)}-{r.randint(100, 999)}/{r.randint(2020, 2024)}\n"
                f"Court: {r.choice(CITIES)} district court\n"
                "```"
            )
        return (
            "```json\n"
            f'{{"city": "{r.choice(CITIES)}", "detained": {r.randint(0, 99)}, '
            f'"released": {r.randint(0, 99)}}}\n'
            "```"
        )

    def image(self) -> str:
        r = self.rng
        alt = f"{r.choice(('Protesters', 'Riot police', 'A queue', 'Supporters'))} in {r.choice(CITIES)}"
        return f"![{alt} on {_date_ap(r)}](https://example.org/img/{r.randint(1000, 99999)}.jpg)"

    # -- articles --------------------------------------------------------

    def body(self) -> str:
        r = self.rng
        blocks: list[str] = [self.paragraph()]
        for _ in range(r.choice((1, 2, 2, 3, 3))):
            blocks.append(self.heading(2))
            for _ in range(r.choice((1, 1, 2, 2, 3))):
                blocks.append(self.paragraph())
            extra = r.random()
            if extra < 0.25:
                blocks.append(self.bullet_list())
            elif extra < 0.35:
                blocks.append(self.block_quote())
            elif extra < 0.40:
                blocks.append(self.table())
            elif extra < 0.42:
                blocks.append(self.code_block())
            elif extra < 0.46:
                blocks.append(self.image())
            if r.random() < 0.15:
                blocks.append(self.heading(3))
                blocks.append(self.paragraph())
        if r.random() < 0.6:
            blocks.append(r.choice(FOOTERS))
        return "\n\n".join(blocks) + "\n"

    def article(self, period_start: dt.date) -> tuple[str, str]:
        """Return (title, full file text) for an article covering one week."""
        r = self.rng
        period_end = period_start + dt.timedelta(days=6)
        date = period_end + dt.timedelta(days=r.choice((1, 1, 1, 2, 3)))
        topic = r.choice(TOPICS)
        title = r.choice(
            (
                f"Weekly review: {topic} and {r.choice(TOPICS)}",
                f"{r.choice(PEOPLE)[0]} on {topic}",
                f"{_capitalize(topic)} in focus as {r.choice(ORGS)} meets",
                f"{r.choice(CITIES)} court jails {r.randint(2, 30)} over {r.choice(('protests', 'comments', 'donations'))}",
                f"What changed for {topic} in {r.choice(MONTHS_FULL)} {period_start.year}",
            )
        )
        title = _capitalize(title)
        lead = self.sentences(1, 2)
        authors = r.sample(STAFF, r.choice((1, 1, 1, 2)))
        tags = r.sample(TAGS, r.randint(2, 5))
        fm = ["---", f"title: {yaml_str(title)}", f"date: {date.isoformat()}"]
        fm.append(f"lead: {yaml_str(lead)}")
        fm.append(f"section: {r.choice(SECTIONS)}")
        fm += [
            "period:",
            f"  start: {period_start.isoformat()}",
            f"  end: {period_end.isoformat()}",
        ]
        fm.append("authors:")
        fm += [f"  - {a}" for a in authors]
        fm.append("tags:")
        fm += [f"  - {t}" for t in tags]
        fm.append("---")
        return title, "\n".join(fm) + "\n\n" + self.body()


_PLAIN_YAML = re.compile(r"[A-Za-z][^:#\"'\n]*")


def yaml_str(s: str) -> str:
    """A YAML scalar for `s`: plain when safe, else a double-quoted string."""
    if _PLAIN_YAML.fullmatch(s) and not s.endswith(" ") and "`" not in s and "*" not in s:
        return s
    return json.dumps(s, ensure_ascii=False)


_BLOCK_START = re.compile(r"([-+*]|#{1,6}|>.*|\d{1,9}[.)]|[=|].*|```.*|~~~.*|<.*)")


def hard_wrap(text: str, width: int) -> str:
    """Wrap a paragraph at spaces without creating a line that starts a block.

    A wrapped line that begins with ``-``, ``1.``, ``#``, ``>``... would turn
    into a list, heading or quote, so such words stay on the previous line.
    """
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    out: list[str] = []
    for line in lines:
        first = line.split(" ", 1)[0]
        if out and _BLOCK_START.fullmatch(first):
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)


def slugify(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:6]) or "article"


def generate(out_dir: Path, articles: int = DEFAULT_ARTICLES, seed: int = DEFAULT_SEED) -> int:
    """Write the corpus under `out_dir`; return the number of bytes of articles."""
    w = Writer.create(seed)
    adir = out_dir / "articles"
    adir.mkdir(parents=True, exist_ok=True)
    (out_dir / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    first_monday = dt.date(2015, 1, 5)
    weeks = 520
    seen: set[str] = set()
    total = 0
    for i in range(articles):
        start = first_monday + dt.timedelta(weeks=i * weeks // max(articles, 1))
        title, text = w.article(start)
        base = f"{start + dt.timedelta(days=7):%Y-%m-%d}-{slugify(title)}"
        slug, n = base, 2
        while slug in seen:
            slug, n = f"{base}-{n}", n + 1
        seen.add(slug)
        data = text.encode("utf-8")
        (adir / f"{slug}.md").write_bytes(data)
        total += len(data)
    return total


# --------------------------------------------------------------------------
# Edit mode
# --------------------------------------------------------------------------


@dataclass
class Paragraph:
    path: Path
    start: int  # index of the first line
    end: int  # one past the last line


def iter_paragraphs(path: Path, lines: Sequence[str]) -> Iterator[Paragraph]:
    """Top-level paragraphs of an article in the format `generate` writes.

    Skips the front matter, fenced code, and every block whose first line
    starts with a block marker (heading, list, quote, table, image).
    """
    i, n = 0, len(lines)
    if n and lines[0].rstrip("\n") == "---":
        i = 1
        while i < n and lines[i].rstrip("\n") != "---":
            i += 1
        i += 1
    fence = False
    while i < n:
        line = lines[i].rstrip("\n")
        if line.startswith(("```", "~~~")):
            fence = not fence
            i += 1
            continue
        if fence or not line.strip():
            i += 1
            continue
        j = i
        while j < n and lines[j].strip():
            j += 1
        first = line.split(" ", 1)[0]
        if not (_BLOCK_START.fullmatch(first) or line.startswith(("![", "|", " "))):
            yield Paragraph(path, i, j)
        i = j


_SPAN = re.compile(r"`[^`]*`|\[[^\]]*\]\([^)]*\)|\*\*[^*]+\*\*|\*[^*]+\*|\u201c[^\u201d]*\u201d")
_WORD = re.compile(r"[A-Za-z]+")


def edit_paragraph(text: str, rng: random.Random) -> str | None:
    """Change one or two words of one sentence; None if nothing can change.

    Only words outside inline spans (code, links, emphasis, quotations) are
    swapped, so markup stays intact; the second word, if any, is within the
    same sentence (no ". " between the two).
    """
    masked = _SPAN.sub(lambda m: "\0" * len(m.group()), text)
    cands = [m for m in _WORD.finditer(masked) if m.group() in SWAPS]
    if not cands:
        return None
    first = rng.choice(cands)
    picks = [first]
    if rng.random() < 0.5:
        near = [
            m
            for m in cands
            if m is not first
            and abs(m.start() - first.start()) < 60
            and ". " not in masked[min(m.start(), first.start()) : max(m.end(), first.end())]
        ]
        if near:
            picks.append(rng.choice(near))
    out = text
    for m in sorted(picks, key=lambda m: m.start(), reverse=True):
        new = rng.choice(SWAPS[m.group()])
        out = out[: m.start()] + new + out[m.end() :]
    return out


def edit(root: Path, fraction: float, seed: int = DEFAULT_SEED) -> tuple[int, int]:
    """Edit `fraction` of all top-level paragraphs under `root/articles` in place.

    Returns (edited, total paragraphs).  Deterministic for a given corpus and
    seed: files are visited in sorted order and the sample comes from a
    `random.Random` seeded with `seed`.
    """
    files = sorted((root / "articles").glob("*.md"))
    contents = {p: p.read_text(encoding="utf-8").splitlines(keepends=True) for p in files}
    paras = [para for p in files for para in iter_paragraphs(p, contents[p])]
    rng = random.Random(seed * 31 + 17)
    want = round(fraction * len(paras))
    order = list(range(len(paras)))
    rng.shuffle(order)
    edited = 0
    dirty: set[Path] = set()
    for k in order:
        if edited >= want:
            break
        para = paras[k]
        lines = contents[para.path]
        chunk = lines[para.start : para.end]
        # Edit the lines joined by "\n" so the hard wrapping stays where it was.
        text = "".join(chunk)
        new = edit_paragraph(text, rng)
        if new is None or new == text:
            continue
        lines[para.start : para.end] = new.splitlines(keepends=True)
        # Line count is unchanged (no newline is added or removed), so the
        # other paragraph ranges of this file stay valid.
        assert len(lines[para.start : para.end]) == para.end - para.start
        dirty.add(para.path)
        edited += 1
    for p in sorted(dirty):
        p.write_text("".join(contents[p]), encoding="utf-8")
    return edited, len(paras)


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["edit"]:
        ep = argparse.ArgumentParser(prog="corpus.py edit", description=edit.__doc__)
        ep.add_argument("root", type=Path)
        ep.add_argument("--fraction", type=float, default=0.05)
        ep.add_argument("--seed", type=int, default=DEFAULT_SEED)
        ea = ep.parse_args(args[1:])
        edited, total = edit(ea.root, ea.fraction, ea.seed)
        print(f"edited {edited} of {total} paragraphs")
        return 0
    gp = argparse.ArgumentParser(
        prog="corpus.py",
        description="Generate a deterministic newsroom corpus (see module docstring); "
        "or `corpus.py edit ROOT --fraction F` to edit one.",
    )
    gp.add_argument("out_dir", type=Path)
    gp.add_argument("--articles", type=int, default=DEFAULT_ARTICLES)
    gp.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ga = gp.parse_args(args)
    size = generate(ga.out_dir, ga.articles, ga.seed)
    print(f"wrote {ga.articles} articles, {size / 1e6:.2f} MB, to {ga.out_dir / 'articles'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
