from django.contrib import admin

from .models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("email", "is_active", "is_staff")
    search_fields = ("email",)
