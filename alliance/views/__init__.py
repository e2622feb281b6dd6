"""Pages, one module per part of the product (the record's own pages in ``views.record``)."""
