"""Jobs a signed-in user keeps for later: ``/saved`` and ``/api/v1/me/saved-jobs``."""
