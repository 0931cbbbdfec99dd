"""What a report says: the content model and its sentences (``content``), charts, plot style, templates
and fonts."""
