"""Portal: a real-time job portal.

Imports nothing, so that a pure part (the recommender engine, the websocket protocol) loads
without the web stack: the app is made by ``portal.app.create_app``.
"""
