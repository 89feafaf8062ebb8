"""Jobs: postings, their admin management, public pages, search and the feed."""
