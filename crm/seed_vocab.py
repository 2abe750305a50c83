"""Vocabulary of the synthetic CRM: places, industries, titles, names, templates.

Static data only (plus name pools read once from Faker's and ``nicknames``'
bundled data); the generator in :mod:`kgcrm.crm.seed_generate` picks from it with its
own ``random.Random``, so the output depends on the seed alone.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from faker.providers.person import de_DE, en_IN, en_US, es_MX, fr_FR
from nicknames import NickNamer

# --- places ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class City:
    name: str  # as stored in ``location``: "Austin, TX"
    short: str  # as people say it: "Austin"
    phone_prefix: str  # "+1 512"
    currency: str
    weight: float


CITIES: tuple[City, ...] = (
    City("San Francisco, CA", "San Francisco", "+1 415", "USD", 9),
    City("New York, NY", "New York", "+1 212", "USD", 9),
    City("Austin, TX", "Austin", "+1 512", "USD", 6),
    City("Boston, MA", "Boston", "+1 617", "USD", 6),
    City("Seattle, WA", "Seattle", "+1 206", "USD", 5),
    City("Chicago, IL", "Chicago", "+1 312", "USD", 5),
    City("Los Angeles, CA", "Los Angeles", "+1 213", "USD", 5),
    City("Denver, CO", "Denver", "+1 303", "USD", 3),
    City("Atlanta, GA", "Atlanta", "+1 404", "USD", 3),
    City("Dallas, TX", "Dallas", "+1 214", "USD", 3),
    City("Houston, TX", "Houston", "+1 713", "USD", 3),
    City("Miami, FL", "Miami", "+1 305", "USD", 2),
    City("Washington, DC", "Washington", "+1 202", "USD", 2),
    City("Portland, OR", "Portland", "+1 503", "USD", 2),
    City("Raleigh, NC", "Raleigh", "+1 919", "USD", 2),
    City("Minneapolis, MN", "Minneapolis", "+1 612", "USD", 2),
    City("Pittsburgh, PA", "Pittsburgh", "+1 412", "USD", 1.5),
    City("Salt Lake City, UT", "Salt Lake City", "+1 801", "USD", 1.5),
    City("Nashville, TN", "Nashville", "+1 615", "USD", 1.5),
    City("San Diego, CA", "San Diego", "+1 619", "USD", 1.5),
    City("Phoenix, AZ", "Phoenix", "+1 602", "USD", 1.5),
    City("Detroit, MI", "Detroit", "+1 313", "USD", 1),
    City("Columbus, OH", "Columbus", "+1 614", "USD", 1),
    City("Toronto, ON", "Toronto", "+1 416", "CAD", 3),
    City("London, UK", "London", "+44 20", "GBP", 6),
    City("Manchester, UK", "Manchester", "+44 161", "GBP", 1),
    City("Berlin, Germany", "Berlin", "+49 30", "EUR", 3),
    City("Munich, Germany", "Munich", "+49 89", "EUR", 1.5),
    City("Paris, France", "Paris", "+33 1", "EUR", 2.5),
    City("Amsterdam, Netherlands", "Amsterdam", "+31 20", "EUR", 2),
    City("Dublin, Ireland", "Dublin", "+353 1", "EUR", 1.5),
    City("Stockholm, Sweden", "Stockholm", "+46 8", "EUR", 1),
    City("Bangalore, India", "Bangalore", "+91 80", "USD", 2),
    City("Singapore", "Singapore", "+65", "USD", 1.5),
    City("Sydney, Australia", "Sydney", "+61 2", "USD", 1.5),
    City("Tel Aviv, Israel", "Tel Aviv", "+972 3", "USD", 1),
    City("Mexico City, Mexico", "Mexico City", "+52 55", "USD", 1),
)
CITY_BY_NAME = {c.name: c for c in CITIES}

# --- industries -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Industry:
    name: str  # stored in ``organization.industry``
    kinds: tuple[str, ...]  # "startup", "company", ... ("a robotics startup in Austin")
    verb: str  # "building", "making", ...
    products: tuple[str, ...]
    words: tuple[str, ...]  # name words: "Cobalt Robotics"
    weight: float


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "Software",
        ("startup", "company"),
        "building",
        (
            "developer tools",
            "a data observability platform",
            "payroll software for restaurants",
            "an API security gateway",
            "workflow automation for legal teams",
            "a customer data platform",
            "scheduling software for field crews",
            "an AI note-taker for sales calls",
        ),
        ("Software", "Labs", "Systems", "Cloud", "Data", "AI", "Analytics"),
        10,
    ),
    Industry(
        "Robotics",
        ("startup", "company"),
        "building",
        (
            "warehouse robots",
            "surgical robots",
            "agricultural drones",
            "robotic arms for small factories",
            "autonomous delivery robots",
            "inspection drones for wind farms",
        ),
        ("Robotics", "Automation", "Dynamics", "Machines"),
        3,
    ),
    Industry(
        "Fintech",
        ("startup", "company"),
        "building",
        (
            "a payments API for marketplaces",
            "expense management software",
            "fraud detection for banks",
            "embedded lending for e-commerce",
            "treasury software for startups",
        ),
        ("Pay", "Capital", "Finance", "Ledger", "Money"),
        5,
    ),
    Industry(
        "Healthcare",
        ("startup", "company", "provider"),
        "offering",
        (
            "remote patient monitoring",
            "a clinic scheduling platform",
            "AI-assisted radiology",
            "home-care staffing",
            "virtual physical therapy",
        ),
        ("Health", "Care", "Medical", "Clinics"),
        5,
    ),
    Industry(
        "Biotech",
        ("startup", "company"),
        "developing",
        (
            "gene therapies for rare diseases",
            "protein design tools",
            "lab automation software",
            "diagnostics for early cancer detection",
        ),
        ("Bio", "Therapeutics", "Genomics", "Biosciences"),
        3,
    ),
    Industry(
        "Logistics",
        ("company", "startup"),
        "running",
        ("last-mile delivery", "freight brokerage software", "cold-chain shipping", "a warehouse network"),
        ("Logistics", "Freight", "Supply", "Shipping"),
        4,
    ),
    Industry(
        "Manufacturing",
        ("manufacturer", "company"),
        "making",
        (
            "industrial pumps",
            "precision machined parts",
            "packaging equipment",
            "electric motors",
            "commercial HVAC systems",
        ),
        ("Industries", "Manufacturing", "Works", "Components"),
        4,
    ),
    Industry(
        "Energy",
        ("company", "startup"),
        "building",
        ("grid-scale batteries", "rooftop solar installations", "EV charging networks", "geothermal heating"),
        ("Energy", "Power", "Solar", "Grid"),
        3,
    ),
    Industry(
        "Retail",
        ("retailer", "brand"),
        "selling",
        ("sustainable outdoor apparel", "groceries online", "office furniture", "specialty coffee", "pet supplies"),
        ("Goods", "Market", "Outfitters", "Supply"),
        4,
    ),
    Industry(
        "Education",
        ("company", "startup"),
        "offering",
        ("online coding courses", "a tutoring marketplace", "corporate language training"),
        ("Learning", "Academy", "Education"),
        2,
    ),
    Industry(
        "Media",
        ("agency", "company"),
        "producing",
        ("podcasts for B2B brands", "a newsletter network", "video content for SaaS companies"),
        ("Media", "Studios", "Creative"),
        2,
    ),
    Industry(
        "Consulting",
        ("firm", "agency"),
        "offering",
        ("cloud migration services", "go-to-market advisory", "data engineering services", "ERP implementations"),
        ("Partners", "Advisors", "Consulting", "Group"),
        4,
    ),
    Industry(
        "Cybersecurity",
        ("startup", "company"),
        "building",
        ("endpoint security", "identity management", "email security", "cloud posture management"),
        ("Security", "Shield", "Cyber", "Defense"),
        3,
    ),
    Industry(
        "Real Estate",
        ("company", "firm"),
        "running",
        ("co-working spaces", "property management software", "commercial real estate brokerage"),
        ("Properties", "Realty", "Spaces", "Estates"),
        2,
    ),
    Industry(
        "Venture Capital",
        ("firm", "fund"),
        "investing in",
        ("seed-stage B2B software", "climate tech", "early-stage healthcare companies", "developer infrastructure"),
        ("Ventures", "Capital", "Partners", "Fund"),
        2,
    ),
    Industry(
        "Insurance",
        ("company", "startup"),
        "offering",
        ("cyber insurance for small businesses", "usage-based car insurance", "pet insurance"),
        ("Insurance", "Assurance", "Mutual"),
        2,
    ),
)
INDUSTRY_BY_NAME = {i.name: i for i in INDUSTRIES}

# --- organization names -----------------------------------------------------

NAME_BASES: tuple[str, ...] = (
    "Acorn",
    "Alder",
    "Amber",
    "Apex",
    "Arbor",
    "Aspen",
    "Atlas",
    "Aurora",
    "Avalon",
    "Basalt",
    "Beacon",
    "Birch",
    "Bluefin",
    "Bolt",
    "Brightwater",
    "Cascade",
    "Cedar",
    "Cinder",
    "Clearpath",
    "Cobalt",
    "Comet",
    "Copper",
    "Coral",
    "Crescent",
    "Crest",
    "Cypress",
    "Delta",
    "Driftwood",
    "Ember",
    "Evergreen",
    "Falcon",
    "Fathom",
    "Fern",
    "Flint",
    "Foxglove",
    "Garnet",
    "Granite",
    "Greenfield",
    "Harbor",
    "Hawthorn",
    "Helix",
    "Heron",
    "Highland",
    "Horizon",
    "Indigo",
    "Iris",
    "Ironwood",
    "Juniper",
    "Kestrel",
    "Keystone",
    "Kite",
    "Lakeshore",
    "Lantern",
    "Larch",
    "Laurel",
    "Linden",
    "Lumen",
    "Magnolia",
    "Maple",
    "Marlin",
    "Meridian",
    "Mesa",
    "Monarch",
    "Mosaic",
    "Nimbus",
    "Northstar",
    "Oakmont",
    "Obsidian",
    "Onyx",
    "Orbit",
    "Osprey",
    "Pacifica",
    "Paragon",
    "Pebble",
    "Pinecrest",
    "Pioneer",
    "Polaris",
    "Prism",
    "Quartz",
    "Quill",
    "Radiant",
    "Raven",
    "Redwood",
    "Ridgeline",
    "Riverbend",
    "Sable",
    "Saffron",
    "Sage",
    "Sequoia",
    "Sierra",
    "Silverline",
    "Slate",
    "Sparrow",
    "Spruce",
    "Stellar",
    "Stonebridge",
    "Summit",
    "Sundial",
    "Tandem",
    "Terra",
    "Thistle",
    "Tidewater",
    "Timber",
    "Topaz",
    "Trailhead",
    "Tundra",
    "Upland",
    "Vantage",
    "Vega",
    "Verdant",
    "Vertex",
    "Westbrook",
    "Willow",
    "Wren",
    "Yarrow",
    "Zenith",
    "Zephyr",
)
NAME_TAILS: tuple[str, ...] = ("works", "line", "stack", "base", "loop", "point", "path", "well", "ly", "hub")
LEGAL_SUFFIXES: dict[str, tuple[str, ...]] = {
    "USD": ("Inc.", "LLC", "Corp.", "Co."),
    "CAD": ("Inc.", "Ltd."),
    "GBP": ("Ltd.", "plc"),
    "EUR": ("GmbH", "B.V.", "SAS", "Ltd."),
}
TLDS: tuple[str, ...] = ("com", "com", "com", "io", "ai", "co")
PERSONAL_EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "proton.me",
)
EMAIL_PATTERNS: tuple[str, ...] = (
    "{first}.{last}",
    "{first}.{last}",
    "{first}",
    "{f}{last}",
    "{first}{l}",
    "{first}_{last}",
)

# --- people -----------------------------------------------------------------

FUNCTIONS: dict[str, tuple[str, ...]] = {
    "Engineering": ("Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager"),
    "Product": ("Product Manager", "Senior Product Manager", "Product Designer"),
    "Sales": ("Account Executive", "Sales Manager", "Sales Development Representative"),
    "Marketing": ("Marketing Manager", "Growth Marketer", "Content Strategist"),
    "Operations": ("Operations Manager", "Operations Analyst", "Program Manager"),
    "Finance": ("Financial Analyst", "Controller", "Accounting Manager"),
    "People": ("Recruiter", "HR Business Partner", "Talent Acquisition Lead"),
    "IT": ("IT Manager", "Systems Administrator", "Solutions Architect"),
    "Procurement": ("Procurement Manager", "Buyer", "Vendor Manager"),
    "Customer Success": ("Customer Success Manager", "Support Lead", "Implementation Manager"),
    "Data": ("Data Scientist", "Data Engineer", "Analytics Manager"),
    "Legal": ("Corporate Counsel", "Legal Operations Manager"),
}
EXECUTIVE_TITLES: tuple[str, ...] = ("CEO", "CTO", "CFO", "COO", "Co-founder & CEO", "Founder", "President")
LEADER_PATTERNS: tuple[str, ...] = ("VP of {f}", "Head of {f}", "Director of {f}", "Senior Director of {f}")

TEAM_TITLES: tuple[str, ...] = (
    "Account Executive",
    "Head of Sales",
    "Partnerships Lead",
    "Customer Success Manager",
    "Sales Development Representative",
    "VP Business Development",
    "Recruiter",
    "Solutions Engineer",
    "Account Executive",
    "Sales Development Representative",
    "Customer Success Manager",
)

# Common nicknames (a subset of the ``nicknames`` package data: only these are
# used as the name on a record, so the names look like what people type).
COMMON_NICKNAMES: frozenset[str] = frozenset(
    (
        "abby",
        "al",
        "alex",
        "andy",
        "barb",
        "becky",
        "ben",
        "beth",
        "bill",
        "bob",
        "cathy",
        "charlie",
        "chris",
        "chuck",
        "dan",
        "dave",
        "deb",
        "don",
        "ed",
        "eddie",
        "fred",
        "greg",
        "hank",
        "jack",
        "jake",
        "jeff",
        "jen",
        "jenny",
        "jerry",
        "jim",
        "jimmy",
        "joe",
        "jon",
        "johnny",
        "kate",
        "kathy",
        "katie",
        "ken",
        "larry",
        "liz",
        "maggie",
        "mandy",
        "matt",
        "meg",
        "mike",
        "nate",
        "nick",
        "pam",
        "pat",
        "peggy",
        "rich",
        "rick",
        "rob",
        "ron",
        "sam",
        "sandy",
        "steve",
        "sue",
        "ted",
        "terry",
        "tom",
        "tony",
        "val",
        "vicky",
        "walt",
        "will",
        "zach",
        "tim",
        "phil",
        "ray",
        "gabe",
        "josh",
        "nic",
    )
)


@functools.cache
def nicknamer() -> NickNamer:
    return NickNamer()


@functools.cache
def common_nicknames(first: str) -> tuple[str, ...]:
    """The common nicknames of a first name, sorted, capitalised ("Robert" → ("Bob", "Rob"))."""
    found = nicknamer().nicknames_of(first) & COMMON_NICKNAMES
    return tuple(sorted(n.capitalize() for n in found))


@functools.cache
def name_group(first: str) -> frozenset[str]:
    """The lower-case names a person called ``first`` may be mentioned by (itself, nicknames, canonicals)."""
    low = first.strip().lower()
    nn = nicknamer()
    group = {low} | nn.nicknames_of(low) | nn.canonicals_of(low)
    for canonical in nn.canonicals_of(low):
        group |= nn.nicknames_of(canonical)
    return frozenset(group)


@dataclass(frozen=True, slots=True)
class NamePool:
    """First and last names with cumulative weights, for ``random.choices``."""

    firsts: tuple[str, ...]
    first_cum: tuple[float, ...]
    lasts: tuple[str, ...]
    last_cum: tuple[float, ...]
    weight: float


def _cumulative(weights: list[float]) -> tuple[float, ...]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return tuple(out)


def _pool(firsts: object, lasts: object, weight: float) -> NamePool:
    def names_and_weights(source: object) -> tuple[list[str], list[float]]:
        if isinstance(source, dict):
            items = [(str(k), float(v)) for k, v in source.items()]
        else:
            items = [(str(k), 1.0) for k in source]  # type: ignore[attr-defined]
        seen: dict[str, float] = {}
        for name, w in items:
            if name.isalpha() and len(name) > 1:
                seen[name] = seen.get(name, 0.0) + w
        return list(seen), list(seen.values())

    first_names, first_weights = names_and_weights(firsts)
    last_names, last_weights = names_and_weights(lasts)
    return NamePool(
        tuple(first_names), _cumulative(first_weights), tuple(last_names), _cumulative(last_weights), weight
    )


@functools.cache
def name_pools() -> tuple[NamePool, ...]:
    """Name pools by origin, weighted like a US/European B2B contact list."""
    pools = []
    for module, weight in ((en_US, 70.0), (en_IN, 10.0), (es_MX, 8.0), (de_DE, 6.0), (fr_FR, 6.0)):
        provider = module.Provider
        firsts: dict[str, float] = {}
        for attr in ("first_names_male", "first_names_female"):
            source = getattr(provider, attr)
            if isinstance(source, dict):
                for k, v in source.items():
                    firsts[k] = firsts.get(k, 0.0) + float(v)
            else:
                for k in source:
                    firsts[k] = firsts.get(k, 0.0) + 1.0
        pools.append(_pool(firsts, provider.last_names, weight))
    return tuple(pools)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Zoë O'Neil" → "zoeoneil"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


# --- anchors: look-alike entities planted in every tenant ----------------------


@dataclass(frozen=True, slots=True)
class AnchorOrg:
    key: str
    names: tuple[str, ...]  # tenant i uses names[i % len(names)]: look-alike, not identical
    short: str
    domain: str
    industry: str
    kind: str
    product: str
    city: str


@dataclass(frozen=True, slots=True)
class AnchorPerson:
    first: str
    last: str
    org: str  # AnchorOrg.key
    title: str
    nickname: str | None  # used as the record's first name in odd-numbered tenants


ANCHOR_ORGS: tuple[AnchorOrg, ...] = (
    AnchorOrg(
        "acme",
        ("Acme Corp.", "Acme Corporation", "Acme Inc."),
        "Acme",
        "acme.com",
        "Manufacturing",
        "manufacturer",
        "packaging equipment",
        "Chicago, IL",
    ),
    AnchorOrg(
        "northwind",
        ("Northwind Traders", "Northwind Traders Inc."),
        "Northwind",
        "northwind.com",
        "Logistics",
        "company",
        "cold-chain shipping",
        "Seattle, WA",
    ),
    AnchorOrg(
        "globex",
        ("Globex Corporation", "Globex"),
        "Globex",
        "globex.com",
        "Energy",
        "company",
        "grid-scale batteries",
        "Houston, TX",
    ),
    AnchorOrg(
        "initech",
        ("Initech", "Initech LLC"),
        "Initech",
        "initech.com",
        "Software",
        "company",
        "payroll software for restaurants",
        "Dallas, TX",
    ),
    AnchorOrg(
        "botwell",
        ("Botwell Robotics",),
        "Botwell",
        "botwell.ai",
        "Robotics",
        "startup",
        "warehouse robots",
        "Austin, TX",
    ),
)
ANCHOR_PEOPLE: tuple[AnchorPerson, ...] = (
    AnchorPerson("Robert", "Smith", "acme", "VP of Operations", "Bob"),
    AnchorPerson("Priya", "Patel", "northwind", "Head of Procurement", None),
    AnchorPerson("Maria", "Garcia", "globex", "Director of IT", None),
    AnchorPerson("Michael", "Chen", "initech", "CTO", "Mike"),
    AnchorPerson("Elizabeth", "Turner", "botwell", "Co-founder & CEO", "Liz"),
    AnchorPerson("David", "Okafor", "botwell", "Head of Engineering", "Dave"),
)

TENANT_NAMES: tuple[tuple[str, str, str], ...] = (
    # (name, slug, domain): the tenant's own company
    ("Lumenfield", "lumenfield", "lumenfield.io"),
    ("Harborline Partners", "harborline", "harborline.com"),
    ("Quillstone Labs", "quillstone", "quillstone.ai"),
    ("Brightpath Recruiting", "brightpath", "brightpath.co"),
    ("Tidewater Analytics", "tidewater", "tidewateranalytics.com"),
    ("Kestrel Growth", "kestrel", "kestrelgrowth.com"),
)

# --- pipelines ----------------------------------------------------------------
# entity_type → (name, category, is_terminal, default probability for opportunities)

STATUSES: dict[str, tuple[tuple[str, str, bool, int | None], ...]] = {
    "lead": (
        ("New", "open", False, None),
        ("Working", "open", False, None),
        ("Converted", "won", True, None),
        ("Disqualified", "lost", True, None),
    ),
    "opportunity": (
        ("Prospecting", "open", False, 10),
        ("Qualification", "open", False, 20),
        ("Discovery", "open", False, 35),
        ("Proposal", "open", False, 55),
        ("Negotiation", "open", False, 75),
        ("Closed Won", "won", True, 100),
        ("Closed Lost", "lost", True, 0),
    ),
    "job": (
        ("Identified", "open", False, None),
        ("Applied", "open", False, None),
        ("Interviewing", "open", False, None),
        ("Offer", "open", False, None),
        ("Placed", "won", True, None),
        ("Rejected", "lost", True, None),
        ("Withdrawn", "lost", True, None),
    ),
    "partnership": (
        ("Exploring", "open", False, None),
        ("Negotiating", "open", False, None),
        ("Active", "active", False, None),
        ("Paused", "inactive", False, None),
        ("Ended", "done", True, None),
        ("Declined", "lost", True, None),
    ),
    "task": (
        ("To do", "open", False, None),
        ("In progress", "open", False, None),
        ("Done", "done", True, None),
        ("Cancelled", "inactive", True, None),
    ),
    "account": (
        ("Onboarding", "active", False, None),
        ("Active", "active", False, None),
        ("At risk", "active", False, None),
        ("Churned", "inactive", True, None),
    ),
    "contact": (
        ("Active", "active", False, None),
        ("Nurture", "active", False, None),
        ("Do not contact", "inactive", False, None),
        ("Former", "inactive", True, None),
    ),
}

# --- free text ---------------------------------------------------------------

TOPICS: tuple[str, ...] = (
    "renewal",
    "pricing",
    "security review",
    "pilot",
    "SSO rollout",
    "Q{q} roadmap",
    "integration",
    "onboarding",
    "expansion",
    "procurement process",
    "data migration",
    "contract redlines",
    "reference call",
    "API limits",
    "budget for next year",
    "hiring plan",
    "co-marketing webinar",
)
NEXT_STEPS: tuple[str, ...] = (
    "send a proposal by Friday",
    "set up a technical deep-dive",
    "loop in their security team",
    "share the case study",
    "schedule a call with their CFO",
    "follow up after their board meeting",
    "draft the mutual action plan",
    "send the updated quote",
    "intro to our solutions engineer",
)
EMAIL_SUBJECTS: tuple[str, ...] = (
    "Re: {org} {topic}",
    "{org} <> {us}: {topic}",
    "Follow-up on {topic}",
    "Quick question about {topic}",
    "Re: Re: {topic} next steps",
    "Intro: {first} <> {user_first}",
    "Proposal for {org}",
    "Fwd: {topic} notes",
    "Checking in",
    "Coffee next week?",
)
MEETING_SUBJECTS: tuple[str, ...] = (
    "{org} / {us} {topic} sync",
    "{topic} workshop with {org}",
    "Quarterly business review: {org}",
    "Intro call: {first} ({org})",
    "Demo for {org}",
    "Lunch with {first}",
    "{org} kickoff",
)
CALL_SUBJECTS: tuple[str, ...] = (
    "Call with {first} re: {topic}",
    "Phone call: {org} {topic}",
    "Catch-up call with {first}",
    "Discovery call: {org}",
)
MESSAGE_SUBJECTS: tuple[str, ...] = (
    "LinkedIn message from {first}",
    "Slack Connect: {org}",
    "Text from {first} about {topic}",
)
SUMMARIES: tuple[str, ...] = (
    "Discussed {topic} with {first} from {org}; next step: {step}.",
    "{first} asked about {topic}. Agreed to {step}.",
    "{first} is happy with the {topic}; wants to {step}.",
    "Walked {first} through the {topic}. {org} is comparing us with two other vendors.",
    "Short sync on {topic}. {first} will check budget internally; we {step}.",
)
SOURCES: tuple[str, ...] = ("inbound", "outbound", "referral", "event", "partner", "website")
JOB_ROLES: tuple[tuple[str, int, int], ...] = (
    ("Senior Software Engineer", 150, 210),
    ("Data Engineer", 130, 180),
    ("Product Manager", 140, 190),
    ("Account Executive", 90, 150),
    ("Head of Marketing", 160, 230),
    ("Customer Success Manager", 80, 120),
    ("DevOps Engineer", 140, 190),
    ("Financial Analyst", 80, 115),
    ("Solutions Architect", 150, 200),
    ("Engineering Manager", 180, 240),
    ("Recruiter", 70, 110),
    ("Operations Manager", 85, 125),
)
EMPLOYMENT_TYPES: tuple[str, ...] = ("full-time", "full-time", "full-time", "contract", "part-time")
PARTNERSHIP_TYPES: tuple[str, ...] = ("reseller", "referral", "technology", "integration", "co-marketing")
DEAL_KINDS: tuple[str, ...] = ("new business", "expansion", "renewal", "pilot", "platform deal", "multi-year agreement")
ACCOUNT_TIERS: tuple[str, ...] = ("strategic", "enterprise", "mid-market", "smb")
RELATIONSHIP_SOURCES: tuple[str, ...] = ("manual", "linkedin", "import", "email")
