"""A client for PubTator3's public API: PubTator exports of PubMed abstracts, searches.

`client` batches PMIDs and exports them, `transport` retries HTTP requests, `ratelimit`
spaces them, `cache` keeps each batch on disk, `species` filters the exported mentions
by type and species, `pmids` reads PMID lists.
"""
