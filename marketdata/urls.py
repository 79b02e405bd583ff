from django.urls import path

from marketdata import views

urlpatterns = [
    path("health", views.health, name="marketdata-health"),
]
