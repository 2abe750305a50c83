// The sync's checkpoint ($source: the graph's or the embeddings') moved to $last_seq: an incremental
// batch writes it in the transaction of the batch it covers. Returns the value it replaces: the batch
// is rolled back unless that is the checkpoint it read its changes after (another run may have moved it).
MERGE (s:SyncState {id: $source})
WITH s, s.last_seq AS before
SET s.last_seq = $last_seq, s.last_run_at = datetime()
RETURN before
