"""Passport search through look-up documents, since FerretDB v1 scans everything but `_id`.

Each search key (``name:иванова``, ``district:elets``, ``need:housing`` …) owns posting
documents bucketed by the first two letters of the applicant's sorted name:
``_id = "<key>|<letters>"``, ``entries = ["<sort name>\\x1f<family id>", …]``. A search reads
only the buckets it needs, in name order, so a page costs a few ``_id`` look-ups whatever
the number of passports. An indexer keeps the postings in step with passport events.
"""
