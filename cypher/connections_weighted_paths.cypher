// Weighted partial paths for "who connects us to X" (the weighted strategy), one query per call:
// from $starts ([{id, score}]: the target person, or the people of the target organization with
// their affiliation strength) two levels out over the ties between people, each tie weighted in the
// graph as retrieval/strength.py scores it (explicit ties, interactions at $now_ms, co-workers whose
// tenures overlap, at $today; several kinds for one pair combined as a noisy-or).
// Per node: its $per_node strongest ties (co-workers: $per_coworkers per organization, strongest first).
// Between the levels: the $beam best level-1 people are expanded, each with its $ways best paths so far;
// each level-2 person keeps its $ways best paths.
// Never through $stop (the team: paths end there) nor into $exclude (the target's own people past the
// first hop); $levels: 1 or 2. Every node passed through or returned belongs to $tenant.
// A confirmed duplicate (SAME_AS, from a user's feedback) is walked as one person: weight 1.
// Returns the partial paths (ids from the start, and the product of the weights) of level 1 and 2.
// A start may carry the ways that reached it ({id, ways: [{path, score}]}, instead of its score): its
// paths then continue them (never back into their own nodes); the team's second level is walked so, in
// chunks of level-1 people (retrieval/connections/weighted.py, team_side), to bound the query's memory.
// The same query also starts a search (one round trip): with $target (an id; null for a walk from
// $starts) it gives the target, a Person or an Organization of the tenant (null columns when $target
// is of another tenant, of another kind, or unknown), an organization's people as connections_org_people
// gives them (at most $limit; each a list: [person id, person name, organization id, organization name,
// distance, contact id, title, since, until]) and, for a person, the walk from it ($levels; none when 0).
OPTIONAL MATCH (t:__Entity__ {id: $target})
WHERE t.tenant_id = $tenant AND (t:Person OR t:Organization)
WITH t, CASE WHEN t:Organization THEN t END AS org
CALL (org) {
  CALL (org) {
    RETURN org AS at, 0 AS distance
    UNION
    MATCH path = (at:Organization)-[:SUBSIDIARY_OF*1..3]->(org)
    WHERE all(n IN nodes(path) WHERE n.tenant_id = $tenant)
    RETURN at, length(path) AS distance
    UNION
    MATCH path = (org)-[:SUBSIDIARY_OF*1..3]->(at:Organization)
    WHERE all(n IN nodes(path) WHERE n.tenant_id = $tenant)
    RETURN at, length(path) AS distance
  }
  WITH at, min(distance) AS distance
  MATCH (p:Person)-[w:WORKS_AT]->(at)
  WHERE p.tenant_id = $tenant
  WITH p, at, distance, w
  ORDER BY (w.until IS NULL) DESC, distance, coalesce(w.until, $today) DESC, p.id
  LIMIT $limit
  RETURN collect([p.id, p.name, at.id, at.name, distance, w.contact_id, w.title, toString(w.since), toString(w.until)])
         AS people
}
WITH t, people,
     CASE WHEN $target IS NULL THEN $starts WHEN t:Person AND $levels >= 1 THEN [{id: t.id, score: 1.0}] ELSE [] END
       AS starts
