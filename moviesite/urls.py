from django.contrib import admin
from django.urls import path

admin.site.site_header = "moviesite administration"
admin.site.site_title = "moviesite admin"

urlpatterns = [
    path("admin/", admin.site.urls),
]
