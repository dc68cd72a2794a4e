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

ASKS = [
    ("person", r"\bwho\b|\bwhom\b|\bwhose name\b"),
    (
        "date",
        r"\bwhen\b|what date|which year|what year|what day|\bdated?\b|published|which century|what decade",
    ),
    (
        "percent",
        r"percent|percentage|\brate\b|\bshare\b|penetration|efficiency|%|annual growth|grow(?:th)? by",
    ),
    (
        "quantity",
        r"how many|how much|how large|how big|how long|how fast|how far|number of|amount|"
        r"\btotal\b|bandwidth|capacity|latency|\bspeed\b|\bsize\b",
    ),
    ("place", r"\bwhere\b|which (?:city|district|county|region|place|country|state)"),
    (
        "list",
        r"\bwhich\b.*\b\w+s\b|\bwhat are\b|\blist\b|\bname the\b|"
        r"what (?:kinds|types|activities|areas|places|projects|measures)",
    ),
    (
        "name",
        r"\bwho\b|what is the name|what was the name|\bcalled\b|which (?:company|project|organization|plan)",
    ),
]

YES_NO = (
    r"^\s*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must)\b"
    r"(?!.*\b(?:what|which|who|whom|whose|when|where|why|how)\b)"
)

NEGATIONS = "not no never none nothing neither nor without n't".split()

YES, NO = "Yes", "No"

GENERIC_PLACES: list[str] = []

MEASURED = [
    (r"bandwidth", ["GB", "TB", "PB", "G", "T", "M", "Gbps", "Mbps", "Tbps"]),
    (r"traffic", ["G", "GB", "TB", "PB"]),
    (r"revenue|invest|fund|money|spend|spent|subsid", ["元"]),
    (r"\barea\b|acre|hectare", ["亩", "平方公里", "公顷"]),
    (r"latency|delay", ["毫秒", "秒"]),
    (r"\bspeed\b", ["Mbps", "Gbps", "M", "G"]),
]

GENERIC_MEASURES: list[str] = []

HOW_MANY = r"\bhow many\b"
MAGNITUDES: list[str] = []

RATE_ASKED = r"\bper\b|average|annual|\brate\b|growth|grow|increase|ratio|share|percent"
GROWTH_ASKED = r"growth|grow|increase"

QUESTION_WORDS = r"\b(?:how|what|which|who|whom|whose|when|where|why)\b"

FOLLOWUP_FRAMES = {
    "person": "Who is {topic}?",
    "percent": "What is the percentage of {topic}?",
    "quantity": "How many {topic}?",
    "date": "When was {topic}?",
    "list": "What are {topic}?",
    "place": "Where is {topic}?",
    "name": "What is the name of {topic}?",
    "yes_no": "Is it true of {topic}?",
    "open": "What about {topic}?",
}

ASKS_YEAR = r"\b(?:what|which) year\b|\byear (?:did|was|were|has|had)\b"
YEAR_OF_DATE = r"\d{4}\b"

MAGNITUDE = r"how (?:big|large|high|tall|long|far|heavy|wide|deep)"

PUBLICATION = r"publish|release|posted|\bdated?\b"

FOCUS_SKIP: list[str] = []
