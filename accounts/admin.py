from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Invitation, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["full_name"]
    list_display = ["email", "full_name", "timezone", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "notify"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "timezone", "notify"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]}),
    ]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "organization", "invited_by", "created_at", "expires_at"]
    list_filter = ["role", "organization"]
    search_fields = ["email", "full_name"]
    list_select_related = ["organization", "invited_by"]
    exclude = ["token"]
    readonly_fields = ["accepted_at", "accepted_user", "created_at", "sent_at"]
