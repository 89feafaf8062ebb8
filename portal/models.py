"""Import every capability's tables so Base.metadata knows them all."""


def import_all_models() -> None:
    import portal.accounts.models
    import portal.alerts.models
    import portal.events.models
    import portal.jobs.models
    import portal.media.models
    import portal.recommend.models  # noqa: F401
