"""Import every capability's tables so Base.metadata knows them all."""


def import_all_models() -> None:
    import portal.accounts.models
    import portal.alerts.models
    import portal.applications.models
    import portal.companies.models
    import portal.events.models
    import portal.jobs.models
    import portal.mail.models
    import portal.media.models
    import portal.recommend.models
    import portal.saved.models  # noqa: F401
