"""Human-looking text: company names, blog posts, outbound links, site domains, recommendation wording.

Creating a Faker instance and asking it for text costs milliseconds, far too much per journey. So the
pools are built once per process, at first use, from a fixed seed — every process builds identical pools —
and a journey picks from them with its own seeded generator. A journey's text therefore depends only on its
seed and id, never on which journeys were generated before it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from faker import Faker

__all__ = [
    "CARD_TEMPLATES",
    "CardTemplates",
    "TextPools",
    "headline_pattern",
    "pools",
]

# Changing this, or upgrading Faker, changes every generated name (and so every checked-in fixture).
_POOL_SEED: Final = 20_240_115
_POOL_SIZE: Final = 256

_DOCS_PAGES: Final = (
    "/docs/getting-started",
    "/docs/api-reference",
    "/docs/sso",
    "/docs/webhooks",
    "/docs/integrations/salesforce",
    "/docs/integrations/hubspot",
    "/docs/data-retention",
    "/docs/permissions",
)

# Well-known places a B2B evaluator leaves a vendor's site for; the path part comes from Faker.
_OUTBOUND_TEMPLATES: Final = (
    "https://www.g2.com/products/{word}/reviews",
    "https://www.linkedin.com/company/{word}",
    "https://github.com/{word}/{slug}",
    "https://www.capterra.com/p/{number}/{word}/",
    "https://{domain}/{slug}",
    "https://{domain}/case-studies/{slug}",
)


@dataclass(frozen=True)
class TextPools:
    companies: tuple[str, ...]
    blog_pages: tuple[str, ...]
    docs_pages: tuple[str, ...]
    outbound_urls: tuple[str, ...]
    site_domains: tuple[str, ...]


@functools.cache
def pools() -> TextPools:
    """The process-wide pools (built on first use, identical in every process)."""
    fake = Faker("en_US")
    fake.seed_instance(_POOL_SEED)
    companies = _unique(fake.company, _POOL_SIZE)
    blog_pages = tuple(f"/blog/{slug}" for slug in _unique(fake.slug, _POOL_SIZE))
    outbound: list[str] = []
    for index in range(_POOL_SIZE):
        template = _OUTBOUND_TEMPLATES[index % len(_OUTBOUND_TEMPLATES)]
        outbound.append(
            template.format(
                word=fake.domain_word(),
                slug=fake.slug(),
                domain=fake.domain_name(),
                number=fake.random_int(100_000, 999_999),
            )
        )
    site_domains = _unique(lambda: f"www.{fake.domain_name()}", 64)
    return TextPools(
        companies=companies,
        blog_pages=blog_pages,
        docs_pages=_DOCS_PAGES,
        outbound_urls=tuple(outbound),
        site_domains=site_domains,
    )


def _unique(make: Callable[[], object], count: int) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    # Faker repeats itself now and then; a bounded number of attempts keeps start-up time predictable.
    for _ in range(count * 4):
        value = str(make())
        seen.setdefault(value, None)
        if len(seen) == count:
            break
    return tuple(seen)


@dataclass(frozen=True)
class CardTemplates:
    """Wording of a recommendation card for one flag. `{company}` is the visitor's company."""

    headlines: tuple[str, ...]
    what_to_do: tuple[str, ...]
    why_it_matters: tuple[str, ...]


# Keyed by recommendation flag (see `rules.recommendation_flag`). The first headline of
# post_conversion_context is the vendor's own example.
CARD_TEMPLATES: Final[Mapping[str, CardTemplates]] = MappingProxyType(
    {
        "post_conversion_context": CardTemplates(
            headlines=(
                "This evaluator already converted",
                "{company} converted after doing its homework",
                "{company} booked time with you: here is what they read first",
            ),
            what_to_do=(
                "Open the first call with the pages they spent the most time on.",
                "Attach this journey to the CRM record before the first conversation.",
                "Skip the generic discovery deck: they have already compared plans.",
            ),
            why_it_matters=(
                "Reps who know the evaluation history shorten the first call and avoid repeating the website.",
                "Context gathered before conversion is lost unless it travels with the lead.",
            ),
        ),
        "sales_ready": CardTemplates(
            headlines=(
                "{company} is comparing plans right now",
                "High intent from {company}: reach out while they are evaluating",
                "{company} keeps coming back to pricing",
            ),
            what_to_do=(
                "Route to an account executive today and reference the pages they viewed.",
                "Offer a tailored demo focused on the integrations they looked at.",
            ),
            why_it_matters=(
                "Evaluators who return to pricing several times are close to a decision.",
                "Reaching out while the evaluation is live beats a follow-up a week later.",
            ),
        ),
        "nurture": CardTemplates(
            headlines=(
                "{company} is researching, not buying yet",
                "{company} is reading the docs",
                "Steady interest from {company}",
            ),
            what_to_do=(
                "Send technical content that matches the docs they read.",
                "Add them to a nurture sequence and watch for pricing views.",
            ),
            why_it_matters=(
                "Researchers convert later but larger when their questions are answered early.",
                "Pushing for a call too soon tends to end technical evaluations.",
            ),
        ),
        "monitor": CardTemplates(
            headlines=(
                "Early, low-intent visit from {company}",
                "{company} has gone quiet",
                "Light interest from {company}",
            ),
            what_to_do=(
                "No outreach yet; keep watching for a return visit.",
                "Let marketing automation handle this one for now.",
            ),
            why_it_matters=(
                "Outreach on weak signals costs rep time and can put an early evaluator off.",
                "Most single short visits never return; a second visit is the signal to act on.",
            ),
        ),
        "suspected_bot": CardTemplates(
            headlines=(
                "Traffic from this visitor looks automated",
                "Likely bot: rapid, scroll-free sessions",
            ),
            what_to_do=(
                "Exclude this journey from lead scoring and attribution reports.",
                "Do not route to sales; review it only if it keeps recurring.",
            ),
            why_it_matters=(
                "Automated traffic inflates engagement metrics and wastes rep time.",
                "Bots that scrape pricing pages are common; counting them skews intent models.",
            ),
        ),
    }
)


@functools.lru_cache(maxsize=64)  # bounded: checked bodies may carry any flag a vendor invents
def headline_pattern(flag: str) -> re.Pattern[str] | None:
    """A pattern matching every headline the given flag can have (None for a flag we never send)."""
    templates = CARD_TEMPLATES.get(flag)
    if templates is None:
        return None
    alternatives = (re.escape(headline).replace(re.escape("{company}"), ".+") for headline in templates.headlines)
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives))
