"""Exports: datasets (classes that yield rows, header first) and the renderers that write them.

- ``base``: the ``Dataset`` base, columns and their kinds, formula neutralising, pseudonyms;
- ``datasets``: the clinic's datasets;
- ``render``: CSV, XLSX and FHIR files from a dataset;
- ``fhir``: FHIR R4 resources and the streamed Bundle.

``DATASETS`` is the registry the export form, the service and the task read. Adding a dataset is
adding a class here (and its value to ``ExportDataset``).
"""

from alliance.exports.base import Dataset, ExportContext
from alliance.exports.datasets import Alerts, AuditTrail, CheckinAnswers, CheckinResponses, Goals, Sessions
from alliance.models import ExportDataset

DATASETS: dict[str, type[Dataset]] = {
    ExportDataset.CHECKIN_ANSWERS: CheckinAnswers,
    ExportDataset.CHECKIN_RESPONSES: CheckinResponses,
    ExportDataset.ALERTS: Alerts,
    ExportDataset.SESSIONS: Sessions,
    ExportDataset.GOALS: Goals,
    ExportDataset.AUDIT: AuditTrail,
}


def dataset_for(key: str, context: ExportContext) -> Dataset:
    return DATASETS[key](context)


__all__ = ["DATASETS", "Dataset", "ExportContext", "dataset_for"]
