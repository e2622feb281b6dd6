"""The clinic's questionnaires, for its admins: the list, one instrument's versions, and importing one."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from alliance.forms.instruments import InstrumentImportForm
from alliance.selectors import instruments as selectors
from alliance.services.instruments import instrument_import
from patients.decorators import clinic_admin_required
from patients.forms import form_save


@clinic_admin_required
def instruments(request):
    return render(
        request, "alliance/instruments/list.html", {"instruments": selectors.instruments_for_admin(user=request.user)}
    )


@clinic_admin_required
def instrument_detail(request, pk):
    instrument = selectors.instrument_get_for_admin(user=request.user, pk=pk)
    versions = list(instrument.versions.order_by("-number"))
    if not versions:
        raise Http404
    return render(request, "alliance/instruments/detail.html", {"instrument": instrument, "versions": versions})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def instrument_import_view(request):
    form = InstrumentImportForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(
            form,
            lambda data: instrument_import(
                clinic=request.user.clinic,
                by=request.user,
                text=data["definition"],
                activate=data["activate"],
            ),
        )
    ):
        version = saved.value
        messages.success(
            request,
            _("Imported %(name)s, version %(number)s.") % {"name": version.name, "number": version.number},
        )
        return redirect("alliance:instrument", pk=version.instrument_id)
    return render(request, "alliance/instruments/import.html", {"form": form}, status=400 if form.errors else 200)
