"""Domain operations between the API and the store: permissions, SCMs, repo activation, hook URLs, builds.

Services may use store, models, remote, compiler, queue, pubsub and logstream; never flask.request.
"""
