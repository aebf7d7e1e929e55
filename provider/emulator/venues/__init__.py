"""One module per venue: that venue's side of the wire protocol (``SERVER``)."""
