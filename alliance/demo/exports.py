"""Demo step: a few past exports, so the clinic admin's Exports page shows what the record looks like.

- an identified XLSX of check-in totals, with its reason, whose file has since been deleted;
- a de-identified CSV of alerts that was downloaded straight away;
- patient1 downloading their own record;
- a de-identified CSV of sessions prepared in the background, with its file ready to download.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from alliance.exports import DATASETS, ExportContext
from alliance.models import Export, ExportDataset, ExportDelivery, ExportFormat, ExportStatus
from alliance.selectors.filters import DataFilters
from alliance.services.exports import export_run
from patients.models import User


def seed_exports(ctx) -> None:
    clinic = ctx.clinics["first"]
    if Export.objects.filter(clinic=clinic).exists():
        return
    admin = User.objects.get(email="admin@demo.test")
    now = ctx.now
    local_today = now.astimezone(DataFilters(clinic=clinic, date_from=now.date(), date_to=now.date()).tz).date()
    filters = DataFilters(clinic=clinic, date_from=local_today - timedelta(weeks=ctx.weeks), date_to=local_today)

    def rows(dataset: str) -> int:
        return DATASETS[dataset](ExportContext(filters=filters, identified=False)).count()

    def past(dataset, fmt, *, identified, purpose="", status, delivery, days_ago, file_name):
        created = ctx.at(days_ago, staff=True, key=("export", dataset, fmt))
        count = rows(dataset)
        expired = status == ExportStatus.EXPIRED
        return Export.objects.create(
            clinic=clinic,
            requested_by=admin,
            dataset=dataset,
            format=fmt,
            identified=identified,
            purpose=purpose,
            filters=filters.as_json(),
            filters_description=filters.describe(applies=DATASETS[dataset].filters_apply),
            delivery=delivery,
            status=status,
            rows_expected=count,
            rows_written=count,
            file_name=file_name,
            created_at=created,
            started_at=created,
            finished_at=created + timedelta(seconds=4),
            expires_at=created + timedelta(hours=settings.EXPORT_FILE_HOURS) if expired else None,
            file_deleted_at=created + timedelta(hours=settings.EXPORT_FILE_HOURS) if expired else None,
            download_count=1,
            last_downloaded_at=created + timedelta(minutes=3),
        )

    stem = f"{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}"
    past(
        ExportDataset.CHECKIN_RESPONSES,
        ExportFormat.XLSX,
        identified=True,
        purpose="Quarterly care-quality review with the service lead, agreed with our Caldicott guardian.",
        status=ExportStatus.EXPIRED,
        delivery=ExportDelivery.FILE,
        days_ago=12,
        file_name=f"alliance-checkin-responses-{stem}.xlsx",
    )
    past(
        ExportDataset.ALERTS,
        ExportFormat.CSV,
        identified=False,
        status=ExportStatus.STREAMED,
        delivery=ExportDelivery.STREAMED,
        days_ago=5,
        file_name=f"alliance-alerts-{stem}-deidentified.csv",
    )
    patient = User.objects.get(email="patient1@demo.test")
    Export.objects.create(
        clinic=clinic,
        requested_by=patient,
        dataset=ExportDataset.PATIENT_RECORD,
        format=ExportFormat.JSON,
        identified=True,
        filters_description="Their own record, everything Alliance holds about them",
        delivery=ExportDelivery.STREAMED,
        status=ExportStatus.STREAMED,
        rows_expected=0,
        rows_written=0,
        created_at=ctx.at(2, staff=False, key="own-download"),
        finished_at=ctx.at(2, staff=False, key="own-download"),
        download_count=1,
        last_downloaded_at=ctx.at(2, staff=False, key="own-download"),
    )
    ready = Export.objects.create(
        clinic=clinic,
        requested_by=admin,
        dataset=ExportDataset.SESSIONS,
        format=ExportFormat.CSV,
        identified=False,
        filters=filters.as_json(),
        filters_description=filters.describe(applies=DATASETS[ExportDataset.SESSIONS].filters_apply),
        delivery=ExportDelivery.FILE,
        file_name=f"alliance-sessions-{stem}-deidentified.csv",
    )
    export_run(export_id=ready.pk)
