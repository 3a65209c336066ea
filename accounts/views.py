from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from assistants.forms import AssistantProfileForm
from tasks.models import Acknowledgement

from . import services
from .forms import AcceptInvitationForm, LoginForm, OutboxPasswordResetForm, ProfileForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """Name, time zone and notifications; assistants also keep what clients see of them."""
    data = request.POST or None
    form = ProfileForm(data, instance=request.user, prefix="person")
    assistant_profile = getattr(request.user, "assistant_profile", None)
    assistant_form = (
        AssistantProfileForm(data, instance=assistant_profile, prefix="assistant")
        if assistant_profile
        else None
    )
    forms = [f for f in (form, assistant_form) if f is not None]
    if request.method == "POST" and all(f.is_valid() for f in forms):
        with transaction.atomic():
            for valid_form in forms:
                valid_form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("accounts:profile")
    thanks = (
        Acknowledgement.objects.filter(to_user=request.user)
        .select_related("from_user", "task")
        .order_by("-created_at")[:20]
        if assistant_profile
        else []
    )
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "assistant_form": assistant_form, "thanks": thanks},
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request, signed: str):
    try:
        invitation = services.invitation_from_link(signed)
    except services.InvitationError as error:
        return render(request, "accounts/invitation_invalid.html", {"reason": error}, status=410)
    form = AcceptInvitationForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                signed=signed,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                timezone_name=form.cleaned_data["timezone"],
            )
        except services.InvitationError as error:
            return render(
                request, "accounts/invitation_invalid.html", {"reason": error}, status=410
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to VA Portal, {user.get_short_name()}.")
        return redirect("home")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )
