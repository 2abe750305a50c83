"""One tenant's builder: its parts put together, and the order its rows are streamed in."""

from __future__ import annotations

from collections.abc import Iterator

from kgcrm.crm import seed_vocab as vocab
from kgcrm.crm.seed_generate.config import Item, Mark
from kgcrm.crm.seed_generate.deals import DealsMixin
from kgcrm.crm.seed_generate.planted import PlantedMixin
from kgcrm.crm.seed_generate.suggestions import SuggestionPlantsMixin
from kgcrm.crm.seed_generate.world import WorldMixin


class TenantBuilder(WorldMixin, DealsMixin, PlantedMixin, SuggestionPlantsMixin):
    """Builds one tenant's world and streams its rows; records its ground truth."""

    #: Append the suggestions' planted situations (SeedConfig.plant_suggestions; issue 14).
    plant_suggestions: bool = False

    def items(self) -> Iterator[Item]:
        self.plan_sizes()
        # phase 1: tenant, own company, the team's individuals
        created = self.start
        yield self.row(
            "tenant",
            {"id": self.tenant_id, "name": self.name, "slug": self.slug, "created_at": created, "updated_at": created},
        )
        own = self.make_org_from(
            name=f"{self.name} Inc.",
            short=self.name,
            base=self.name.split()[0],
            domain=self.domain,
            industry=vocab.INDUSTRY_BY_NAME["Software"],
            kind="startup",
            product="a relationship-intelligence CRM",
            city=self.random_city(),
            created_at=self.start,
            created_by=None,
        )
        self.own = own
        yield self.org_row(own)
        self.make_team(own)
        for user in self.users:
            yield self.person_row(user.person)
        yield Mark.FLUSH
        # phase 2: the team's accounts (the admin creates the others)
        admin = self.users[0]
        for user in self.users:
            by = None if user is admin else admin.id
            yield self.row(
                "app_user",
                {
                    "id": user.id,
                    "email": user.person.email,
                    "full_name": user.person.full_name,
                    "individual_id": user.person.id,
                    "is_active": user.active,
                    **self.audit(user.joined, by, edit=0.0),
                },
            )
        yield Mark.FLUSH
        # phase 3: everything else
        yield from self.status_rows()
        for user in self.users:
            yield from self.contact_rows(user.person)
        self.make_world()
        for org in self.orgs:
            yield self.org_row(org)
        for person in self.people:
            yield self.person_row(person)
        for person in self.people:
            yield from self.contact_rows(person)
        yield from self.account_rows()
        yield from self.lead_rows()
        self.make_mentions()
        # the volume tables share what is left of the budget
        yield from self.planted_rows()
        left = max(self.budget - sum(self.counts.values()), 0)
        yield from self.relationship_rows(round(left * 0.08))
        yield from self.interaction_rows(round(left * 0.74))
        yield from self.note_rows(round(left * 0.11))
        left = max(self.budget - sum(self.counts.values()), 0)
        yield from self.task_rows(max(left, 5))
        if self.plant_suggestions:  # last, from a generator of its own: nothing above changes
            yield from self.suggestion_rows()
