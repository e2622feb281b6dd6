"""Alliance's models, one module per part of the product."""

from alliance.models.alerts import Alert, AlertKind, AlertStatus
from alliance.models.exports import Export, ExportDataset, ExportDelivery, ExportFormat, ExportStatus
from alliance.models.measures import Answer, CheckIn, Instrument, InstrumentVersion, Purpose, Respondent, Response

__all__ = [
    "Alert",
    "AlertKind",
    "AlertStatus",
    "Answer",
    "CheckIn",
    "Export",
    "ExportDataset",
    "ExportDelivery",
    "ExportFormat",
    "ExportStatus",
    "Instrument",
    "InstrumentVersion",
    "Purpose",
    "Respondent",
    "Response",
]