CALL (starts) {
  UNWIND starts AS start
  MATCH (p0:Person {id: start.id})
  WHERE p0.tenant_id = $tenant
  CALL (p0) {
    CALL (p0) {
      MATCH (p0)-[r:KNOWS|INTERACTED|SAME_AS]-(q:Person)
      WHERE q.tenant_id = $tenant AND q <> p0
      RETURN q, CASE type(r)
        WHEN 'SAME_AS' THEN 1.0
        WHEN 'KNOWS' THEN coalesce(r.strength, $kind_defaults[coalesce(r.kind, '')], $unknown_kind_default)
        ELSE CASE WHEN coalesce(r.count, 0) <= 0 OR r.last_at IS NULL THEN 0.0
          ELSE (1.0 - exp(-r.count / $frequency_scale))
               * ($recency_floor + (1.0 - $recency_floor)
                  * 0.5 ^ (CASE WHEN $now_ms > r.last_at.epochMillis THEN ($now_ms - r.last_at.epochMillis) ELSE 0 END
                           / 86400000.0 / $half_life_days))
        END
      END AS s
      UNION ALL
      MATCH (p0)-[w1:WORKS_AT]->(o:Organization)
      WHERE o.tenant_id = $tenant
      WITH o, w1.since AS since_a, w1.until AS until_a, COUNT { (o)<-[:WORKS_AT]-() } AS headcount
      WITH o, headcount, until_a IS NULL AS current_a,
           CASE WHEN until_a IS NULL OR until_a > $today THEN $today ELSE until_a END AS end_a, since_a
      WITH o, headcount, current_a, end_a, coalesce(since_a, end_a - duration({days: $unknown_tenure_days})) AS start_a
      CALL (p0, o, headcount, current_a, end_a, start_a) {
        MATCH (o)<-[w2:WORKS_AT]-(q:Person)
        WHERE q.tenant_id = $tenant AND q <> p0
        WITH q, w2.since AS since_b, w2.until AS until_b
        WITH q, since_b, until_b,
             CASE WHEN until_b IS NULL OR until_b > $today THEN $today ELSE until_b END AS end_b
        WITH q, until_b, end_b, coalesce(since_b, end_b - duration({days: $unknown_tenure_days})) AS start_b
        WITH q, until_b,
             CASE WHEN start_a > start_b THEN start_a ELSE start_b END AS from,
             CASE WHEN end_a < end_b THEN end_a ELSE end_b END AS to
        WHERE from <= to
        WITH q, from, to, current_a AND until_b IS NULL AS current
        RETURN q, $coworker_max
          * (1.0 - exp(-duration.inDays(from, to).days / $overlap_scale_days))
          * 0.5 ^ (CASE WHEN current THEN 0 ELSE duration.inDays(to, $today).days END / $past_half_life_days)
          * CASE WHEN headcount <= $team_size THEN 1.0 ELSE sqrt(toFloat($team_size) / headcount) END AS s
        ORDER BY s DESC, q.id
        LIMIT $per_coworkers
      }
      RETURN q, s
    }
    WITH q, 1.0 - reduce(miss = 1.0, x IN collect(s) | miss * (1.0 - x)) AS w
    WHERE w > 0.0
    RETURN q AS p1, w
    ORDER BY w DESC, p1.id
    LIMIT $per_node
  }
  WITH p0, start, p1, w
  WHERE NOT p1.id IN $exclude
  UNWIND coalesce(start.ways, [{path: [], score: start.score}]) AS prior
  WITH p0, p1, w, prior
  WHERE NOT p1.id IN prior.path
  WITH p1, {path: prior.path + [p0.id], score: prior.score * w} AS way
  ORDER BY way.score DESC
  WITH p1, collect(way)[..$ways] AS ways
  WITH p1, ways, ways[0].score AS best
  ORDER BY best DESC, p1.id
  WITH collect({node: p1, ways: ways}) AS level1
  CALL (level1) {
    UNWIND level1[..$beam] AS entry
    WITH entry.node AS p1, entry.ways AS ways
    WHERE $levels >= 2 AND NOT p1.id IN $stop
    CALL (p1) {
      CALL (p1) {
        MATCH (p1)-[r:KNOWS|INTERACTED|SAME_AS]-(q:Person)
        WHERE q.tenant_id = $tenant AND q <> p1
        RETURN q, CASE type(r)
          WHEN 'SAME_AS' THEN 1.0
          WHEN 'KNOWS' THEN coalesce(r.strength, $kind_defaults[coalesce(r.kind, '')], $unknown_kind_default)
          ELSE CASE WHEN coalesce(r.count, 0) <= 0 OR r.last_at IS NULL THEN 0.0
            ELSE (1.0 - exp(-r.count / $frequency_scale))
                 * ($recency_floor + (1.0 - $recency_floor)
                    * 0.5 ^ (CASE WHEN $now_ms > r.last_at.epochMillis THEN ($now_ms - r.last_at.epochMillis) ELSE 0 END
                             / 86400000.0 / $half_life_days))
          END
        END AS s
        UNION ALL
        MATCH (p1)-[w1:WORKS_AT]->(o:Organization)
        WHERE o.tenant_id = $tenant
        WITH o, w1.since AS since_a, w1.until AS until_a, COUNT { (o)<-[:WORKS_AT]-() } AS headcount
        WITH o, headcount, until_a IS NULL AS current_a,
             CASE WHEN until_a IS NULL OR until_a > $today THEN $today ELSE until_a END AS end_a, since_a
        WITH o, headcount, current_a, end_a, coalesce(since_a, end_a - duration({days: $unknown_tenure_days})) AS start_a
        CALL (p1, o, headcount, current_a, end_a, start_a) {
          MATCH (o)<-[w2:WORKS_AT]-(q:Person)
          WHERE q.tenant_id = $tenant AND q <> p1
          WITH q, w2.since AS since_b, w2.until AS until_b
          WITH q, since_b, until_b,
               CASE WHEN until_b IS NULL OR until_b > $today THEN $today ELSE until_b END AS end_b
          WITH q, until_b, end_b, coalesce(since_b, end_b - duration({days: $unknown_tenure_days})) AS start_b
          WITH q, until_b,
               CASE WHEN start_a > start_b THEN start_a ELSE start_b END AS from,
               CASE WHEN end_a < end_b THEN end_a ELSE end_b END AS to
          WHERE from <= to
          WITH q, from, to, current_a AND until_b IS NULL AS current
          RETURN q, $coworker_max
            * (1.0 - exp(-duration.inDays(from, to).days / $overlap_scale_days))
            * 0.5 ^ (CASE WHEN current THEN 0 ELSE duration.inDays(to, $today).days END / $past_half_life_days)
            * CASE WHEN headcount <= $team_size THEN 1.0 ELSE sqrt(toFloat($team_size) / headcount) END AS s
          ORDER BY s DESC, q.id
          LIMIT $per_coworkers
        }
        RETURN q, s
      }
      WITH q, 1.0 - reduce(miss = 1.0, x IN collect(s) | miss * (1.0 - x)) AS w
      WHERE w > 0.0
      RETURN q AS p2, w
      ORDER BY w DESC, p2.id
      LIMIT $per_node
    }
    UNWIND ways AS way
    WITH p1, p2, w, way
    WHERE NOT p2.id IN way.path AND NOT p2.id IN $exclude
    WITH p2, way.path + [p1.id, p2.id] AS path, way.score * w AS score
    ORDER BY score DESC
    WITH p2, collect({path: path, score: score})[..$ways] AS best
    UNWIND best AS way
    RETURN collect(way) AS level2
  }
  RETURN [entry IN level1 | [way IN entry.ways | {path: way.path + [entry.node.id], score: way.score}]] AS level1,
         level2
}
RETURN t.id AS id, t.name AS name, CASE WHEN t:Person THEN 'Person' ELSE 'Organization' END AS type, people,
       level1, level2
