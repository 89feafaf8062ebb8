"""Jobs a signed-in user keeps for later."""
