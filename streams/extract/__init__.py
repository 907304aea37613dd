"""The extract stage: Articles in, structured Events out (type, actors, sides, place, date,
status, quantities, attribution), read sentence by sentence from spaCy docs. Pure: no Faust,
no store, no network. extractor.Extractor is the entry; reader.ArticleReader reads one
article; the other modules each read one field. process_pool.ProcessExtractor runs
Extractor.extract in worker processes, one per core (spaCy holds the GIL while it parses).
"""
