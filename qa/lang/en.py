"""English: units and qualifiers, as data (general English only, no corpus's words)."""

CODE = "en"

COUNT_MEASURES: list[str] = []

COUNTED_NOUNS: list[str] = []

TIME_UNITS = "years year months month weeks week days day hours hour minutes minute seconds second".split()

UNITS = """million billion thousand trillion km miles mile meters metres feet foot inches kg tons tonnes
pounds percent dollars yuan euros""".split()

QUALIFIERS_BEFORE = [
    "more than",
    "over",
    "about",
    "around",
    "nearly",
    "almost",
    "approximately",
    "roughly",
    "at least",
    "at most",
    "up to",
    "under",
    "less than",
    "some",
]

QUALIFIERS_AFTER = ["or more", "plus"]

SURNAMES = ""

NAME_JOINERS = ""

TRANSLIT_CHARS = ""

NAMING_VERBS = ["named", "called", "known as", "renamed"]
