// kgcrm graph schema: applied idempotently by `kgcrm graph init`.
// Every statement is IF NOT EXISTS; one statement per `;` line end.
// Node keys: every mirrored row is keyed by its relational row id (a UUID).

// --- unique keys -----------------------------------------------------------
CREATE CONSTRAINT tenant_id IF NOT EXISTS FOR (n:Tenant) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT tenant_slug IF NOT EXISTS FOR (n:Tenant) REQUIRE n.slug IS UNIQUE;
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (n:User) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT organization_id IF NOT EXISTS FOR (n:Organization) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT contact_id IF NOT EXISTS FOR (n:Contact) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT account_id IF NOT EXISTS FOR (n:Account) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT status_id IF NOT EXISTS FOR (n:Status) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT lead_id IF NOT EXISTS FOR (n:Lead) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT task_id IF NOT EXISTS FOR (n:Task) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT note_id IF NOT EXISTS FOR (n:Note) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT interaction_id IF NOT EXISTS FOR (n:Interaction) REQUIRE n.id IS UNIQUE;
// LlamaIndex's Neo4jPropertyGraphStore keys its entities the same way.
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:__Entity__) REQUIRE n.id IS UNIQUE;
// The sync's checkpoint (last applied change_log seq), one node per source.
CREATE CONSTRAINT sync_state_id IF NOT EXISTS FOR (n:SyncState) REQUIRE n.id IS UNIQUE;
// A user's decisions (the feedback table, issue 14).
CREATE CONSTRAINT feedback_id IF NOT EXISTS FOR (n:Feedback) REQUIRE n.id IS UNIQUE;

// --- tenant scoping: every query starts inside one tenant --------------------
CREATE INDEX user_tenant IF NOT EXISTS FOR (n:User) ON (n.tenant_id);
CREATE INDEX person_tenant IF NOT EXISTS FOR (n:Person) ON (n.tenant_id);
CREATE INDEX organization_tenant IF NOT EXISTS FOR (n:Organization) ON (n.tenant_id);
CREATE INDEX contact_tenant IF NOT EXISTS FOR (n:Contact) ON (n.tenant_id);
CREATE INDEX account_tenant IF NOT EXISTS FOR (n:Account) ON (n.tenant_id);
CREATE INDEX status_tenant IF NOT EXISTS FOR (n:Status) ON (n.tenant_id);
CREATE INDEX lead_tenant IF NOT EXISTS FOR (n:Lead) ON (n.tenant_id);
CREATE INDEX task_tenant IF NOT EXISTS FOR (n:Task) ON (n.tenant_id);
CREATE INDEX note_tenant IF NOT EXISTS FOR (n:Note) ON (n.tenant_id);
CREATE INDEX interaction_tenant IF NOT EXISTS FOR (n:Interaction) ON (n.tenant_id);
CREATE INDEX feedback_tenant_kind IF NOT EXISTS FOR (n:Feedback) ON (n.tenant_id, n.kind);
// Every entity of one tenant, whatever its label: the exact vector scan of a small
// tenant (retrieval/vector_strategy.py) starts here.
CREATE INDEX entity_tenant IF NOT EXISTS FOR (n:__Entity__) ON (n.tenant_id);

// --- exact lookups used by entity resolution and templates ------------------
CREATE INDEX person_tenant_email IF NOT EXISTS FOR (n:Person) ON (n.tenant_id, n.email);
CREATE INDEX organization_tenant_domain IF NOT EXISTS FOR (n:Organization) ON (n.tenant_id, n.domain);
CREATE INDEX interaction_tenant_occurred IF NOT EXISTS FOR (n:Interaction) ON (n.tenant_id, n.occurred_at);
// suggestions: a tenant's recent meetings (suggest_meetings_without_followup)
CREATE INDEX interaction_tenant_kind_occurred IF NOT EXISTS FOR (n:Interaction) ON (n.tenant_id, n.kind, n.occurred_at);
CREATE INDEX lead_tenant_type IF NOT EXISTS FOR (n:Lead) ON (n.tenant_id, n.lead_type);

// --- fulltext (Lucene): names and free text -----------------------------------
CREATE FULLTEXT INDEX entity_names IF NOT EXISTS
FOR (n:Person|Organization|Account|Lead|User)
ON EACH [n.name, n.email, n.domain, n.title];
CREATE FULLTEXT INDEX content_text IF NOT EXISTS
FOR (n:Note|Interaction|Task|Lead|Organization|Person)
ON EACH [n.body, n.subject, n.summary, n.description, n.bio];

// --- relationships mirrored from link-table rows, keyed by row id -------------
CREATE CONSTRAINT participated_in_id IF NOT EXISTS FOR ()-[r:PARTICIPATED_IN]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT knows_id IF NOT EXISTS FOR ()-[r:KNOWS]-() REQUIRE r.id IS UNIQUE;
// derived relationships
CREATE INDEX works_at_contact IF NOT EXISTS FOR ()-[r:WORKS_AT]-() ON (r.contact_id);
// a confirmed duplicate (feedback), keyed by its feedback row
CREATE INDEX same_as_feedback IF NOT EXISTS FOR ()-[r:SAME_AS]-() ON (r.feedback_id);
// suggestions: a tenant's duplicates to review (dedupe_write sets r.tenant_id)
CREATE INDEX possibly_same_as_tenant IF NOT EXISTS FOR ()-[r:POSSIBLY_SAME_AS]-() ON (r.tenant_id);
