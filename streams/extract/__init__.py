"""The extract stage: Articles in, structured Events out (type, actors, sides, place, date,
status, quantities, attribution), read sentence by sentence from spaCy docs. Pure: no Faust,
no store, no network. extractor.Extractor is the entry; reader.ArticleReader reads one
article; the other modules each read one field. process_pool.ProcessExtractor runs
Extractor.extract in worker processes, one per core (spaCy holds the GIL while it parses).
nlp.load_nlp builds the pipeline: the model's attribute rules and lemmatizer in cheaper exact
forms (attribute_rules, lemmas), the gazetteer ruler, the event matcher reading only around
trigger words (trigger_windows); the three of its own run in pipe_step.PipeStep components.
"""
