from django.urls import path

from madoguchi.announcements import views

app_name = "announcements"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
]
