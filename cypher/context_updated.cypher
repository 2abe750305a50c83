// Context pack (GET /v1/context): the updated_at of the rows a path cites ($rows: {table, id}),
// relationship, interaction or contact rows of $tenant (by their unique ids).
UNWIND $rows AS row
CALL (row) {
  MATCH ()-[k:KNOWS {id: row.id}]->()
  WHERE row.table = 'relationship' AND k.tenant_id = $tenant
  RETURN k.updated_at AS updated_at
  UNION
  MATCH (n:Interaction {id: row.id})
  WHERE row.table = 'interaction' AND n.tenant_id = $tenant
  RETURN n.updated_at AS updated_at
  UNION
  MATCH (n:Contact {id: row.id})
  WHERE row.table = 'contact' AND n.tenant_id = $tenant
  RETURN n.updated_at AS updated_at
}
RETURN row.table AS table, row.id AS id, updated_at
