"""The site's own pages: the language switch and the admin dashboard, which gathers every
capability's news."""
