// People and organizations of one tenant whose name is exactly $name (ignoring case).
// $types: the labels to look at (Person, Organization).
CALL () {
  MATCH (n:Person)
  WHERE 'Person' IN $types AND n.tenant_id = $tenant AND toLower(n.name) = toLower($name)
  RETURN n, 'Person' AS type
  UNION
  MATCH (n:Organization)
  WHERE 'Organization' IN $types AND n.tenant_id = $tenant AND toLower(n.name) = toLower($name)
  RETURN n, 'Organization' AS type
}
RETURN n.id AS id, n.name AS name, type
ORDER BY type DESC, id
LIMIT $limit
