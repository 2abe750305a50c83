// The sync's checkpoint: the last change_log seq whose effect is in the graph.
OPTIONAL MATCH (s:SyncState {id: $source})
RETURN s.last_seq AS last_seq, s.last_run_at AS last_run_at
