"""Ingestion: e-mail and calendars into the relational CRM, with entity resolution on the way in.

::

    mail.py / calendar.py      read mbox, Maildir and .ics files → Signal records (metadata only)
          │                    (bad input becomes a Problem, never an exception out of the run)
          ▼
    addresses.py               parse and normalise addresses; bulk, no-reply and free-mail rules
          ▼
    directory.py               who is who: the tenant's people, users, contacts and organizations,
                               matched by e-mail first, then by name + domain (NameCandidates: the
                               graph's entity resolver, or the directory itself)
          ▼
    writer.py                  one transaction per chunk: interactions, participants, new people,
                               organizations and contacts, through the relational CRM (its triggers
                               log every row; the sync carries them into the graph)
    cli.py                     ``kgcrm ingest mail|calendar``: progress bar and summary

The relational CRM stays the source of truth: nothing here writes to the graph.
"""
