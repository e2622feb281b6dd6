from django.apps import AppConfig


class AllianceConfig(AppConfig):
    name = "alliance"
    verbose_name = "Alliance"

    def ready(self):
        from alliance.selectors import digest, news
        from sessions.registry import news_provider_register

        digest.register()
        news_provider_register("alliance", lambda user_ids: news.news_batches_waiting(user_ids=user_ids))
