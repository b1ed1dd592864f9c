"""Passport search through look-up documents, since FerretDB v1 scans everything but `_id`.

Each search key (``name:иванова``, ``district:elets``, ``need:housing`` …) owns small
documents in three levels, ordered by the applicant's sorted name: a count with the key's
two-letter groups, each group's leaves (surname and first initial), and each
leaf's postings: each passport's entry ``"<sort name>\x1f<family id>"`` with its
result line and name and phone keys. A search walks only the leaves it needs, in name
order, and checks other criteria and renders the page from the postings themselves, so a
page costs a few ``_id`` look-ups whatever the number of passports. An indexer keeps it
all in step with passport events, a batch of families at a time; a crash mid-way through
a batch can leave its families' counts off until ``rebuild_index`` runs.
"""
