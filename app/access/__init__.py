"""Sessions and IP allow-lists: the pages where people and administrators manage them."""
