#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    from config.env import EnvError

    # Read the settings before Django does: its command runner swallows a settings error and then
    # fails later with a misleading one ("Models aren't loaded yet").
    try:
        settings.INSTALLED_APPS  # noqa: B018
    except EnvError as error:
        sys.exit(f"Alliance cannot start: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
