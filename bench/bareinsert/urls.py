from django.urls import path

from bench.bareinsert import views

urlpatterns = [
    path("insert/", views.insert, name="bareinsert"),
    path("staff/", views.staff, name="bareinsert-staff"),
]
